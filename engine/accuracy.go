package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sync"

	"github.com/popi-tui/popi-tui/engine/stats"
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
	Failed int          `json:"failed"`
	Errors []ErrorCount `json:"errors"`
}

// AccuracyReport is what an accuracy run measured.
type AccuracyReport struct {
	Backend      string        `json:"backend"`
	Model        string        `json:"model"`
	Summary      string        `json:"summary"`
	Users        []string      `json:"users,omitempty"`  // the users asked for; all when empty
	Template     int           `json:"template_version"` // the generator prompt's (GeneratorTemplateVersion)
	HeldoutPairs int           `json:"heldout_pairs"`
	Rows         []AccuracyRow `json:"conditions"`
	Run          Report        `json:"-"` // the batch run: failures, throughput
}

// tieTolerance is how close two scores must be to tie, in nats: log-
// probabilities come as decimal text, and r(y) is a difference of sums,
// so equal scores can differ in the last bits.
const tieTolerance = 1e-6

// CheckScoring asks a backend to tokenize and score a tiny conversation:
// a server that cannot (llama.cpp, Ollama, an older vLLM) is refused here,
// with the reason, before a run starts.
func (e *Engine) CheckScoring(ctx context.Context, name string) error {
	_, ob, err := e.scorer(name)
	if err != nil {
		return err
	}
	msgs := []store.Message{{Role: "user", Content: "Say hello."}}
	p, err := ob.tokenizeChat(ctx, msgs, false)
	var full, y []int
	if err == nil {
		full, err = ob.tokenizeChat(ctx, append(msgs, store.Message{Role: "assistant", Content: "Hello there."}), true)
	}
	if err == nil {
		y, err = responseTokens(p, full)
	}
	if err == nil {
		// Two sequences, as a pair's requests carry: a server that scores
		// one but refuses a batch is asked one at a time from the start.
		seq := scoreSeq{IDs: append(p, y...), From: len(p)}
		_, errs := ob.scoreSequences(ctx, []scoreSeq{seq, seq})
		err = joinDistinct(errs)
	}
	switch {
	case err == nil || ctx.Err() != nil:
		return err
	case !refusesScoring(err):
		return fmt.Errorf("backend %s: checking that it can score given responses: %w", name, err)
	}
	return fmt.Errorf("backend %s %w: %v; preference accuracy needs vLLM (POST /tokenize, and /v1/completions with echo and prompt log-probabilities): llama.cpp's server and Ollama cannot", name, ErrCannotScore, err)
}

// joinDistinct joins errors, each message once: the same sequence
// scored twice fails twice for one reason.
func joinDistinct(errs []error) error {
	var out []error
	seen := map[string]bool{}
	for _, err := range errs {
		if err != nil && !seen[err.Error()] {
			seen[err.Error()] = true
			out = append(out, err)
		}
	}
	return errors.Join(out...)
}

// refusesScoring tells a server that cannot score (it refused or did not
// understand the requests, or answered without what scoring needs) from
// one that is down, overloaded or refusing the API key: those are worth
// fixing and trying again, not a verdict on the server.
func refusesScoring(err error) bool {
	var be *BackendError
	if !errors.As(err, &be) {
		return true // the tokenizations do not line up
	}
	switch be.Status {
	case http.StatusOK, http.StatusBadRequest, http.StatusNotFound, http.StatusMethodNotAllowed,
		http.StatusUnprocessableEntity, http.StatusNotImplemented:
		return true
	}
	return false
}

// scorer is the named backend as a server that may score.
func (e *Engine) scorer(name string) (*backend, *openAIBackend, error) {
	b, err := e.backend(name, RoleGenerator)
	if err != nil {
		return nil, nil, err
	}
	if err := b.ready(); err != nil {
		return nil, nil, err
	}
	ob, ok := b.chat.(*openAIBackend)
	if !ok {
		return nil, nil, fmt.Errorf("backend %s %w: it is the offline engine (preference accuracy needs a model's log-probabilities)", name, ErrCannotScore)
	}
	return b, ob, nil
}

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
	opt.Conditions = unique(opt.Conditions)
	if len(opt.Conditions) == 0 {
		opt.Conditions = []string{store.ConditionSummary}
	}
	for _, c := range opt.Conditions {
		if err := store.CheckCondition(c); err != nil {
			return opt, err
		}
	}
	return opt, nil
}

