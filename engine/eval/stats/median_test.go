package stats

import (
	"slices"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		name string
		xs   []float64
		want float64
	}{
		{"none", nil, 0},
		{"one", []float64{7}, 7},
		{"odd, unsorted", []float64{9, 1, 5}, 5},
		{"even: mean of the middle two", []float64{4, 1, 3, 10}, 3.5}, // sorted 1 3 4 10 → (3+4)/2
		{"repeated values", []float64{2, 2, 2, 9}, 2},
		{"negative", []float64{-3, -1, -2}, -2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.xs)
			if got := Median(in); got != tt.want {
				t.Errorf("Median(%v) = %v, want %v", tt.xs, got, tt.want)
			}
			if !slices.Equal(in, tt.xs) {
				t.Errorf("Median reordered its input: %v, was %v", in, tt.xs)
			}
		})
	}
}

func TestMedianDuration(t *testing.T) {
	const maxD = time.Duration(1<<63 - 1)
	tests := []struct {
		name string
		ds   []time.Duration
		want time.Duration
	}{
		{"none", nil, 0},
		{"odd", []time.Duration{3 * time.Second, time.Second, 2 * time.Second}, 2 * time.Second},
		{"even", []time.Duration{time.Second, 4 * time.Second}, 2500 * time.Millisecond},
		// (a+b)/2 would overflow; a + (b−a)/2 does not.
		{"huge, no overflow", []time.Duration{maxD - 2, maxD}, maxD - 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MedianDuration(tt.ds); got != tt.want {
				t.Errorf("MedianDuration(%v) = %v, want %v", tt.ds, got, tt.want)
			}
		})
	}
}
