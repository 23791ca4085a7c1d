package eval

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/popi-tui/popi-tui/engine/eval/stats"
	"github.com/popi-tui/popi-tui/store"
)

// What people's labels say: part of the human half of `popi-tui eval`
// (context saving, in context.go, is the other). It reads the store only;
// the formulas are in engine/eval/stats.

// LabelReport summarizes the current decisions (retractions applied, the
// newest decision per annotator and item).
type LabelReport struct {
	Decisions  int              `json:"decisions"` // current decisions, skips left out
	Skips      int              `json:"skips"`
	Candidates []CandidateStats `json:"candidates"` // by name
	// StronglyConnected: every candidate beat or tied every other through
	// a chain of comparisons, so every Bradley–Terry strength is estimable
	// and on one scale.
	StronglyConnected bool             `json:"strongly_connected"`
	Annotators        []AnnotatorStats `json:"annotators"` // by name
	// Replay is agreement with the dataset's own choice, on replayed
	// held-out pairs.
	Replay         ReplayAgreement `json:"replay_agreement"`
	InterAnnotator InterAnnotator  `json:"inter_annotator"`
}

// CandidateStats is how one candidate fared. Wins, losses and ties count
// pairwise outcomes (a decision between three candidates gives three);
// Decisions and BothBad count decisions.
type CandidateStats struct {
	Name      string `json:"name"` // "backend (condition)", or "replay (chosen)" for a replayed answer
	Backend   string `json:"backend"`
	Condition string `json:"condition,omitempty"`
	Replay    string `json:"replay,omitempty"`
	Decisions int    `json:"decisions"` // decisions it was shown in, skips left out
	Wins      int    `json:"wins"`
	Losses    int    `json:"losses"`
	Ties      int    `json:"ties"`
	BothBad   int    `json:"both_bad"`
	// WinRate is (wins + ties/2) / (wins + losses + ties), 0 with no
	// outcome, with its Wilson 95% interval ([0, 1] with no outcome). The
	// interval treats outcomes as independent, which pairs from one
	// decision among three or four candidates are not: it is then a little
	// too narrow.
	WinRate  float64    `json:"win_rate"`
	Low      float64    `json:"ci95_low"`
	High     float64    `json:"ci95_high"`
	Strength BTStrength `json:"bradley_terry"`
}

// BTStrength is a Bradley–Terry strength on the log scale, θ summing to 0
// over the estimable candidates: e^(θi − θj) is the odds that i is
// preferred to j.
type BTStrength struct {
	Estimable bool    `json:"estimable"`
	Theta     float64 `json:"theta"`
	SE        float64 `json:"se"`
	Low       float64 `json:"ci95_low"`
	High      float64 `json:"ci95_high"`
	// Reason says why not estimable: stats.ReasonNoGames, ReasonNeverLost,
	// ReasonNeverWon or ReasonApart.
	Reason string `json:"reason,omitempty"`
}

// AnnotatorStats is one annotator's work.
type AnnotatorStats struct {
	Annotator string `json:"annotator"`
	Decisions int    `json:"decisions"` // current decisions, skips left out
	Skips     int    `json:"skips"`
	// MedianDecisionTime is the median of DecidedAt − ShownAt over the
	// decisions (not skips: a skip is quick and says nothing of the time
	// a judgement takes) where it is positive, of which there are Timed.
	MedianDecisionTime time.Duration   `json:"median_decision_ns"`
	Timed              int             `json:"timed"`
	Replay             ReplayAgreement `json:"replay_agreement"`
}

// ReplayAgreement counts, over decisions on replayed held-out pairs that
// name a best pane (a verdict, as the Compare screen counts them: a
// ranking does not count), those that picked the dataset's chosen
// response.
type ReplayAgreement struct {
	Agree    int     `json:"agree"`
	Decisive int     `json:"decisive"`
	Rate     float64 `json:"rate"` // agree/decisive, 0 when none
	Low      float64 `json:"ci95_low"`
	High     float64 `json:"ci95_high"`
}

// Inter-annotator agreement methods.
const (
	AgreementCohen  = "cohen"  // exactly two annotators: Cohen's κ over the items both rated
	AgreementFleiss = "fleiss" // three or more: Fleiss' κ over items rated by two or more
)

