package stats

import (
	"math"
	"testing"
)

func TestNegLogSigmoid(t *testing.T) {
	tests := []struct {
		x, want, tolerance float64
	}{
		{0, math.Ln2, 1e-15},                    // σ(0) = ½
		{1, 0.313261687518223, 1e-15},           // log(1 + e^−1) = log 1.367879
		{-1, 1.313261687518223, 1e-15},          // 1 + log(1 + e^−1)
		{0.3, 0.554355244468527, 1e-15},         // log(1 + e^−0.3) = log 1.740818
		{-0.3, 0.854355244468527, 1e-15},        // 0.3 + the above
		{40, 4.248354255291589e-18, 1e-30},      // e^−40: 1 − σ is below a double's epsilon
		{-800, 800, 0},                          // e^800 overflows; the loss is −x
		{800, 0, 1e-300},                        // e^−800 underflows to 0
		{math.Log(3), math.Log(4.0 / 3), 1e-15}, // σ(log 3) = ¾
		{-math.Log(3), math.Log(4), 1e-15},      // σ(−log 3) = ¼
	}
	for _, tt := range tests {
		if got := NegLogSigmoid(tt.x); math.Abs(got-tt.want) > tt.tolerance || math.IsNaN(got) || math.IsInf(got, 0) {
			t.Errorf("NegLogSigmoid(%v) = %.17g, want %.17g", tt.x, got, tt.want)
		}
	}
}

func TestPairDPO(t *testing.T) {
	// The policy gives y_w −6 and y_l −9; the reference −10 and −10:
	// r_w = 4, r_l = 1, h = 3. At β = 0.1 the rewards are 0.4 and 0.1 and
	// the loss −log σ(0.3) = log(1 + e^−0.3) = 0.554355244468527.
	got := PairDPO(0.1, -6, -9, -10, -10)
	want := DPO{Margin: 3, RewardChosen: 0.4, RewardRejected: 0.1, Loss: 0.554355244468527}
	if !near(got, want, 1e-12) {
		t.Errorf("PairDPO = %+v, want %+v", got, want)
	}
	// Wrong way round at β = 1: r_w = −1 − (−2) = 1, r_l = −1 − (−4) = 3,
	// h = −2: the loss is 2 + log(1 + e^−2) = 2.126928011042973.
	got = PairDPO(1, -1, -1, -2, -4)
	want = DPO{Margin: -2, RewardChosen: 1, RewardRejected: 3, Loss: 2.126928011042973}
	if !near(got, want, 1e-12) {
		t.Errorf("PairDPO = %+v, want %+v", got, want)
	}
	// The reference against itself: h = 0, the loss log 2 at any β.
	got = PairDPO(0.01, -5, -7, -5, -7)
	if want = (DPO{Loss: math.Ln2}); !near(got, want, 1e-15) {
		t.Errorf("PairDPO = %+v, want %+v", got, want)
	}
	// vLLM's −inf (−9999) for the rejected response under the policy:
	// h = 9992, β·h = 999.2, and the loss underflows to 0, not NaN.
	got = PairDPO(0.1, -7, -9999, -7, -7)
	if got.Margin != 9992 || got.Loss != 0 || math.IsNaN(got.Loss) {
		t.Errorf("PairDPO with −9999 = %+v", got)
	}
}

func near(a, b DPO, tolerance float64) bool {
	return math.Abs(a.Margin-b.Margin) <= tolerance && math.Abs(a.RewardChosen-b.RewardChosen) <= tolerance &&
		math.Abs(a.RewardRejected-b.RewardRejected) <= tolerance && math.Abs(a.Loss-b.Loss) <= tolerance
}