// Accuracy measures preference accuracy over every held-out pair, through
// the batch runner: the pairs run concurrency at a time, and each pair's
// two scoring requests (one per response, each scoring it under the
// reference and every condition) go at once.
func (e *Engine) Accuracy(ctx context.Context, opt AccuracyOptions, progress func(Progress)) (AccuracyReport, error) {
	opt, err := opt.normalized()
	if err != nil {
		return AccuracyReport{}, err
	}
	b, ob, err := e.scorer(opt.Backend)
	if err != nil {
		return AccuracyReport{}, err
	}
	if err := e.CheckScoring(ctx, opt.Backend); err != nil {
		return AccuracyReport{}, err
	}
	users, err := e.selectUsers(opt.Users)
	if err != nil {
		return AccuracyReport{}, err
	}
	total := 0
	for _, u := range users {
		rec, err := e.db.User(u)
		if err != nil {
			return AccuracyReport{}, err
		}
		total += rec.Counts.HeldoutPairs
	}

	tally := newAccuracyTally(opt.Conditions)
	jobs := func(emit func(job) bool) error {
		for _, u := range users {
			signals, err := e.db.Signals(u)
			if err != nil {
				return err
			}
			summary, hasSummary, err := e.summaryOfKind(u, opt.Summary)
			if err != nil {
				return err
			}
			for _, s := range signals {
				if s.Kind != store.KindPair || s.Split != store.SplitHeldout {
					continue
				}
				pair := pairInputs{user: u, pair: s, summary: summary, hasSummary: hasSummary, history: selectHistory(signals, e.cfg.HistoryBudget)}
				ok := emit(job{item: u + "/" + s.ID, run: func(ctx context.Context) (outcome, error) {
					res, err := ob.scorePair(ctx, pair, opt.Conditions)
					if err != nil {
						return outcome{requests: res.requests}, err
					}
					tally.add(res, u+"/"+s.ID)
					return outcome{requests: res.requests}, nil
				}})
				if !ok {
					return nil
				}
			}
		}
		return nil
	}
	run, err := runJobs(ctx, total, jobs, opt.Concurrency, progress)
	rep := AccuracyReport{Backend: b.cfg.Name, Model: b.cfg.Model, Summary: opt.Summary, Template: GeneratorTemplateVersion,
		HeldoutPairs: total, Rows: tally.result(), Run: run}
	if len(opt.Users) > 0 {
		rep.Users = users
	}
	return rep, err
}

