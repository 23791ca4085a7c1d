package stats

import (
	"math"
	"testing"
)

func TestWilson(t *testing.T) {
	// Wilson: with p = s/n and z² = 3.841459,
	//   center = (p + z²/2n) / (1 + z²/n)
	//   half   = z/(1 + z²/n) · sqrt(p(1−p)/n + z²/4n²)
	tests := []struct {
		name      string
		s         float64
		n         int
		lo, hi    float64
		tolerance float64
	}{
		// p = .8: center = (.8 + .192073)/1.384146 = .716740,
		// half = 1.415993·sqrt(.016 + .009604) = .226577 → the textbook [0.4902, 0.9433].
		{"8 of 10", 8, 10, 0.4902, 0.9433, 5e-5},
		{"8 of 10, more digits", 8, 10, 0.490162471536642, 0.943317848545625, 1e-12},
		// p = 0: center = half = .192073/1.384146 = .138766 → [0, .277533].
		{"0 of 10", 0, 10, 0, 0.277532799862889, 1e-12},
		// p = 1 mirrors p = 0: [1 − .277533, 1].
		{"10 of 10", 10, 10, 0.722467200137111, 1, 1e-12},
		// Ties counted as halves: 7 wins, 1 tie → 7.5; p = .75: center = .680617,
		// half = 1.415993·sqrt(.01875 + .009604) = .238435.
		{"7.5 of 10", 7.5, 10, 0.442181424278550, 0.919052175790006, 1e-12},
		// Symmetric about ½.
		{"50 of 100", 50, 100, 0.403831530365996, 0.596168469634004, 1e-12},
		{"n = 0 knows nothing", 0, 0, 0, 1, 0},
		{"successes above n are clamped", 12, 10, 0.722467200137111, 1, 1e-12},
		{"negative successes are clamped", -1, 10, 0, 0.277532799862889, 1e-12},
		{"NaN successes know nothing", math.NaN(), 10, 0, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lo, hi := Wilson(tt.s, tt.n)
			if math.Abs(lo-tt.lo) > tt.tolerance || math.Abs(hi-tt.hi) > tt.tolerance {
				t.Errorf("Wilson(%v, %d) = [%.12f, %.12f], want [%.12f, %.12f]", tt.s, tt.n, lo, hi, tt.lo, tt.hi)
			}
			if lo < 0 || hi > 1 || lo > hi {
				t.Errorf("Wilson(%v, %d) = [%v, %v] is not inside [0, 1]", tt.s, tt.n, lo, hi)
			}
		})
	}
}
