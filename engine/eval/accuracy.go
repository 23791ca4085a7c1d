package eval

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/engine/eval/stats"
	"github.com/popi-tui/popi-tui/store"
)

// Preference accuracy (the POPI paper's metric): on each held-out pair
// (x, y_w, y_l) a response is scored r(y) = log p(y | conditioned input) −
// log p_ref(y | x alone), both from the same backend; the pair is correct
// when r(y_w) > r(y_l), and a tie counts ½. The conditioned input is
// exactly what the generator is sent under the condition; the reference
// is the none condition (the prompt alone), so none itself scores every
// pair a tie: the floor that says the backend learnt nothing.

// Which of a user's summaries conditions the summary condition.
const (
	SummaryCurrent   = "current"   // the current version, whatever wrote it
	SummaryModel     = "model"     // the newest a model wrote
	SummaryHuman     = "human"     // the newest a person wrote or edited
	SummaryHeuristic = "heuristic" // the newest of the offline baseline
)

// AccuracyOptions choose what preference accuracy measures.
type AccuracyOptions struct {
	Backend     string   // a generator on a server that scores given responses (vLLM)
	Summary     string   // SummaryCurrent (default), SummaryModel, SummaryHuman or SummaryHeuristic
	Conditions  []string // store.ConditionSummary (default), ConditionRaw, ConditionNone
	Users       []string // all users when empty
	Concurrency int      // pairs at once; the backend's own limits still hold
}

// AccuracyRow is the accuracy under one condition.
type AccuracyRow struct {
	Condition string  `json:"condition"`
	Pairs     int     `json:"pairs"` // scored
	Correct   int     `json:"correct"`
	Ties      int     `json:"ties"`
	Wrong     int     `json:"wrong"`
	Accuracy  float64 `json:"accuracy"` // (correct + ties/2) / pairs
	Low       float64 `json:"ci95_low"` // Wilson 95% interval
	High      float64 `json:"ci95_high"`
	// MeanContextTokens is the mean length, in the server's tokens, of
	// what the generator is given before the response (the prompt as the
	// chat template renders it, summary or history included).
	MeanContextTokens float64 `json:"mean_context_tokens"`
	// Skipped pairs cannot be asked under the condition: the user has no
	// summary of the kind asked for, or no history for raw.
	Skipped int `json:"skipped"`
	// Failed pairs were scored under other conditions but the server
	// refused this one's (a prompt longer than the model's context, say);
	// Errors says why, one entry per distinct reason.
	Failed int                 `json:"failed"`
	Errors []engine.ErrorCount `json:"errors"`
}

// AccuracyReport is what an accuracy run measured.
type AccuracyReport struct {
	Backend      string        `json:"backend"`
	Model        string        `json:"model"`
	Summary      string        `json:"summary"`
	Users        []string      `json:"users,omitempty"`        // the users asked for; all when empty
	Template     int           `json:"template_version"`       // the generator prompt's, for runs before template sets
	TemplateSet  string        `json:"template_set,omitempty"` // the version of the generator's template set
	HeldoutPairs int           `json:"heldout_pairs"`
	Rows         []AccuracyRow `json:"conditions"`
	Run          engine.Report `json:"-"` // the batch run: failures, throughput
}

// tieTolerance is how close two scores must be to tie, in nats: log-
// probabilities come as decimal text, and r(y) is a difference of sums,
// so equal scores can differ in the last bits.
const tieTolerance = 1e-6

// Check reports what is wrong with the options' --summary and
// --condition values, before anything runs.
func (opt AccuracyOptions) Check() error {
	_, err := opt.normalized()
	return err
}

// normalized fills in the defaults (the current summary; the summary
// condition) and keeps each condition once.
func (opt AccuracyOptions) normalized() (AccuracyOptions, error) {
	if opt.Summary == "" {
		opt.Summary = SummaryCurrent
	}
	if !slices.Contains([]string{SummaryCurrent, SummaryModel, SummaryHuman, SummaryHeuristic}, opt.Summary) {
		return opt, fmt.Errorf("unknown summary %q (want current, model, human or heuristic)", opt.Summary)
	}
	conditions, err := engine.Conditions(opt.Conditions)
	if err != nil {
		return opt, err
	}
	opt.Conditions = conditions
	return opt, nil
}

