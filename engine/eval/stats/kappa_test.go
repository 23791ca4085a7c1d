package stats

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
)

// ratings expands "category×count" runs into a list: ratings("y×2 n") is
// [y y n].
func ratings(spec string) []string {
	var out []string
	for _, f := range strings.Fields(spec) {
		cat, count, ok := strings.Cut(f, "×")
		n := 1
		if ok {
			n, _ = strconv.Atoi(count)
		}
		for range n {
			out = append(out, cat)
		}
	}
	return out
}

func TestCohenKappa(t *testing.T) {
	tests := []struct {
		name    string
		a, b    []string
		want    float64
		wantErr error // nil: no error; errAny: some error
	}{
		// The Wikipedia example: 50 items, both yes 20, A yes/B no 5,
		// A no/B yes 10, both no 15. po = 35/50 = .7; A says yes 25/50,
		// B 30/50: pe = .5·.6 + .5·.4 = .5; κ = (.7 − .5)/(1 − .5) = .4.
		{"wikipedia yes/no", ratings("y×20 y×5 n×10 n×15"), ratings("y×20 n×5 y×10 n×15"), 0.4, nil},
		{"perfect agreement, two categories", ratings("x y x y"), ratings("x y x y"), 1, nil},
		// a: x y x y, b: y x y x: po = 0, pe = .5·.5 + .5·.5 = .5 → κ = −1.
		{"complete disagreement", ratings("x y x y"), ratings("y x y x"), -1, nil},
		// Three categories: a = 0 0 1 2 tie, b = 0 1 1 2 0.
		// po = 3/5 (items 1, 3, 4). a: 0×2 1×1 2×1 tie×1; b: 0×2 1×2 2×1.
		// pe = (2·2 + 1·2 + 1·1 + 1·0)/25 = 7/25; κ = (15/25 − 7/25)/(18/25) = 8/18 = 4/9.
		{"three categories and tie", ratings("0 0 1 2 tie"), ratings("0 1 1 2 0"), 4.0 / 9, nil},
		// pe = 1: both always said x. 0/0, so no κ.
		{"one category only", ratings("x×3"), ratings("x×3"), 0, ErrNoVariation},
		// a always x, b varies: pe = 1·(2/3) = 2/3 < 1, po = 2/3 → κ = 0.
		{"one rater constant", ratings("x×3"), ratings("x x y"), 0, nil},
		{"lengths differ", ratings("x y"), ratings("x"), 0, errAny},
		{"one item", ratings("x"), ratings("x"), 0, errAny},
		{"no items", nil, nil, 0, errAny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CohenKappa(tt.a, tt.b)
			checkErr(t, err, tt.wantErr)
			if err == nil && math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("CohenKappa = %.15f, want %.15f", got, tt.want)
			}
		})
	}
}

var errAny = errors.New("any error")

func checkErr(t *testing.T, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want == errAny && err == nil, want != nil && want != errAny && !errors.Is(err, want):
		t.Fatalf("error %v, want %v", err, want)
	}
}

func TestFleissKappa(t *testing.T) {
	tests := []struct {
		name    string
		items   [][]int
		want    float64
		wantErr error
	}{
		// The Wikipedia worked example: 10 subjects, 14 raters, 5 categories.
		// Σ_j n_ij² − 14 per subject: 182 46 56 80 60 84 44 32 52 52 = 688,
		// so P̄ = 688/(10·182) = 172/455 = .378022.
		// Column totals 20 28 39 21 32 of 140: P_e = (400+784+1521+441+1024)/19600
		// = 417/1960 = .212755.
		// κ = (172/455 − 417/1960)/(1 − 417/1960) = (4211/25480)/(20059/25480)
		//   = 4211/20059 = .209931 (Wikipedia: 0.210).
		{"wikipedia", [][]int{
			{0, 0, 0, 0, 14},
			{0, 2, 6, 4, 2},
			{0, 0, 3, 5, 6},
			{0, 3, 9, 2, 0},
			{2, 2, 8, 1, 1},
			{7, 7, 0, 0, 0},
			{3, 2, 6, 3, 0},
			{2, 5, 3, 2, 2},
			{6, 5, 2, 1, 0},
			{0, 2, 2, 3, 7},
		}, 4211.0 / 20059, nil},
		// Varying raters: P_i = 1, 0, (4+1−3)/6 = 1/3, (9−3)/6 = 1 → P̄ = 7/12.
		// Columns 5 and 5 of 10 → P_e = ½. κ = (7/12 − ½)/(½) = 1/6.
		{"varying raters", [][]int{{2, 0}, {1, 1}, {2, 1}, {0, 3}}, 1.0 / 6, nil},
		// Two raters per item, always agreeing, two categories used: κ = 1.
		{"perfect", [][]int{{2, 0}, {0, 2}, {2, 0}}, 1, nil},
		// P̄ = 0 (every pair disagrees); P_e = ½ → κ = −1.
		{"total disagreement", [][]int{{1, 1}, {1, 1}}, -1, nil},
		{"one category only", [][]int{{3, 0}, {2, 0}}, 0, ErrNoVariation},
		{"an item with one rating", [][]int{{1, 1}, {1, 0}}, 0, errAny},
		{"ragged rows", [][]int{{1, 1}, {1, 1, 0}}, 0, errAny},
		{"negative count", [][]int{{3, -1}, {1, 1}}, 0, errAny},
		{"one item", [][]int{{1, 1}}, 0, errAny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FleissKappa(tt.items)
			checkErr(t, err, tt.wantErr)
			if err == nil && math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("FleissKappa = %.15f, want %.15f", got, tt.want)
			}
			obs, exp, err := FleissAgreement(tt.items)
			if tt.wantErr == ErrNoVariation {
				// Every pair agrees, and chance agrees as much.
				if err != nil || obs != 1 || exp != 1 {
					t.Errorf("FleissAgreement = %v, %v, %v; want 1, 1, nil", obs, exp, err)
				}
			} else if (err != nil) != (tt.wantErr != nil) {
				t.Errorf("FleissAgreement error %v, FleissKappa's %v", err, tt.wantErr)
			} else if err == nil && math.Abs((obs-exp)/(1-exp)-tt.want) > 1e-12 {
				t.Errorf("FleissAgreement = %v, %v: κ from them is not %v", obs, exp, tt.want)
			}
		})
	}
}

// The parts of the Wikipedia example, from the sums worked out in
// TestFleissKappa: P̄ = 688/1820 = 172/455 = .378, P_e = 4170/19600 = .213.
func TestFleissAgreementWikipedia(t *testing.T) {
	items := [][]int{
		{0, 0, 0, 0, 14}, {0, 2, 6, 4, 2}, {0, 0, 3, 5, 6}, {0, 3, 9, 2, 0}, {2, 2, 8, 1, 1},
		{7, 7, 0, 0, 0}, {3, 2, 6, 3, 0}, {2, 5, 3, 2, 2}, {6, 5, 2, 1, 0}, {0, 2, 2, 3, 7},
	}
	obs, exp, err := FleissAgreement(items)
	if err != nil || math.Abs(obs-172.0/455) > 1e-12 || math.Abs(exp-417.0/1960) > 1e-12 {
		t.Errorf("FleissAgreement = %v, %v, %v; want %v, %v", obs, exp, err, 172.0/455, 417.0/1960)
	}
}
