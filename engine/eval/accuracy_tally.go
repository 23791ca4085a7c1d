package eval

import (
	"maps"
	"math"
	"slices"
	"sort"
	"sync"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/engine/eval/stats"
)

// Adding up preference accuracy: each scored pair's margin, DPO
// quantities and verdict per condition, over every user and per dataset,
// and each pair's scores for --pairs-out.

// PairScore is one held-out pair scored under one condition: the
// generator's and the reference's log-probabilities of both responses and
// what DPO makes of them at the run's β (stats.PairDPO). Its JSON is a
// line of eval --pairs-out.
type PairScore struct {
	User      string `json:"user"`
	Pair      string `json:"pair"` // the held-out pair's id
	Condition string `json:"condition"`
	// LogpChosen and LogpRejected are the generator's log-probabilities
	// of the responses under the condition; RefLogpChosen and
	// RefLogpRejected the reference's after the prompt alone.
	LogpChosen      float64 `json:"logp_chosen"`
	LogpRejected    float64 `json:"logp_rejected"`
	RefLogpChosen   float64 `json:"ref_logp_chosen"`
	RefLogpRejected float64 `json:"ref_logp_rejected"`
	// TokensChosen and TokensRejected are how many of the generator's
	// tokens the responses' sums are over (the end of turn included when
	// it counts).
	TokensChosen   int     `json:"tokens_chosen"`
	TokensRejected int     `json:"tokens_rejected"`
	Margin         float64 `json:"margin"`
	RewardChosen   float64 `json:"reward_chosen"`
	RewardRejected float64 `json:"reward_rejected"`
	DPOLoss        float64 `json:"dpo_loss"`
	// Correct is 1 when the margin is positive, 0 when negative, and ½
	// for a tie (within tieTolerance).
	Correct float64 `json:"correct"`
}

// pairKey names a scored pair: whose, which, how the run's report names
// it, its user's dataset, and its place among the run's pairs.
type pairKey struct {
	user, pair, item, dataset string
	seq                       int
}

// accuracyTally adds up pair results per condition, over every user and
// per dataset, safely from the batch runner's workers.
type accuracyTally struct {
	mu         sync.Mutex
	conditions []string
	beta       float64
	all        conditionSums
	byDataset  map[string]conditionSums // nil unless grouping by dataset
	keepPairs  bool
	pairs      []seqPair
}

// conditionSums are a set of users' sums, per condition.
type conditionSums map[string]*rowSums

// rowSums are one condition's counts and sums.
type rowSums struct {
	row            AccuracyRow
	context        int
	margin, losses float64
}

// seqPair is a kept PairScore and its pair's place in the run.
type seqPair struct {
	seq   int
	score PairScore
}

func newAccuracyTally(opt AccuracyOptions) *accuracyTally {
	t := &accuracyTally{conditions: opt.Conditions, beta: opt.Beta, all: newConditionSums(opt.Conditions), keepPairs: opt.KeepPairs}
	if opt.ByDataset {
		t.byDataset = map[string]conditionSums{}
	}
	return t
}

func newConditionSums(conditions []string) conditionSums {
	g := conditionSums{}
	for _, c := range conditions {
		g[c] = &rowSums{row: AccuracyRow{Condition: c}}
	}
	return g
}

// add counts a pair's result under every condition asked for.
func (t *accuracyTally) add(res pairResult, k pairKey) {
	t.mu.Lock()
	defer t.mu.Unlock()
	groups := []conditionSums{t.all}
	if t.byDataset != nil {
		g, ok := t.byDataset[k.dataset]
		if !ok {
			g = newConditionSums(t.conditions)
			t.byDataset[k.dataset] = g
		}
		groups = append(groups, g)
	}
	for _, c := range t.conditions {
		sc, scored := res.scores[c]
		var p PairScore
		if scored {
			p = t.pairScore(res, k, c, sc)
			if t.keepPairs {
				t.pairs = append(t.pairs, seqPair{k.seq, p})
			}
		}
		for _, g := range groups {
			r := g[c]
			switch {
			case res.failed[c] != nil:
				r.row.Failed++
				r.row.Errors = engine.CountError(r.row.Errors, k.item, res.failed[c])
			case scored:
				r.addPair(p, res.context[c])
			case slices.Contains(res.skipped, c):
				r.row.Skipped++
			}
		}
	}
}

// pairScore is what DPO makes of the pair's scores under condition c.
func (t *accuracyTally) pairScore(res pairResult, k pairKey, c string, sc [2]float64) PairScore {
	d := stats.PairDPO(t.beta, sc[0], sc[1], res.ref[0], res.ref[1])
	return PairScore{User: k.user, Pair: k.pair, Condition: c,
		LogpChosen: sc[0], LogpRejected: sc[1], RefLogpChosen: res.ref[0], RefLogpRejected: res.ref[1],
		TokensChosen: res.tokens[0], TokensRejected: res.tokens[1],
		Margin: d.Margin, RewardChosen: d.RewardChosen, RewardRejected: d.RewardRejected, DPOLoss: d.Loss,
		Correct: correctness(d.Margin)}
}

// correctness is a pair's verdict from its margin: 1 correct, ½ a tie,
// 0 wrong.
func correctness(margin float64) float64 {
	switch {
	case math.Abs(margin) <= tieTolerance:
		return 0.5
	case margin > 0:
		return 1
	}
	return 0
}

func (r *rowSums) addPair(p PairScore, context int) {
	r.row.Pairs++
	switch p.Correct {
	case 1:
		r.row.Correct++
	case 0.5:
		r.row.Ties++
	default:
		r.row.Wrong++
	}
	r.context += context
	r.margin += p.Margin
	r.losses += p.DPOLoss
}

// result is the rows over every user, the rows of each dataset (by
// name) when grouping, and the kept pair scores in the order of the
// run's pairs (each pair's conditions in the order asked).
func (t *accuracyTally) result() ([]AccuracyRow, []AccuracyDataset, []PairScore) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var byDataset []AccuracyDataset
	for _, d := range slices.Sorted(maps.Keys(t.byDataset)) {
		byDataset = append(byDataset, AccuracyDataset{Dataset: d, Rows: t.byDataset[d].rows(t.conditions)})
	}
	var pairs []PairScore
	if t.keepPairs {
		sort.SliceStable(t.pairs, func(i, j int) bool { return t.pairs[i].seq < t.pairs[j].seq })
		pairs = make([]PairScore, len(t.pairs))
		for i, p := range t.pairs {
			pairs[i] = p.score
		}
	}
	return t.all.rows(t.conditions), byDataset, pairs
}

// rows is the finished row of each condition, in the order asked.
func (g conditionSums) rows(conditions []string) []AccuracyRow {
	out := make([]AccuracyRow, 0, len(conditions))
	for _, c := range conditions {
		s := g[c]
		r := s.row
		r.Errors = slices.Clone(r.Errors)
		if r.Errors == nil {
			r.Errors = []engine.ErrorCount{}
		}
		engine.SortErrors(r.Errors)
		r.Low, r.High = stats.Wilson(0, 0) // no pairs: nothing is known
		if r.Pairs > 0 {
			n := float64(r.Pairs)
			wins := float64(r.Correct) + float64(r.Ties)/2
			r.Accuracy = wins / n
			r.Low, r.High = stats.Wilson(wins, r.Pairs)
			r.MeanContextTokens = float64(s.context) / n
			r.MeanMargin, r.MeanLoss = s.margin/n, s.losses/n
		}
		out = append(out, r)
	}
	return out
}