// Accuracy measures preference accuracy over every held-out pair, on a
// generator backend of e that scores given responses, through the batch
// runner: the pairs run concurrency at a time, and each pair's two scoring
// requests (one per response, each scoring it under the reference and
// every condition) go at once.
func Accuracy(ctx context.Context, e *engine.Engine, opt AccuracyOptions, progress func(engine.Progress)) (AccuracyReport, error) {
	opt, err := opt.normalized()
	if err != nil {
		return AccuracyReport{}, err
	}
	srv, err := e.Server(opt.Backend, engine.RoleGenerator)
	if errors.Is(err, engine.ErrOffline) {
		return AccuracyReport{}, fmt.Errorf("backend %s %w: it is the offline engine (preference accuracy needs a model's log-probabilities)", opt.Backend, engine.ErrCannotScore)
	}
	if err != nil {
		return AccuracyReport{}, err
	}
	if err := srv.CheckScoring(ctx, engine.ScoreOptions{}); err != nil {
		return AccuracyReport{}, err
	}
	users, total, err := selectUsers(e, opt.Users, false)
	if err != nil {
		return AccuracyReport{}, err
	}
	tally := newAccuracyTally(opt.Conditions)
	jobs := func(emit func(engine.Job) bool) error {
		for _, u := range users {
			pairs, err := heldoutPairs(e, opt.Backend, u, opt.Summary)
			if err != nil {
				return err
			}
			for _, pair := range pairs {
				item := u + "/" + pair.pair.ID
				ok := emit(engine.Job{Item: item, Run: func(ctx context.Context) (engine.Outcome, error) {
					res, err := scorePair(ctx, srv, pair, opt.Conditions)
					if err != nil {
						return engine.Outcome{Requests: res.requests}, err
					}
					tally.add(res, item)
					return engine.Outcome{Requests: res.requests}, nil
				}})
				if !ok {
					return nil
				}
			}
		}
		return nil
	}
	run, err := engine.RunJobs(ctx, total, jobs, opt.Concurrency, progress)
	cfg := srv.Config()
	set, perr := e.Prompts(cfg.Name)
	if perr != nil {
		return AccuracyReport{}, perr
	}
	rep := AccuracyReport{Backend: cfg.Name, Model: cfg.Model, Summary: opt.Summary, TemplateSet: set.Version(),
		HeldoutPairs: total, Rows: tally.result(), Run: run}
	if len(opt.Users) > 0 {
		rep.Users = users
	}
	return rep, err
}

// selectUsers is the users a run covers (the given ones, or all), and
// how many held-out pairs they have (and tasks, with tasks), counted from
// the index alone, for the progress bar.
func selectUsers(e *engine.Engine, given []string, tasks bool) (users []string, total int, err error) {
	users, err = e.SelectUsers(given)
	if err != nil {
		return nil, 0, err
	}
	for _, u := range users {
		rec, err := e.DB().User(u)
		if err != nil {
			return nil, 0, err
		}
		total += rec.Counts.HeldoutPairs
		if tasks {
			total += rec.Counts.Tasks
		}
	}
	return users, total, nil
}

// heldoutPairs is what each of the user's held-out pairs is scored with
// on the generator backend.
func heldoutPairs(e *engine.Engine, backend, user, summaryKind string) ([]pairInputs, error) {
	signals, err := e.DB().Signals(user)
	if err != nil {
		return nil, err
	}
	summary, hasSummary, err := summaryOfKind(e.DB(), user, summaryKind)
	if err != nil {
		return nil, err
	}
	set, err := e.Prompts(backend)
	if err != nil {
		return nil, err
	}
	d, err := e.PromptData(backend, user, signals)
	if err != nil {
		return nil, err
	}
	var pairs []pairInputs
	for _, s := range signals {
		if s.Kind == store.KindPair && s.Split == store.SplitHeldout {
			pairs = append(pairs, pairInputs{user: user, pair: s, summary: summary, hasSummary: hasSummary, set: set, data: d})
		}
	}
	return pairs, nil
}

// summaryOfKind is the user's summary that conditions the summary
// condition.
func summaryOfKind(db *store.DB, user, kind string) (store.Summary, bool, error) {
	if kind == SummaryCurrent {
		return db.CurrentSummary(user)
	}
	all, err := db.Summaries(user)
	if err != nil {
		return store.Summary{}, false, err
	}
	for i := len(all) - 1; i >= 0; i-- {
		s := all[i]
		if (kind == SummaryModel && s.IsModel()) || (kind == SummaryHuman && s.Source == store.SourceHuman) ||
			(kind == SummaryHeuristic && s.Source == store.SourceHeuristic) {
			return s, true, nil
		}
	}
	return store.Summary{}, false, nil
}

// pairInputs is what a held-out pair is scored with.
type pairInputs struct {
	user       string
	pair       store.Signal
	summary    store.Summary
	hasSummary bool
	set        *engine.PromptSet // the generator's template set
	data       engine.PromptData // the user's history as the generator may see it
}