// InterAnnotator is agreement between annotators on the items several of
// them rated. An item is a user's prompt under one comparison; a rating
// is the slot of the best candidate (its place in the comparison, the same
// for everyone whatever pane it was shown in), "tie" or "both_bad"; a
// ranking rates its first; skips are left out.
type InterAnnotator struct {
	Method     string `json:"method,omitempty"` // AgreementCohen, AgreementFleiss, or "" with fewer than two annotators
	Annotators int    `json:"annotators"`       // who rated anything
	Items      int    `json:"items"`            // the items the κ is over
	// Kappa is null when it cannot be computed (see Note).
	Kappa *float64 `json:"kappa"`
	// ObservedAgreement is the share of agreeing pairs of ratings (for
	// Cohen, of items), defined even when Kappa is not.
	ObservedAgreement float64         `json:"observed_agreement"`
	Note              string          `json:"note,omitempty"`
	Pairs             []AnnotatorPair `json:"pairs"` // pairs of annotators who share an item
}

// AnnotatorPair is Cohen's κ between two annotators over the items both
// rated.
type AnnotatorPair struct {
	A                 string   `json:"a"`
	B                 string   `json:"b"`
	Items             int      `json:"items"`
	Kappa             *float64 `json:"kappa"`
	ObservedAgreement float64  `json:"observed_agreement"`
	Note              string   `json:"note,omitempty"`
}

// LabelStats reads every current decision once and reports on them. The
// decisions are those the exports read (store.ScanDecisions: which are
// current is worked out without holding every label), decoded on every
// core and tallied in storage order.
func LabelStats(db *store.DB) (LabelReport, error) {
	t := newLabelTally()
	decode := func(d store.StoredDecision) (store.Label, error) {
		var l store.Label
		err := json.Unmarshal(d.Record, &l)
		return l, err
	}
	err := store.ScanDecisions(db, store.DecisionScan{Records: true}, decode, func(l store.Label) error { t.add(l); return nil })
	if err != nil {
		return LabelReport{}, fmt.Errorf("label stats: %w", err)
	}
	return t.report()
}

// labelTally accumulates what LabelStats reports, decision by decision.
type labelTally struct {
	rep        LabelReport
	cands      map[string]*CandidateStats
	pairs      map[[2]string]*stats.Tally // by the two names, in order
	annotators map[string]*AnnotatorStats
	times      map[string][]time.Duration
	// ratings[item][annotator] is the annotator's rating of the item.
	ratings map[string]map[string]string
}

func newLabelTally() *labelTally {
	return &labelTally{cands: map[string]*CandidateStats{}, pairs: map[[2]string]*stats.Tally{},
		annotators: map[string]*AnnotatorStats{}, times: map[string][]time.Duration{},
		ratings: map[string]map[string]string{}}
}

// candidateName is how a candidate is reported: "vllm (summary)",
// "replay (chosen)".
func candidateName(c store.Candidate) string {
	if c.Replay != "" {
		return c.Backend + " (" + c.Replay + ")"
	}
	return c.Backend + " (" + c.Condition + ")"
}

func (t *labelTally) add(l store.Label) {
	a := t.annotators[l.Annotator]
	if a == nil {
		a = &AnnotatorStats{Annotator: l.Annotator}
		t.annotators[l.Annotator] = a
	}
	if l.Verdict == store.VerdictSkip {
		t.rep.Skips++
		a.Skips++
		return
	}
	t.rep.Decisions++
	a.Decisions++
	if d := l.DecidedAt.Sub(l.ShownAt); d > 0 {
		t.times[l.Annotator] = append(t.times[l.Annotator], d)
	}

	names := make([]string, len(l.Candidates))
	seen := map[string]bool{}
	for i, c := range l.Candidates {
		names[i] = candidateName(c)
		cs := t.cands[names[i]]
		if cs == nil {
			cs = &CandidateStats{Name: names[i], Backend: c.Backend, Condition: c.Condition, Replay: c.Replay}
			t.cands[names[i]] = cs
		}
		// One decision counts once per candidate, even if the same
		// candidate were shown twice.
		if !seen[names[i]] {
			seen[names[i]] = true
			cs.Decisions++
			if l.Verdict == store.VerdictBothBad {
				cs.BothBad++
			}
		}
	}

	rating := t.outcomes(l, names)
	if agree, decisive := l.AgreesWithDataset(); decisive {
		t.rep.Replay.Decisive++
		a.Replay.Decisive++
		if agree {
			t.rep.Replay.Agree++
			a.Replay.Agree++
		}
	}

	if rating != "" {
		// The item as Label.ItemKey names it, less the annotator: what
		// several annotators judged alike.
		item := l.User + "\x00" + l.PromptID + "\x00" + store.Comparison(l.Candidates)
		if t.ratings[item] == nil {
			t.ratings[item] = map[string]string{}
		}
		t.ratings[item][l.Annotator] = rating
	}
}

