package stats

import (
	"errors"
	"math"
)

// The few dense matrix helpers the Bradley–Terry fit needs, for matrices
// as small as the number of candidates compared.

func square(m int) [][]float64 {
	out := make([][]float64, m)
	for i := range out {
		out[i] = make([]float64, m)
	}
	return out
}

// invert returns a⁻¹ by Gauss–Jordan elimination with partial pivoting;
// a is left unchanged.
func invert(a [][]float64) ([][]float64, error) {
	m := len(a)
	x, inv := square(m), square(m)
	for i := range m {
		copy(x[i], a[i])
		inv[i][i] = 1
	}
	for col := range m {
		p := col
		for r := col + 1; r < m; r++ {
			if math.Abs(x[r][col]) > math.Abs(x[p][col]) {
				p = r
			}
		}
		if math.Abs(x[p][col]) < 1e-300 {
			return nil, errors.New("singular information matrix")
		}
		x[col], x[p] = x[p], x[col]
		inv[col], inv[p] = inv[p], inv[col]
		d := x[col][col]
		for c := range m {
			x[col][c] /= d
			inv[col][c] /= d
		}
		for r := range m {
			if r == col || x[r][col] == 0 {
				continue
			}
			f := x[r][col]
			for c := range m {
				x[r][c] -= f * x[col][c]
				inv[r][c] -= f * inv[col][c]
			}
		}
	}
	return inv, nil
}

func mulVec(a [][]float64, v []float64) []float64 {
	out := make([]float64, len(a))
	for i, row := range a {
		out[i] = dot(row, v)
	}
	return out
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func maxAbs(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = max(m, math.Abs(x))
	}
	return m
}
