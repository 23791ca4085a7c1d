package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/popi-tui/popi-tui/store"
)

// Progress is where a bulk run is.
type Progress struct {
	Total, Done, Skipped, Failed int
	Requests                     int // answers a model server gave (a failed item counts none)
	Tokens                       int // prompt and completion tokens of those answers
	Elapsed                      time.Duration
}

// Report is what a bulk run did.
type Report struct {
	Progress
	Interrupted bool         // stopped by its context (Ctrl-C) before the end
	Errors      []ErrorCount // one per distinct reason, the most frequent first
}

// ErrorCount is one reason items failed, how often, and one item it hit.
type ErrorCount struct {
	Reason  string `json:"reason"`
	Count   int    `json:"count"`
	Example string `json:"example"`
}

// RequestsPerSecond and TokensPerSecond are the run's throughput.
func (r Report) RequestsPerSecond() float64 { return perSecond(r.Requests, r.Elapsed) }
func (r Report) TokensPerSecond() float64   { return perSecond(r.Tokens, r.Elapsed) }

func perSecond(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// Job is one item of a bulk run.
type Job struct {
	Item string // names it in the report: "user ann", "ann/t1 summary via popi"
	Run  func(ctx context.Context) (Outcome, error)
}

// Outcome is what one job did.
type Outcome struct {
	Skipped  bool // already done
	Requests int  // answers a model server gave
	Tokens   int  // prompt and completion tokens of those answers
}

// progressEvery is how often a bulk run reports progress.
const progressEvery = 100 * time.Millisecond

// RunJobs runs the jobs jobs emits, concurrency at a time, reporting
// progress (when not nil) every progressEvery and once at the end. total
// is how many jobs there will be, for the progress bar. Finished work is
// stored by the jobs themselves, so an interrupted run keeps it and a
// second run skips it. A job that fails because ctx was cancelled is
// interrupted, not failed.
func RunJobs(ctx context.Context, total int, jobs func(emit func(Job) bool) error, concurrency int, progress func(Progress)) (Report, error) {
	t := &runTally{start: time.Now(), rep: Report{Progress: Progress{Total: total}}, counts: map[string]*ErrorCount{}}
	queue := make(chan Job)
	var workers sync.WaitGroup
	for range max(concurrency, 1) {
		workers.Go(func() {
			for j := range queue {
				o, err := j.Run(ctx)
				t.record(ctx, j.Item, o, err)
			}
		})
	}
	stopTicker := t.tick(progress)
	err := jobs(func(j Job) bool {
		select {
		case queue <- j:
			return true
		case <-ctx.Done():
			return false
		}
	})
	close(queue)
	workers.Wait()
	stopTicker()
	return t.final(ctx, progress), err
}

// runTally is what a bulk run has done so far, safe for its workers.
type runTally struct {
	start  time.Time
	mu     sync.Mutex
	rep    Report
	counts map[string]*ErrorCount // by reason
}

// record counts one job's outcome.
func (t *runTally) record(ctx context.Context, item string, o Outcome, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case err != nil && ctx.Err() != nil:
		// Interrupted, not failed: a second run does it. Nor is a
		// cancelled request one the server answered.
		o = Outcome{}
	case err != nil:
		t.rep.Failed++
		r := reason(err)
		if c, ok := t.counts[r]; ok {
			c.Count++
		} else {
			t.counts[r] = &ErrorCount{Reason: r, Count: 1, Example: item}
		}
	case o.Skipped:
		t.rep.Skipped++
	default:
		t.rep.Done++
	}
	t.rep.Requests += o.Requests
	t.rep.Tokens += o.Tokens
}

func (t *runTally) snapshot() Progress {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.rep.Progress
	p.Elapsed = time.Since(t.start)
	return p
}

// tick reports progress every progressEvery until the returned function
// is called, which waits for the last report to be made.
func (t *runTally) tick(progress func(Progress)) (stop func()) {
	stopTicker := make(chan struct{})
	tickerDone := make(chan struct{})
	go func() {
		defer close(tickerDone)
		if progress == nil {
			return
		}
		ticker := time.NewTicker(progressEvery)
		defer ticker.Stop()
		for {
			select {
			case <-ticker.C:
				progress(t.snapshot())
			case <-stopTicker:
				return
			}
		}
	}()
	return func() {
		close(stopTicker)
		<-tickerDone
	}
}

