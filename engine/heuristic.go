package engine

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/popi-tui/popi-tui/engine/eval/stats"
	"github.com/popi-tui/popi-tui/store"
)

// The heuristic summarizer (README, Configuration) is the offline engine's
// summarizer: a real baseline that needs no model. It measures the same
// features on the preferred (chosen) and the dispreferred (rejected)
// response of each of a user's history pairs — length, sentence length,
// reading level, lists, headings, code, bold, term definitions, questions,
// exclamations, emoji, hedging, citations, person, register — and reports
// the features on which the preferred answers differ consistently, citing
// the counts and medians it computed. It never sees held-out pairs, tasks,
// texts, the profile or the persona: only history pairs.
//
// The rule for "consistent". For one feature, let n be the number of
// history pairs on which the feature is defined (all N pairs, except for
// sentence length and reading level, which need at least
// heurMinStyleWords prose words in both answers). On each of those pairs
// the preferred answer scores higher ("up"), lower ("down") or the same
// (within the feature's tolerance). Let k = max(up, down) and
// opp = min(up, down); the direction is the larger side. The feature is a
// preference when all of these hold:
//
//   - k > opp (no tie);
//   - k ≥ min(3, N): at least 3 pairs agree, or all pairs when the user
//     has fewer than 3;
//   - 4·k ≥ 3·(up+down): at least 75% of the pairs that differ agree;
//   - 2·k > n: the agreeing pairs are more than half of the pairs.
//
// Preferences are ranked by strength = ((k − opp) / n) × |mean d|, the
// net consistency times the effect size, where d = (c − r) / (|c| + |r| + 1)
// on each pair (c − r for yes/no features; 0 when the pair counts as
// equal), so d lies in (−1, 1]; the + 1 makes one emoji against none weaker
// evidence than five against none. Ties go to the larger k, then to the
// feature's place in heurFeatures. The summary is a headline from the top
// three, then up to heurMaxBullets bullets with their evidence, then a line
// saying what it is. Medians are over the n pairs, of the preferred and of
// the dispreferred answers separately.

const (
	heurMaxBullets    = 6
	heurMaxChars      = 1200
	heurMinStyleWords = 15
)

// heurPref is one feature's tally over the pairs.
type heurPref struct {
	f             *heurFeature
	n, up, down   int
	k, opp        int
	more          bool
	strength      float64
	medC, medR    float64
	chosenYes     int // binary features: preferred answers with the feature
	rejectedYes   int
	consistent    bool
	meanDirection float64
}

// errNoPairs is a user the heuristic cannot summarize: it reads history
// pairs only, where a model reads texts and a profile too. A bulk run
// counts it under its own reason, which says so.
var errNoPairs = fmt.Errorf("no history pairs (the heuristic reads pairs only; texts and a profile need a model): %w", store.ErrNoHistory)

// HeuristicSummary writes a plain-English summary of a user's preferences
// from their history pairs alone, by contrasting the preferred with the
// dispreferred responses on measurable features (see the rule above). It
// returns an error wrapping store.ErrNoHistory when there are no history
// pairs. The output is deterministic and at most about 1,200 characters.
func HeuristicSummary(signals []store.Signal) (string, error) {
	history := func(s *store.Signal) bool { return s.Kind == store.KindPair && s.Split == store.SplitHistory }
	n := 0
	for i := range signals {
		if history(&signals[i]) {
			n++
		}
	}
	if n == 0 {
		return "", fmt.Errorf("heuristic summary: %w", errNoPairs)
	}
	// Every slice is made once at its size: a bulk run summarizes a million
	// users, and growing them was garbage.
	chosen, rejected := make([]heurStats, 0, n), make([]heurStats, 0, n)
	for i := range signals {
		if s := &signals[i]; history(s) {
			chosen = append(chosen, heurAnalyze(s.Chosen))
			rejected = append(rejected, heurAnalyze(s.Rejected))
		}
	}

	prefs := make([]heurPref, 0, len(heurFeatures))
	scratch := make([]float64, 3*n)
	for i := range heurFeatures {
		p := heurTally(&heurFeatures[i], chosen, rejected, scratch)
		if p.consistent {
			prefs = append(prefs, p)
		}
	}
	slices.SortStableFunc(prefs, func(a, b heurPref) int {
		switch {
		case a.strength > b.strength:
			return -1
		case a.strength < b.strength:
			return 1
		}
		return b.k - a.k
	})

	footer := fmt.Sprintf("Heuristic baseline computed from %d history %s by counting features; not a language model's inference.",
		n, heurPlural(n, "pair", "pairs"))
	if len(prefs) == 0 {
		return fmt.Sprintf("No consistent preference in style or length across the %d history %s; the pairs may differ in content rather than form.\n%s",
			n, heurPlural(n, "pair", "pairs"), footer), nil
	}
	if len(prefs) > heurMaxBullets {
		prefs = prefs[:heurMaxBullets]
	}
	var out strings.Builder
	for {
		out.Reset()
		out.WriteString(heurHeadline(prefs))
		out.WriteByte('\n')
		for i := range prefs {
			out.WriteString("- ")
			out.WriteString(heurBullet(&prefs[i]))
			out.WriteByte('\n')
		}
		out.WriteString(footer)
		if out.Len() <= heurMaxChars || len(prefs) == 1 {
			return out.String(), nil
		}
		prefs = prefs[:len(prefs)-1]
	}
}

// heurTally compares one feature over the pairs and applies the rule.
// scratch holds 3·len(chosen) values, for the values and differences.
func heurTally(f *heurFeature, chosen, rejected []heurStats, scratch []float64) heurPref {
	p := heurPref{f: f}
	n := len(chosen)
	cv, rv, ds := scratch[:0:n], scratch[n:n:2*n], scratch[2*n:2*n:3*n]
	for i := range chosen {
		c, r := &chosen[i], &rejected[i]
		if f.minWords > 0 && (c.proseWords < f.minWords || r.proseWords < f.minWords) {
			continue
		}
		a, b := f.value(c), f.value(r)
		p.n++
		cv, rv = append(cv, a), append(rv, b)
		if a > 0 {
			p.chosenYes++
		}
		if b > 0 {
			p.rejectedYes++
		}
		diff := math.Abs(a - b)
		if diff <= f.absTol || diff <= f.relTol*math.Max(math.Abs(a), math.Abs(b)) {
			continue
		}
		if a > b {
			p.up++
		} else {
			p.down++
		}
		if f.binary {
			ds = append(ds, a-b)
		} else {
			ds = append(ds, (a-b)/(math.Abs(a)+math.Abs(b)+1))
		}
	}
	if p.n == 0 {
		return p
	}
	p.more = p.up > p.down
	p.k, p.opp = max(p.up, p.down), min(p.up, p.down)
	total := len(chosen)
	p.consistent = p.k > p.opp &&
		p.k >= min(3, total) &&
		4*p.k >= 3*(p.up+p.down) &&
		2*p.k > p.n
	// Sum in a fixed order, so that the order of the pairs cannot change
	// the ranking through rounding.
	slices.Sort(ds)
	sumD := 0.0
	for _, d := range ds {
		sumD += d
	}
	p.meanDirection = sumD / float64(p.n)
	p.strength = float64(p.k-p.opp) / float64(p.n) * math.Abs(p.meanDirection)
	p.medC, p.medR = stats.Median(cv), stats.Median(rv)
	return p
}
