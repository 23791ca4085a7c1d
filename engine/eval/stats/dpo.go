package stats

import "math"

// DPO's quantities for one preference pair (x, y_w, y_l), as POPI's
// trainer computes them (README, eval: accuracy): a policy's log-
// probabilities log π(y | condition) and a reference model's log
// π_ref(y | x), each summed over the response's tokens.

// DPO is one pair's DPO quantities at one β.
type DPO struct {
	// Margin is h = (log π(y_w) − log π_ref(y_w)) − (log π(y_l) − log
	// π_ref(y_l)), in nats; β does not enter it.
	Margin float64
	// RewardChosen and RewardRejected are the implicit rewards
	// β·(log π(y) − log π_ref(y)).
	RewardChosen, RewardRejected float64
	// Loss is DPO's loss −log σ(β·h), in nats: log 2 when h = 0, towards
	// 0 as the policy prefers y_w more than the reference does, growing
	// like −β·h as it prefers y_l. POPI's code reports Loss/β.
	Loss float64
}

// PairDPO works out a pair's DPO quantities from the policy's and the
// reference's log-probabilities of the chosen (w) and rejected (l)
// responses, at β (which must be positive).
func PairDPO(beta, policyW, policyL, refW, refL float64) DPO {
	rw, rl := policyW-refW, policyL-refL
	h := rw - rl
	return DPO{Margin: h, RewardChosen: beta * rw, RewardRejected: beta * rl, Loss: NegLogSigmoid(beta * h)}
}

// NegLogSigmoid is −log σ(x) = log(1 + e^(−x)), the softplus of −x,
// computed without overflow or loss of precision at either end: for large
// positive x it is e^(−x) (not 0 from 1 − 1), for large negative x it is
// −x (not +Inf from e^(−x)).
func NegLogSigmoid(x float64) float64 {
	if x >= 0 {
		return math.Log1p(math.Exp(-x))
	}
	return -x + math.Log1p(math.Exp(x))
}