// outcomes counts the pairwise outcomes of a decision (names[i] is the
// name of candidate i) and returns its rating for inter-annotator
// agreement: the slot of the best candidate, "tie" or "both_bad".
//   - a pane letter: that pane's candidate beats every other;
//   - "tie": every pair ties;
//   - a ranking: each candidate beats every one ranked below it, those
//     ranked equal tie, and the first is the best;
//   - "both_bad": no outcome.
func (t *labelTally) outcomes(l store.Label, names []string) string {
	switch {
	case l.Verdict == store.VerdictTie:
		for i := range names {
			for j := i + 1; j < len(names); j++ {
				t.tie(names[i], names[j])
			}
		}
		return store.VerdictTie
	case l.Verdict == store.VerdictBothBad:
		return store.VerdictBothBad
	case l.Verdict == "" && len(l.Ranking) > 0:
		return t.ranking(l, names)
	default:
		best := slices.IndexFunc(l.Candidates, func(c store.Candidate) bool { return c.Pane == l.Verdict })
		if best < 0 {
			return "" // names no pane: the store refuses such a decision
		}
		for j := range names {
			if j != best {
				t.win(names[best], names[j])
			}
		}
		return strconv.Itoa(l.Candidates[best].Slot)
	}
}

// ranking counts a ranking's outcomes: each candidate beats every one of
// a lower rank, and candidates ranked equal tie. Its rating is the best
// candidate's slot, or "tie" when several share the first rank.
func (t *labelTally) ranking(l store.Label, names []string) string {
	var ranks [][]int // candidate indexes, best rank first
	for _, g := range store.RankGroups(l.Ranking) {
		var rank []int
		for _, p := range g {
			if i := slices.IndexFunc(l.Candidates, func(c store.Candidate) bool { return c.Pane == p }); i >= 0 {
				rank = append(rank, i)
			}
		}
		ranks = append(ranks, rank)
	}
	for x, rank := range ranks {
		for y, i := range rank {
			for _, j := range rank[y+1:] {
				t.tie(names[i], names[j])
			}
			for _, lower := range ranks[x+1:] {
				for _, j := range lower {
					t.win(names[i], names[j])
				}
			}
		}
	}
	switch {
	case len(ranks) == 0 || len(ranks[0]) == 0:
		return ""
	case len(ranks[0]) > 1:
		return store.VerdictTie
	}
	return strconv.Itoa(l.Candidates[ranks[0][0]].Slot)
}

// pair returns the tally between two names, and whether a is its A.
func (t *labelTally) pair(a, b string) (*stats.Tally, bool) {
	key, first := [2]string{a, b}, true
	if b < a {
		key, first = [2]string{b, a}, false
	}
	p := t.pairs[key]
	if p == nil {
		p = &stats.Tally{A: key[0], B: key[1]}
		t.pairs[key] = p
	}
	return p, first
}

func (t *labelTally) win(winner, loser string) {
	t.cands[winner].Wins++
	t.cands[loser].Losses++
	if winner == loser {
		return // the same candidate shown twice: nothing for Bradley–Terry
	}
	if p, first := t.pair(winner, loser); first {
		p.AWins++
	} else {
		p.BWins++
	}
}

func (t *labelTally) tie(a, b string) {
	t.cands[a].Ties++
	t.cands[b].Ties++
	if a != b {
		p, _ := t.pair(a, b)
		p.Ties++
	}
}

func (t *labelTally) report() (LabelReport, error) {
	rep := t.rep
	rep.Replay.finish()

	names := slices.Sorted(maps.Keys(t.cands))
	tallies := make([]stats.Tally, 0, len(t.pairs))
	// In a fixed order: the fit's arithmetic, to the last bit, should not
	// depend on map order.
	keys := slices.SortedFunc(maps.Keys(t.pairs), func(a, b [2]string) int {
		return cmp.Or(strings.Compare(a[0], b[0]), strings.Compare(a[1], b[1]))
	})
	for _, k := range keys {
		tallies = append(tallies, *t.pairs[k])
	}
	fit, err := stats.BradleyTerry(names, tallies)
	if err != nil {
		return LabelReport{}, fmt.Errorf("label stats: %w", err)
	}
	rep.StronglyConnected = fit.StronglyConnected
	rep.Candidates = make([]CandidateStats, len(names))
	for i, name := range names {
		c := *t.cands[name]
		n := c.Wins + c.Losses + c.Ties
		score := float64(c.Wins) + float64(c.Ties)/2
		if n > 0 {
			c.WinRate = score / float64(n)
		}
		c.Low, c.High = stats.Wilson(score, n)
		s := fit.Strengths[i] // in the order of names
		c.Strength = BTStrength{Estimable: s.Estimable, Theta: s.Theta, SE: s.SE, Low: s.Lo, High: s.Hi, Reason: s.Reason}
		rep.Candidates[i] = c
	}

	rep.Annotators = make([]AnnotatorStats, 0, len(t.annotators))
	for _, name := range slices.Sorted(maps.Keys(t.annotators)) {
		a := *t.annotators[name]
		a.MedianDecisionTime = stats.MedianDuration(t.times[name])
		a.Timed = len(t.times[name])
		a.Replay.finish()
		rep.Annotators = append(rep.Annotators, a)
	}
	rep.InterAnnotator = interAnnotator(t.ratings)
	return rep, nil
}