// pairResult is one pair's outcome under each condition it could be
// asked under.
type pairResult struct {
	margin   map[string]float64 // condition → r(y_w) − r(y_l)
	context  map[string]int     // condition → tokens before the response
	skipped  []string           // conditions it could not be asked under
	failed   map[string]error   // conditions the server would not score
	requests int                // tokenizations and scoring requests sent
}

// scorePair scores both responses of a pair under the reference (the
// none condition: the prompt alone) and every condition it can be asked
// under, and works out each condition's margin r(y_w) − r(y_l).
func scorePair(ctx context.Context, srv *engine.Server, in pairInputs, conditions []string) (pairResult, error) {
	res := pairResult{margin: map[string]float64{}, context: map[string]int{}, failed: map[string]error{}}
	prompts, asked, err := pairPrompts(in, conditions, &res)
	if err != nil {
		return pairResult{}, err
	}
	sc, err := srv.ScorePair(ctx, prompts, in.pair.Chosen, in.pair.Rejected, engine.ScoreOptions{})
	res.requests = sc.Requests
	if err != nil {
		return res, err
	}
	res.context[store.ConditionNone] = sc.PromptTokens[0]
	res.margin[store.ConditionNone] = 0 // r(y) = 0 for both: the reference against itself
	for i, c := range asked {
		p := i + 1 // prompts[0] is the reference
		if err := sc.Errs[p]; err != nil {
			res.failed[c] = err
			continue
		}
		rw := sc.Chosen[p] - sc.Chosen[0]
		rl := sc.Rejected[p] - sc.Rejected[0]
		res.margin[c] = rw - rl
		res.context[c] = sc.PromptTokens[p]
	}
	return res, nil
}

// pairPrompts is what the generator is sent for the pair's prompt: under
// the reference first, then under each condition it can be asked under
// (asked, in order); the others go to res.skipped.
func pairPrompts(in pairInputs, conditions []string, res *pairResult) (prompts [][]store.Message, asked []string, err error) {
	d := in.data
	d.Prompt, d.Summary = in.pair.Prompt, in.summary.Text
	ref, err := in.set.Generator(store.ConditionNone, d)
	if err != nil {
		return nil, nil, err
	}
	prompts = [][]store.Message{ref}
	for _, c := range conditions {
		switch {
		case c == store.ConditionNone:
			continue // the reference itself
		case c == store.ConditionSummary && !in.hasSummary:
			res.skipped = append(res.skipped, c)
			continue
		}
		msgs, err := in.set.Generator(c, d)
		if errors.Is(err, store.ErrNoHistory) {
			res.skipped = append(res.skipped, c)
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		prompts = append(prompts, msgs)
		asked = append(asked, c)
	}
	return prompts, asked, nil
}

// accuracyTally adds up pair results per condition, safely from the
// batch runner's workers.
type accuracyTally struct {
	mu         sync.Mutex
	conditions []string
	rows       map[string]*AccuracyRow
	context    map[string]int
}

func newAccuracyTally(conditions []string) *accuracyTally {
	t := &accuracyTally{conditions: conditions, rows: map[string]*AccuracyRow{}, context: map[string]int{}}
	for _, c := range conditions {
		t.rows[c] = &AccuracyRow{Condition: c}
	}
	return t
}

func (t *accuracyTally) add(res pairResult, item string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range res.skipped {
		if r, ok := t.rows[c]; ok {
			r.Skipped++
		}
	}
	for c, err := range res.failed {
		r, ok := t.rows[c]
		if !ok {
			continue
		}
		r.Failed++
		r.Errors = engine.CountError(r.Errors, item, err)
	}
	for c, m := range res.margin {
		r, ok := t.rows[c]
		if !ok {
			continue // the reference, not asked for
		}
		r.Pairs++
		switch {
		case math.Abs(m) <= tieTolerance:
			r.Ties++
		case m > 0:
			r.Correct++
		default:
			r.Wrong++
		}
		t.context[c] += res.context[c]
	}
}

func (t *accuracyTally) result() []AccuracyRow {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]AccuracyRow, 0, len(t.conditions))
	for _, c := range t.conditions {
		r := *t.rows[c]
		r.Errors = slices.Clone(r.Errors)
		if r.Errors == nil {
			r.Errors = []engine.ErrorCount{}
		}
		engine.SortErrors(r.Errors)
		r.Low, r.High = stats.Wilson(0, 0) // no pairs: nothing is known
		if r.Pairs > 0 {
			wins := float64(r.Correct) + float64(r.Ties)/2
			r.Accuracy = wins / float64(r.Pairs)
			r.Low, r.High = stats.Wilson(wins, r.Pairs)
			r.MeanContextTokens = float64(t.context[c]) / float64(r.Pairs)
		}
		out = append(out, r)
	}
	return out
}