// final is the report once every worker has stopped, reported to
// progress a last time.
func (t *runTally) final(ctx context.Context, progress func(Progress)) Report {
	rep := t.rep
	rep.Progress = t.snapshot()
	if progress != nil {
		progress(rep.Progress)
	}
	rep.Interrupted = ctx.Err() != nil && rep.Done+rep.Skipped+rep.Failed < rep.Total
	for _, c := range t.counts {
		rep.Errors = append(rep.Errors, *c)
	}
	SortErrors(rep.Errors)
	return rep
}

// reason is what a failure says without naming the item it hit, so that
// the same failure of many items counts as one reason.
func reason(err error) string {
	var be *BackendError
	switch {
	case errors.As(err, &be):
		return be.Error()
	case errors.Is(err, errNoPairs):
		return errNoPairs.Error()
	case errors.Is(err, store.ErrNoHistory):
		return "no history to summarize (no history pairs, texts or profile)"
	case errors.Is(err, ErrNoSummary):
		return "no summary yet (run popi-tui infer first)"
	case errors.Is(err, store.ErrNotFound):
		return "not in the database"
	}
	return err.Error()
}

// InferOptions choose what a bulk inference does.
type InferOptions struct {
	Users   []string // all users when empty
	Backend string   // a summarizer
	Force   bool     // infer again users already summarized by this backend
	Missing bool     // only users with no summary at all (from any source)
	// Signals are the kinds of signal (AllSignals) the summarizer is shown;
	// nil for the backend's signals setting.
	Signals     []string
	Concurrency int // items at once; the backends' own limits still hold
}

// InferAll summarizes users in bulk. A user already summarized by the same
// backend, model and prompt template is skipped unless opt.Force, so an
// interrupted run resumes where it stopped.
func (e *Engine) InferAll(ctx context.Context, opt InferOptions, progress func(Progress)) (Report, error) {
	b, err := e.backend(opt.Backend, RoleSummarizer)
	if err != nil {
		return Report{}, err
	}
	users, err := e.SelectUsers(opt.Users)
	if err != nil {
		return Report{}, err
	}
	// Summaries are stored behind the requests: a worker hands its summary
	// over and asks the next one at once, while one writer commits what
	// has arrived, many per transaction.
	w := newSummaryWriter(e.db)
	job := func(u string, read func() ([]store.Signal, error)) Job {
		item := "user " + u
		return Job{Item: item, Run: func(ctx context.Context) (Outcome, error) {
			if opt.Missing {
				if _, has, err := e.db.CurrentSummary(u); err != nil || has {
					return Outcome{Skipped: has}, err
				}
			}
			if !opt.Force {
				done, err := e.summarizedBy(u, b, opt.Signals)
				if err != nil || done {
					return Outcome{Skipped: done}, err
				}
			}
			s, err := e.summarize(ctx, u, b, opt.Signals, read, nil)
			if err != nil {
				return Outcome{}, err
			}
			w.add(s, item)
			return Outcome{Requests: b.requests(), Tokens: s.PromptTokens + s.CompletionTokens}, nil
		}}
	}
	jobs := func(emit func(Job) bool) error {
		for _, u := range users {
			if !emit(job(u, nil)) {
				return nil
			}
		}
		return nil
	}
	workers := opt.Concurrency
	if b.chat == nil {
		// The offline summarizer computes rather than waits: one worker a
		// core (more only take turns, each turn a preemption), and its
		// users' signals read a page of users at a time.
		workers = runtime.GOMAXPROCS(0)
		jobs = e.pagedJobs(users, job)
	}
	rep, err := RunJobs(ctx, len(users), jobs, workers, progress)
	for _, f := range w.close() { // what could not be stored did not get done
		rep.Done--
		rep.addFailure(f.item, f.err)
	}
	return rep, err
}

// summaryWriter stores summaries in the background, committing whatever
// has queued up in one transaction.
type summaryWriter struct {
	db       *store.DB
	in       chan pendingSummary
	done     chan struct{}
	failures []pendingSummary
}

type pendingSummary struct {
	s    store.Summary
	item string
	err  error
}

const writeBatch = 1024