func (r *ReplayAgreement) finish() {
	if r.Decisive > 0 {
		r.Rate = float64(r.Agree) / float64(r.Decisive)
	}
	r.Low, r.High = stats.Wilson(float64(r.Agree), r.Decisive)
}

// interAnnotator measures agreement over ratings[item][annotator].
func interAnnotator(ratings map[string]map[string]string) InterAnnotator {
	items := slices.Sorted(maps.Keys(ratings))
	who := map[string]bool{}
	for _, r := range ratings {
		for a := range r {
			who[a] = true
		}
	}
	annotators := slices.Sorted(maps.Keys(who))
	ia := InterAnnotator{Annotators: len(annotators), Pairs: []AnnotatorPair{}}

	for x, a := range annotators {
		for _, b := range annotators[x+1:] {
			var ra, rb []string
			for _, it := range items {
				va, okA := ratings[it][a]
				vb, okB := ratings[it][b]
				if okA && okB {
					ra, rb = append(ra, va), append(rb, vb)
				}
			}
			if len(ra) == 0 {
				continue
			}
			p := AnnotatorPair{A: a, B: b, Items: len(ra), ObservedAgreement: labelShareEqual(ra, rb)}
			if len(ra) < 2 {
				p.Note = "one shared item: kappa needs two"
			} else {
				p.Kappa, p.Note = kappaOrNote(stats.CohenKappa(ra, rb))
			}
			ia.Pairs = append(ia.Pairs, p)
		}
	}

	switch {
	case len(annotators) < 2:
		ia.Note = "fewer than two annotators"
	case len(annotators) == 2:
		ia.Method = AgreementCohen
		if len(ia.Pairs) == 0 {
			ia.Note = "no item rated by both annotators"
			break
		}
		p := ia.Pairs[0]
		ia.Items, ia.Kappa, ia.ObservedAgreement, ia.Note = p.Items, p.Kappa, p.ObservedAgreement, p.Note
	default:
		ia.Method = AgreementFleiss
		counts := fleissCounts(ratings, items)
		ia.Items = len(counts)
		if len(counts) < 2 {
			ia.Note = fmt.Sprintf("%d items rated by two or more annotators: kappa needs two", len(counts))
			break
		}
		if obs, _, err := stats.FleissAgreement(counts); err == nil {
			ia.ObservedAgreement = obs
		}
		ia.Kappa, ia.Note = kappaOrNote(stats.FleissKappa(counts))
	}
	return ia
}

// fleissCounts is the Fleiss table of the items rated by two or more:
// per item, how many ratings fell in each category (categories in sorted
// order).
func fleissCounts(ratings map[string]map[string]string, items []string) [][]int {
	cats := map[string]int{}
	var shared []string
	for _, it := range items {
		if len(ratings[it]) < 2 {
			continue
		}
		shared = append(shared, it)
		for _, v := range ratings[it] {
			cats[v] = 0
		}
	}
	for i, c := range slices.Sorted(maps.Keys(cats)) {
		cats[c] = i
	}
	counts := make([][]int, len(shared))
	for i, it := range shared {
		counts[i] = make([]int, len(cats))
		for _, v := range ratings[it] {
			counts[i][cats[v]]++
		}
	}
	return counts
}

// kappaOrNote turns a κ and its error into what the report shows: the
// value, or null and why.
func kappaOrNote(k float64, err error) (*float64, string) {
	switch {
	case errors.Is(err, stats.ErrNoVariation):
		return nil, "every rating is the same: agreement is complete but kappa is undefined"
	case err != nil:
		return nil, err.Error()
	}
	return &k, ""
}

func labelShareEqual(a, b []string) float64 {
	same := 0
	for i := range a {
		if a[i] == b[i] {
			same++
		}
	}
	return float64(same) / float64(len(a))
}
