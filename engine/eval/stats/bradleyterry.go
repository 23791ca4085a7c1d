package stats

import (
	"fmt"
	"math"
)

// Tally is what happened between two players A and B: how often each beat
// the other and how often they tied.
type Tally struct {
	A, B         string
	AWins, BWins int
	Ties         int
}

// Why a player's strength is not estimable.
const (
	ReasonNoGames   = "no comparisons"
	ReasonNeverLost = "never lost" // nor tied: its strength runs to +∞
	ReasonNeverWon  = "never won"  // nor tied: its strength runs to −∞
	// ReasonApart: the player is outside the main strongly connected
	// group (compared only within another group, or always ahead of or
	// behind the main group), so no finite strength is comparable with it.
	ReasonApart = "not strongly connected to the main group"
)

// Strength is one player's Bradley–Terry strength on the log scale: the
// probability that i beats j is 1/(1 + e^(θj − θi)).
type Strength struct {
	Player    string
	Estimable bool
	Reason    string  // why not, when not estimable
	Theta     float64 // the estimable players' thetas sum to 0
	SE        float64 // standard error of Theta under that constraint
	Lo, Hi    float64 // Theta ± Z95·SE
}

// BTFit is a Bradley–Terry fit.
type BTFit struct {
	Strengths []Strength // in the order players were named
	// StronglyConnected: every player beat or tied, through a chain of
	// comparisons, every other. Only then does the maximum-likelihood
	// estimate exist for all of them.
	StronglyConnected bool
	Iterations        int // Newton steps
}

// BradleyTerry fits strengths by maximum likelihood. players lists the
// players in the order wanted (players named only in tallies follow, in
// order of appearance); a tie counts as half a win for each side.
//
// The likelihood has a finite maximum only when the comparison graph (an
// edge i→j when i beat or tied j) is strongly connected: otherwise some
// strengths run off to ±∞. So the fit is made over the main strongly
// connected group (the one with the most players, then the most
// comparisons) from the comparisons inside it, θ summing to 0 over it, and
// every other player is marked not estimable with the reason, rather than
// given a huge number. Within a group that is exactly the limit of the
// full likelihood's maximizing sequence: comparisons with players outside
// it end up with probability 0 or 1 and carry no information.
//
// The maximum is found by Newton's method with a backtracking line search
// (the log-likelihood is concave, so it converges from θ = 0, in a few
// steps where Hunter's MM algorithm needs hundreds on lopsided data).
// Standard errors come from the Fisher information I (observed equals
// expected for this model): under Σθ = 0 the covariance is the
// pseudo-inverse of I, computed as (I + 11ᵀ/m)⁻¹ − 11ᵀ/m because I's null
// space is exactly the constant vectors.
func BradleyTerry(players []string, tallies []Tally) (BTFit, error) {
	index := map[string]int{}
	var names []string
	add := func(p string) int {
		i, ok := index[p]
		if !ok {
			i = len(names)
			index[p] = i
			names = append(names, p)
		}
		return i
	}
	for _, p := range players {
		add(p)
	}
	for _, t := range tallies {
		switch {
		case t.A == t.B:
			return BTFit{}, fmt.Errorf("bradley-terry: %q compared with itself", t.A)
		case t.AWins < 0 || t.BWins < 0 || t.Ties < 0:
			return BTFit{}, fmt.Errorf("bradley-terry: negative count between %q and %q", t.A, t.B)
		}
		add(t.A)
		add(t.B)
	}
	k := len(names)
	// w[i][j]: i's wins over j, ties counted half.
	w := make([][]float64, k)
	for i := range w {
		w[i] = make([]float64, k)
	}
	for _, t := range tallies {
		i, j := index[t.A], index[t.B]
		w[i][j] += float64(t.AWins) + float64(t.Ties)/2
		w[j][i] += float64(t.BWins) + float64(t.Ties)/2
	}

	fit := BTFit{Strengths: make([]Strength, k)}
	for i, p := range names {
		fit.Strengths[i] = Strength{Player: p}
	}
	comps := strongComponents(w)
	fit.StronglyConnected = k >= 2 && len(comps) == 1
	main := mainGroup(w, comps)
	inMain := make([]bool, k)
	for _, i := range main {
		inMain[i] = true
	}
	for i := range names {
		if !inMain[i] {
			fit.Strengths[i].Reason = whyNot(w, i)
		}
	}
	if len(main) < 2 {
		return fit, nil
	}
	theta, cov, iters, err := fitGroup(w, main)
	if err != nil {
		return BTFit{}, err
	}
	fit.Iterations = iters
	for a, i := range main {
		se := math.Sqrt(max(cov[a][a], 0))
		fit.Strengths[i] = Strength{Player: names[i], Estimable: true, Theta: theta[a], SE: se,
			Lo: theta[a] - Z95*se, Hi: theta[a] + Z95*se}
	}
	return fit, nil
}

// whyNot says why player i, outside the main group, has no strength.
func whyNot(w [][]float64, i int) string {
	var out, in float64
	for j := range w {
		out += w[i][j]
		in += w[j][i]
	}
	switch {
	case out == 0 && in == 0:
		return ReasonNoGames
	case in == 0:
		return ReasonNeverLost
	case out == 0:
		return ReasonNeverWon
	}
	return ReasonApart
}

// mainGroup picks the strongly connected component to fit: the most
// players, then the most comparisons inside it, then the earliest player.
// It is nil when no component has two players.
func mainGroup(w [][]float64, comps [][]int) []int {
	var best []int
	bestGames := 0.0
	for _, c := range comps { // comps come earliest-player first
		if len(c) < 2 {
			continue
		}
		games := 0.0
		for _, i := range c {
			for _, j := range c {
				games += w[i][j]
			}
		}
		if len(c) > len(best) || len(c) == len(best) && games > bestGames {
			best, bestGames = c, games
		}
	}
	return best
}