func newSummaryWriter(db *store.DB) *summaryWriter {
	w := &summaryWriter{db: db, in: make(chan pendingSummary, writeBatch), done: make(chan struct{})}
	go w.run()
	return w
}

func (w *summaryWriter) add(s store.Summary, item string) { w.in <- pendingSummary{s: s, item: item} }

func (w *summaryWriter) run() {
	defer close(w.done)
	for first := range w.in {
		batch := []pendingSummary{first}
	more:
		for len(batch) < writeBatch {
			select {
			case p, ok := <-w.in:
				if !ok {
					break more
				}
				batch = append(batch, p)
			default:
				break more
			}
		}
		ss := make([]store.Summary, len(batch))
		for i, p := range batch {
			ss[i] = p.s
		}
		if _, err := w.db.AddSummaries(ss); err != nil {
			for _, p := range batch {
				p.err = err
				w.failures = append(w.failures, p)
			}
		}
	}
}

// close waits for everything handed over to be stored, and returns what
// could not be.
func (w *summaryWriter) close() []pendingSummary {
	close(w.in)
	<-w.done
	return w.failures
}

// addFailure counts one more failed item, under its reason.
func (r *Report) addFailure(item string, err error) {
	r.Failed++
	r.Errors = CountError(r.Errors, item, err)
	SortErrors(r.Errors)
}

// CountError counts one more failure of item in errs, under its reason
// (what err says without naming the item): the same failure of many items
// is one reason, with one of them as its example.
func CountError(errs []ErrorCount, item string, err error) []ErrorCount {
	why := reason(err)
	if i := slices.IndexFunc(errs, func(e ErrorCount) bool { return e.Reason == why }); i >= 0 {
		errs[i].Count++
		return errs
	}
	return append(errs, ErrorCount{Reason: why, Count: 1, Example: item})
}

// SortErrors puts the most frequent reasons first.
func SortErrors(errs []ErrorCount) {
	slices.SortFunc(errs, func(a, b ErrorCount) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return cmp.Compare(a.Reason, b.Reason)
	})
}

// requests is how many model requests one item of this backend costs.
func (b *backend) requests() int {
	if b.chat == nil {
		return 0
	}
	return 1
}

// summarizedBy reports whether the user has a summary version made by this
// backend's model with its template set from the same kinds of signal,
// up to the current version: one a merge brought in after it is not this
// database's work.
func (e *Engine) summarizedBy(user string, b *backend, allowed []string) (bool, error) {
	if allowed == nil {
		allowed = b.cfg.Signals
	}
	signals := canonicalSignals(allowed)
	versions, current, err := e.db.SummaryVersions(user)
	if err != nil {
		return false, err
	}
	for _, s := range versions {
		if s.Version > current {
			break
		}
		if s.Backend == b.cfg.Name && s.Model == b.cfg.Model && (b.chat == nil || s.TemplateSet == b.prompts().Version() && slices.Equal(s.Signals, signals)) {
			return true, nil
		}
	}
	return false, nil
}

// SelectUsers is the given users (checked to exist, each once), or every
// user: whom a bulk run covers.
func (e *Engine) SelectUsers(given []string) ([]string, error) {
	if len(given) > 0 {
		given = unique(given)
		for _, u := range given {
			if _, err := e.db.User(u); err != nil {
				return nil, err
			}
		}
		return given, nil
	}
	// Keys alone, a page at a time: decoding every user and counting its
	// signals took seconds at a million users.
	var all []string
	for {
		page, err := e.db.UserPage(lastOf(all), selectPage)
		if err != nil || len(page) == 0 {
			return all, err
		}
		all = append(all, page...)
	}
}

const selectPage = 10_000

func lastOf(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	return ids[len(ids)-1]
}

// GenerateOptions choose what a bulk generation does.
type GenerateOptions struct {
	Users       []string // all users when empty
	Backends    []string // generators
	Conditions  []string // store.ConditionSummary, ConditionRaw, ConditionNone
	Force       bool     // ask again even when an answer is cached
	Concurrency int
}

