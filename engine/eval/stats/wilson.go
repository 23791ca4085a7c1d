package stats

import "math"

// Wilson is the Wilson score interval at 95% for a proportion of
// successes out of n trials. successes may be fractional (a tie counted
// as half a win) and is clamped to [0, n]. With n = 0 nothing is known and
// the interval is the whole range, (0, 1).
//
// Wilson rather than the normal approximation because the counts here are
// small and often near 0 or n, where p ± z·sqrt(p(1−p)/n) collapses to a
// point or leaves [0, 1].
func Wilson(successes float64, n int) (lo, hi float64) {
	if n <= 0 {
		return 0, 1
	}
	nf := float64(n)
	s := min(max(successes, 0), nf)
	if math.IsNaN(s) {
		return 0, 1
	}
	p := s / nf
	z2 := Z95 * Z95
	denom := 1 + z2/nf
	center := (p + z2/(2*nf)) / denom
	half := Z95 / denom * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf))
	// At p = 0 or 1 one bound is exactly 0 or 1 in exact arithmetic;
	// clamping removes the rounding that would put it a hair outside.
	return max(center-half, 0), min(center+half, 1)
}