// summaryOfKind is the user's summary that conditions the summary
// condition.
func (e *Engine) summaryOfKind(user, kind string) (store.Summary, bool, error) {
	if kind == SummaryCurrent {
		return e.db.CurrentSummary(user)
	}
	all, err := e.db.Summaries(user)
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
	history    history
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

// scorePair scores both responses of a pair under the reference and every
// condition. The response's token ids come from one tokenization (after
// the reference prompt) and are used under every prefix, so that r(y)
// compares the same tokens.
func (b *openAIBackend) scorePair(ctx context.Context, in pairInputs, conditions []string) (pairResult, error) {
	res := pairResult{margin: map[string]float64{}, context: map[string]int{}, failed: map[string]error{}}
	prompt := in.pair.Prompt
	ref, _ := generatorMessages(store.ConditionNone, prompt, "", in.history)
	type prefix struct {
		condition string
		msgs      []store.Message
		ids       []int
	}
	prefixes := []*prefix{{condition: store.ConditionNone, msgs: ref}}
	for _, c := range conditions {
		switch {
		case c == store.ConditionNone:
			continue // the reference itself
		case c == store.ConditionSummary && !in.hasSummary:
			res.skipped = append(res.skipped, c)
			continue
		}
		msgs, err := generatorMessages(c, prompt, in.summary.Text, in.history)
		if errors.Is(err, store.ErrNoHistory) {
			res.skipped = append(res.skipped, c)
			continue
		}
		if err != nil {
			return pairResult{}, err
		}
		prefixes = append(prefixes, &prefix{condition: c, msgs: msgs})
	}
	withResponse := func(text string) []store.Message {
		return append(slices.Clone(ref), store.Message{Role: "assistant", Content: text})
	}

	// Every tokenization at once: the prefixes, and the reference
	// conversation continued by each response.
	var full [2][]int
	var wg sync.WaitGroup
	errs := make([]error, len(prefixes)+2)
	for i, p := range prefixes {
		wg.Go(func() { p.ids, errs[i] = b.tokenizeChat(ctx, p.msgs, false) })
	}
	for k, text := range []string{in.pair.Chosen, in.pair.Rejected} {
		wg.Go(func() { full[k], errs[len(prefixes)+k] = b.tokenizeChat(ctx, withResponse(text), true) })
	}
	wg.Wait()
	res.requests = len(prefixes) + 2
	if err := errors.Join(errs...); err != nil {
		return res, err
	}
	var resp [2][]int
	for k := range full {
		y, err := responseTokens(prefixes[0].ids, full[k])
		if err != nil {
			return pairResult{}, &BackendError{Backend: b.cfg.Name, Msg: fmt.Sprintf("tokenize the %s response: %v", []string{"chosen", "rejected"}[k], err)}
		}
		resp[k] = y
	}

	// The two scoring requests: one per response, under every prefix.
	var scores [2][]float64
	var seqErrs [2][]error
	for k := range resp {
		seqs := make([]scoreSeq, len(prefixes))
		for i, p := range prefixes {
			ids := make([]int, 0, len(p.ids)+len(resp[k]))
			seqs[i] = scoreSeq{IDs: append(append(ids, p.ids...), resp[k]...), From: len(p.ids)}
		}
		wg.Go(func() { scores[k], seqErrs[k] = b.scoreSequences(ctx, seqs) })
	}
	wg.Wait()
	res.requests += 2
	// Without the reference, no condition can be scored; without a
	// condition's own scores, only that condition fails.
	if err := errors.Join(errAt(seqErrs[0], 0), errAt(seqErrs[1], 0)); err != nil {
		return res, err
	}
	res.context[store.ConditionNone] = len(prefixes[0].ids)
	res.margin[store.ConditionNone] = 0 // r(y) = 0 for both: the reference against itself
	for i, p := range prefixes[1:] {
		if err := errors.Join(errAt(seqErrs[0], i+1), errAt(seqErrs[1], i+1)); err != nil {
			res.failed[p.condition] = err
			continue
		}
		rw := scores[0][i+1] - scores[0][0]
		rl := scores[1][i+1] - scores[1][0]
		res.margin[p.condition] = rw - rl
		res.context[p.condition] = len(p.ids)
	}
	return res, nil
}

// errAt is errs[i], or nil when errs is nil (nothing failed).
func errAt(errs []error, i int) error {
	if errs == nil {
		return nil
	}
	return errs[i]
}

// responseTokens is what the conversation continued by the response adds
// to the prompt: the response's tokens. The continued conversation must
// start with the prompt's tokens, or the two are not comparable.
func responseTokens(prompt, continued []int) ([]int, error) {
	if len(continued) <= len(prompt) || !slices.Equal(continued[:len(prompt)], prompt) {
		return nil, fmt.Errorf("the conversation with the response (%d tokens) does not extend the prompt (%d tokens) token for token", len(continued), len(prompt))
	}
	return continued[len(prompt):], nil
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
		why := reason(err)
		if i := slices.IndexFunc(r.Errors, func(e ErrorCount) bool { return e.Reason == why }); i >= 0 {
			r.Errors[i].Count++
		} else {
			r.Errors = append(r.Errors, ErrorCount{Reason: why, Count: 1, Example: item})
		}
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
			r.Errors = []ErrorCount{}
		}
		sortErrors(r.Errors)
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