// GenerateAll answers every task and held-out prompt of the users, with
// every backend under every condition. The replay generator offers both
// responses of each held-out pair instead (it has nothing to say to a
// task, and conditions mean nothing to it). Cached answers are skipped
// unless opt.Force.
func (e *Engine) GenerateAll(ctx context.Context, opt GenerateOptions, progress func(Progress)) (Report, error) {
	backends, err := e.generatorsOf(&opt)
	if err != nil {
		return Report{}, err
	}
	users, err := e.SelectUsers(opt.Users)
	if err != nil {
		return Report{}, err
	}
	total, err := e.countGenerations(users, backends, len(opt.Conditions))
	if err != nil {
		return Report{}, err
	}
	jobs := func(emit func(Job) bool) error {
		for _, u := range users {
			signals, err := e.db.Signals(u)
			if err != nil {
				return err
			}
			for _, s := range signals {
				heldout := s.Kind == store.KindPair && s.Split == store.SplitHeldout
				if s.Kind != store.KindTask && !heldout {
					continue
				}
				for _, b := range backends {
					for _, req := range bulkRequests(u, s.ID, heldout, b, opt) {
						if !emit(e.generateJob(req, b.chat != nil)) {
							return nil
						}
					}
				}
			}
		}
		return nil
	}
	return RunJobs(ctx, total, jobs, opt.Concurrency, progress)
}

// generatorsOf is the generator backends a bulk generation asks, each
// once; it settles opt.Conditions (Conditions).
func (e *Engine) generatorsOf(opt *GenerateOptions) ([]*backend, error) {
	var backends []*backend
	for _, name := range unique(opt.Backends) {
		b, err := e.backend(name, RoleGenerator)
		if err != nil {
			return nil, err
		}
		backends = append(backends, b)
	}
	if len(backends) == 0 {
		return nil, fmt.Errorf("no generator backend given")
	}
	conditions, err := Conditions(opt.Conditions)
	opt.Conditions = conditions
	return backends, err
}

// countGenerations counts GenerateAll's items from the index alone, for
// the progress bar, before one user's prompts at a time are read.
func (e *Engine) countGenerations(users []string, backends []*backend, conditions int) (int, error) {
	total := 0
	for _, u := range users {
		rec, err := e.db.User(u)
		if err != nil {
			return 0, err
		}
		for _, b := range backends {
			if b.chat == nil {
				total += 2 * rec.Counts.HeldoutPairs
			} else {
				total += (rec.Counts.HeldoutPairs + rec.Counts.Tasks) * conditions
			}
		}
	}
	return total, nil
}

// bulkRequests are what GenerateAll asks one backend for one prompt: a
// model server an answer under each condition, the replay generator each
// response of a held-out pair (a task it leaves alone).
func bulkRequests(user, promptID string, heldout bool, b *backend, opt GenerateOptions) []GenerateRequest {
	var reqs []GenerateRequest
	switch {
	case b.chat == nil && heldout:
		for _, which := range []string{ReplayChosen, ReplayRejected} {
			reqs = append(reqs, GenerateRequest{User: user, PromptID: promptID, Backend: b.cfg.Name, Replay: which, Condition: store.ConditionNone})
		}
	case b.chat != nil:
		for _, c := range opt.Conditions {
			reqs = append(reqs, GenerateRequest{User: user, PromptID: promptID, Backend: b.cfg.Name, Condition: c})
		}
	}
	for i := range reqs {
		reqs[i].Force = opt.Force
	}
	return reqs
}

// generateJob is one of GenerateAll's items; asksModel is false for the
// replay generator, whose answers are no model's.
func (e *Engine) generateJob(req GenerateRequest, asksModel bool) Job {
	item := fmt.Sprintf("%s/%s %s via %s", req.User, req.PromptID, req.Condition, req.Backend)
	if req.Replay != "" {
		item = fmt.Sprintf("%s/%s %s via %s", req.User, req.PromptID, req.Replay, req.Backend)
	}
	return Job{Item: item, Run: func(ctx context.Context) (Outcome, error) {
		g, cached, err := e.Generate(ctx, req, nil)
		switch {
		case err != nil:
			return Outcome{}, err
		case cached:
			return Outcome{Skipped: true}, nil
		}
		if !asksModel {
			return Outcome{}, nil // nothing was asked of a model
		}
		return Outcome{Requests: 1, Tokens: g.PromptTokens + g.CompletionTokens}, nil
	}}
}

// unique keeps the first of each value, in order: a value given twice
// (--condition summary,summary) is one piece of work.
func unique(values []string) []string {
	var out []string
	for _, v := range values {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
