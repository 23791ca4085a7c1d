package stats

import (
	"fmt"
	"math"
)

// fitGroup maximizes the Bradley–Terry log-likelihood over the players
// in group (indices into w), using only the comparisons among them, with
// Σθ = 0. It returns θ and its covariance, in group order.
func fitGroup(w [][]float64, group []int) (theta []float64, cov [][]float64, iters int, err error) {
	m := len(group)
	// ws[a][b]: wins of group[a] over group[b]; n[a][b] = games between them.
	ws, n := square(m), square(m)
	games := 0.0
	for a, i := range group {
		for b, j := range group {
			ws[a][b] = w[i][j]
		}
	}
	for a := range m {
		for b := range m {
			n[a][b] = ws[a][b] + ws[b][a]
			games += ws[a][b]
		}
	}
	theta = make([]float64, m)
	// The gradient is a sum of counts times probabilities: its size
	// scales with the number of games, so the tolerance does too.
	gtol := 1e-12 * max(games, 1)
	const maxIter = 100
	converged := false
	for ; iters < maxIter && !converged; iters++ {
		g, info := gradInfo(ws, n, theta)
		if maxAbs(g) <= gtol {
			converged = true
			break
		}
		inv, err := invert(pinvShift(info))
		if err != nil {
			return nil, nil, iters, fmt.Errorf("bradley-terry: %w", err)
		}
		step := mulVec(inv, g)
		// Armijo backtracking: the full Newton step can overshoot far from
		// the maximum (lopsided counts), a fraction of it cannot.
		f0, slope := loglik(ws, n, theta), dot(g, step)
		t := 1.0
		next := make([]float64, m)
		for range 60 {
			for a := range m {
				next[a] = theta[a] + t*step[a]
			}
			if loglik(ws, n, next) >= f0+1e-4*t*slope {
				break
			}
			t /= 2
		}
		center(next)
		moved := 0.0
		for a := range m {
			moved = max(moved, math.Abs(next[a]-theta[a]))
		}
		copy(theta, next)
		converged = moved < 1e-13
	}
	if !converged {
		return nil, nil, iters, fmt.Errorf("bradley-terry: no convergence after %d Newton steps", maxIter)
	}
	_, info := gradInfo(ws, n, theta)
	inv, err := invert(pinvShift(info))
	if err != nil {
		return nil, nil, iters, fmt.Errorf("bradley-terry: %w", err)
	}
	// (I + J/m)⁻¹ − J/m is I's pseudo-inverse: the covariance under Σθ = 0.
	for a := range m {
		for b := range m {
			inv[a][b] -= 1 / float64(m)
		}
	}
	return theta, inv, iters, nil
}

// gradInfo is the log-likelihood's gradient and the Fisher information at
// θ: g_a = W_a − Σ_b n_ab·p_ab, I_aa = Σ_b n_ab·p_ab·p_ba, I_ab = −n_ab·p_ab·p_ba,
// with p_ab = 1/(1 + e^(θb − θa)).
func gradInfo(ws, n [][]float64, theta []float64) ([]float64, [][]float64) {
	m := len(theta)
	g, info := make([]float64, m), square(m)
	for a := range m {
		for b := range m {
			if a == b || n[a][b] == 0 {
				continue
			}
			p := 1 / (1 + math.Exp(theta[b]-theta[a]))
			g[a] += ws[a][b] - n[a][b]*p
			v := n[a][b] * p * (1 - p)
			info[a][a] += v
			info[a][b] -= v
		}
	}
	return g, info
}

// loglik is Σ_{a<b} [w_ab·θa + w_ba·θb − n_ab·log(e^θa + e^θb)].
func loglik(ws, n [][]float64, theta []float64) float64 {
	f := 0.0
	for a := range theta {
		for b := a + 1; b < len(theta); b++ {
			if n[a][b] == 0 {
				continue
			}
			x, y := theta[a], theta[b]
			lse := max(x, y) + math.Log1p(math.Exp(-math.Abs(x-y)))
			f += ws[a][b]*x + ws[b][a]*y - n[a][b]*lse
		}
	}
	return f
}

// pinvShift returns I + J/m (J all ones): invertible when the comparison
// graph is connected, since I's null space is the constant vectors and J/m
// is the identity on them.
func pinvShift(info [][]float64) [][]float64 {
	m := len(info)
	out := square(m)
	for a := range m {
		for b := range m {
			out[a][b] = info[a][b] + 1/float64(m)
		}
	}
	return out
}

func center(x []float64) {
	mean := 0.0
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	for i := range x {
		x[i] -= mean
	}
}
