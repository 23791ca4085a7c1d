package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/engine/eval"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/sanitize"
)

// Metrics of popi-tui eval.
const (
	metricContext  = "context"
	metricLabels   = "labels"
	metricAccuracy = "accuracy"
	metricJudge    = "judge"
)

// allMetrics are the metrics eval knows.
var allMetrics = []string{metricContext, metricLabels, metricAccuracy, metricJudge}

// evalResult is what eval --json prints: the metrics asked for.
type evalResult struct {
	Accuracy *accuracyJSON       `json:"accuracy,omitempty"`
	Judge    *judgeJSON          `json:"judge,omitempty"`
	Context  *eval.ContextReport `json:"context,omitempty"`
	Labels   *eval.LabelReport   `json:"labels,omitempty"`
}

// runJSON is how a bulk run shows in JSON.
type runJSON struct {
	Done              int            `json:"done"`
	Failed            int            `json:"failed"`
	Interrupted       bool           `json:"interrupted"`
	ElapsedSeconds    float64        `json:"elapsed_seconds"`
	RequestsPerSecond float64        `json:"requests_per_second"`
	Errors            []runErrorJSON `json:"errors"`
}

// runErrorJSON is one reason items failed.
type runErrorJSON struct {
	Reason  string `json:"reason"`
	Count   int    `json:"count"`
	Example string `json:"example"`
}

func newRunJSON(r engine.Report) runJSON {
	out := runJSON{Done: r.Done, Failed: r.Failed, Interrupted: r.Interrupted, ElapsedSeconds: r.Elapsed.Seconds(), RequestsPerSecond: r.RequestsPerSecond(),
		Errors: make([]runErrorJSON, 0, len(r.Errors))} // [] rather than null: scripts iterate over it
	for _, e := range r.Errors {
		out.Errors = append(out.Errors, runErrorJSON{e.Reason, e.Count, e.Example})
	}
	return out
}

type accuracyJSON struct {
	eval.AccuracyReport
	Run runJSON `json:"run"`
}

type judgeJSON struct {
	eval.JudgeReport
	Run runJSON `json:"run"`
}

func evalCommand() *command {
	var f evalFlags
	return &command{
		name:    "eval",
		summary: "measure summaries (accuracy, judge win rate, context saving) and the labels",
		help:    evalHelp,
		flags:   f.register,
		run:     f.run,
	}
}

const evalHelp = `
Metrics (--metric, repeatable; default: context and labels, which need no
server):

  context   the context a summary saves: raw-history tokens against summary
            tokens, per summary source (model, human, heuristic)
  labels    the human labels: per backend and condition wins, losses, ties,
            win rate and Bradley–Terry strength; per annotator decisions and
            median decision time; agreement with the dataset's choice on
            replayed held-out pairs; inter-annotator agreement (Cohen's κ for
            two annotators, Fleiss' κ for more)
  accuracy  preference accuracy on every held-out pair: r(y) = log p(y | the
            generator's input under the condition) − log p(y | the prompt
            alone), correct when r(chosen) > r(rejected), a tie counting ½.
            Needs --backend on a server that scores given responses (vLLM);
            llama.cpp's server and Ollama cannot, and are refused.
  judge     a judge backend (--judge) compares, for every held-out prompt and
            task, the generator's (--backend) answer with the summary against
            its answer with nothing, in both orders, told the user's persona
            (or their history); unreadable verdicts are counted, not guessed.

Intervals are Wilson 95% intervals. Accuracy and judge runs are kept in the
database; the Stats screen (S) shows the latest of each backend, setting
and set of users (--user). A run stopped by Ctrl-C prints what it measured
but is not kept, nor is one that ended in an error.`

// evalFlags are eval's flags, as given.
type evalFlags struct {
	metrics, conditions, users listFlag
	backend, judge, summary    string
	concurrency                int
	asJSON                     bool
}

func (f *evalFlags) register(fs *flag.FlagSet) {
	fs.Var(&f.metrics, "metric", "`M`: context, labels, accuracy or judge (repeatable)")
	fs.StringVar(&f.backend, "backend", "", "the generator `NAME` to score (accuracy) or whose answers are judged (judge)")
	fs.StringVar(&f.judge, "judge", "", "the judge backend `NAME` (default: the first with the judge role)")
	fs.StringVar(&f.summary, "summary", eval.SummaryCurrent, "which summary conditions accuracy: current, model, human or heuristic")
	fs.Var(&f.conditions, "condition", "accuracy under `C`: summary (default), raw, none (repeatable)")
	fs.Var(&f.users, "user", "only this user `ID` (repeatable; default: all users)")
	fs.IntVar(&f.concurrency, "concurrency", 0, "pairs or prompts at once (default: the configuration's concurrency)")
	fs.BoolVar(&f.asJSON, "json", false, "print one JSON object, for scripts")
}

func (f *evalFlags) run(ctx context.Context, c *runContext, args []string) error {
	if err := f.checkUsage(args); err != nil {
		return err
	}
	db, err := c.openDB()
	if err != nil {
		return err
	}
	defer db.Close()
	ev := evaluation{c: c, db: db, asJSON: f.asJSON}
	defer ev.close()
	if err := f.checkBackends(&ev); err != nil {
		return err
	}
	res, failures, notRun, err := f.measure(ctx, &ev)
	if err != nil {
		return err
	}
	// Interrupted or not, what was measured is printed: a long run's
	// partial numbers are worth having (they are marked as such).
	if f.asJSON {
		if err := json.NewEncoder(c.Stdout).Encode(res); err != nil {
			return fmt.Errorf("eval: writing the JSON: %w", err)
		}
	} else {
		printEval(c.Stdout, res)
	}
	if ctx.Err() != nil {
		// Run reports it with exit status 130, as other commands.
		return errors.Join(append([]error{interruption(ctx, notRun)}, failures...)...)
	}
	return errors.Join(failures...)
}

// checkUsage checks the arguments and flags before any metric runs: a
// mistake in the last metric must not cost a long run of the first.
func (f *evalFlags) checkUsage(args []string) error {
	if len(args) > 0 {
		return usagef("eval takes no arguments (choose with --metric)")
	}
	if f.concurrency < 0 {
		return usagef("--concurrency must be positive")
	}
	if len(f.metrics) == 0 {
		f.metrics = listFlag{metricContext, metricLabels}
	}
	for _, m := range f.metrics {
		if !slices.Contains(allMetrics, m) {
			return usagef("unknown metric %q (want context, labels, accuracy or judge)", m)
		}
	}
	if slices.Contains(f.metrics, metricAccuracy) {
		if f.backend == "" {
			return usagef("--metric accuracy needs --backend NAME: the generator on a server that scores given responses (vLLM)")
		}
		if err := (eval.AccuracyOptions{Summary: f.summary, Conditions: f.conditions}).Check(); err != nil {
			return usagef("%v", err)
		}
	}
	return nil
}

// checkBackends opens the engine when a metric asks servers, picks the
// default judge, and checks the backends named against the configuration.
func (f *evalFlags) checkBackends(ev *evaluation) error {
	if !slices.Contains(f.metrics, metricAccuracy) && !slices.Contains(f.metrics, metricJudge) {
		return nil
	}
	e, err := ev.engine(nil)
	if err != nil {
		return err
	}
	if slices.Contains(f.metrics, metricJudge) && f.judge == "" {
		if f.judge = e.DefaultBackend(engine.RoleJudge); f.judge == "" {
			return usagef("--metric judge needs a judge: give --judge NAME, or a backend with role \"judge\" in the configuration")
		}
	}
	return checkEvalBackends(e, f.metrics, f.backend, f.judge)
}

// measure runs each metric asked for once, in its first place, and
// returns what they measured, the failures that stand, and the metrics
// Ctrl-C kept from starting. A usage error stops it at once.
func (f *evalFlags) measure(ctx context.Context, ev *evaluation) (res evalResult, failures []error, notRun []string, err error) {
	for i, m := range f.metrics {
		if slices.Index(f.metrics, m) < i {
			continue // given twice: run once, in its first place
		}
		if ctx.Err() != nil {
			notRun = append(notRun, m)
			continue
		}
		var err error
		switch m {
		case metricContext:
			var r eval.ContextReport
			if r, err = eval.ContextSaving(ev.db); err == nil {
				res.Context = &r
			}
		case metricLabels:
			var r eval.LabelReport
			if r, err = eval.LabelStats(ev.db); err == nil {
				res.Labels = &r
			}
		case metricAccuracy:
			res.Accuracy, err = ev.accuracy(ctx, eval.AccuracyOptions{Backend: f.backend, Summary: f.summary, Conditions: f.conditions, Users: f.users, Concurrency: f.concurrency})
		case metricJudge:
			res.Judge, err = ev.judge(ctx, eval.JudgeOptions{Judge: f.judge, Generator: f.backend, Users: f.users, Concurrency: f.concurrency})
		}
		if err != nil {
			var ue *usageError
			if errors.As(err, &ue) {
				return res, nil, nil, err
			}
			// The interruption is reported once, by run; other failures
			// stand.
			if ctx.Err() == nil || !isCancellation(err) {
				failures = append(failures, err)
			}
		}
	}
	return res, failures, notRun, nil
}

// interruption is the error of an eval stopped by Ctrl-C: it wraps the
// context's error, so that it reads as the cancellation it is.
func interruption(ctx context.Context, notRun []string) error {
	what := "eval interrupted"
	if len(notRun) > 0 {
		what += fmt.Sprintf(" (not run: %s)", strings.Join(notRun, ", "))
	}
	return fmt.Errorf("%s: the numbers printed cover what was done, and an interrupted run is not kept: %w", what, ctx.Err())
}

// isCancellation says whether err is only the context's cancellation.
func isCancellation(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// checkEvalBackends checks the backend names the metrics will use against
// the configuration, so that a misspelt name fails at once rather than
// after the metrics before it have run.
func checkEvalBackends(e *engine.Engine, metrics []string, backend, judge string) error {
	check := func(flag, name, role string) error {
		if name == "" || slices.Contains(e.BackendsWith(role), name) {
			return nil
		}
		return usagef("%s %q: no backend of that name with role %q (configured: %s)", flag, name, role, strings.Join(e.BackendsWith(role), ", "))
	}
	if slices.Contains(metrics, metricAccuracy) || slices.Contains(metrics, metricJudge) {
		if err := check("--backend", backend, engine.RoleGenerator); err != nil {
			return err
		}
	}
	if slices.Contains(metrics, metricJudge) {
		return check("--judge", judge, engine.RoleJudge)
	}
	return nil
}

// evaluation runs the metrics that ask model servers.
type evaluation struct {
	c      *runContext
	db     *store.DB
	asJSON bool
	e      *engine.Engine
	// progress is the running metric's reporter. The engine is opened
	// once for all metrics, with notice as its notice callback, so that a
	// notice goes above the bar of the metric running when it comes (the
	// judge's, not the accuracy run's before it).
	progress atomic.Pointer[progressReport]
}

// engine is the engine, opened at the first metric that asks servers;
// p becomes the reporter its notices go to.
func (ev *evaluation) engine(p *progressReport) (*engine.Engine, error) {
	ev.progress.Store(p)
	if ev.e == nil {
		e, err := ev.c.openEngine(ev.db, ev.notice)
		if err != nil {
			return nil, err
		}
		ev.e = e
	}
	return ev.e, nil
}

// notice prints an engine's notice above the running metric's bar.
func (ev *evaluation) notice(msg string) {
	if p := ev.progress.Load(); p != nil {
		p.notice(msg)
		return
	}
	ev.c.eprintf("popi-tui: %s\n", sanitize.Line(msg))
}

func (ev *evaluation) close() {
	if ev.e != nil {
		ev.e.Close()
	}
}

func (ev *evaluation) accuracy(ctx context.Context, opt eval.AccuracyOptions) (*accuracyJSON, error) {
	p := ev.c.newProgress("eval accuracy")
	e, err := ev.engine(p)
	if err != nil {
		return nil, err
	}
	if opt.Concurrency == 0 {
		opt.Concurrency = e.Config().Concurrency
	}
	rep, err := eval.Accuracy(ctx, e, opt, p.items)
	p.done()
	if err != nil && rep.Rows == nil {
		return nil, err
	}
	out := &accuracyJSON{AccuracyReport: rep, Run: newRunJSON(rep.Run)}
	// The conditions as the engine reports them (defaulted, deduplicated),
	// as a set: `--condition summary` and no --condition are one setting,
	// and so are the same conditions in another order.
	conditions := make([]string, len(rep.Rows))
	for i, r := range rep.Rows {
		conditions[i] = r.Condition
	}
	slices.Sort(conditions)
	key := fmt.Sprintf("accuracy %s/%s summary=%s conditions=%s users=%s", rep.Backend, rep.Model, rep.Summary, strings.Join(conditions, ","), usersKey(rep.Users))
	if kept(rep.Run, err) {
		if kerr := ev.keep(metricAccuracy, key, out); kerr != nil {
			return out, errors.Join(kerr, runFailure("accuracy", rep.Run))
		}
	}
	return out, errors.Join(err, runFailure("accuracy", rep.Run))
}

func (ev *evaluation) judge(ctx context.Context, opt eval.JudgeOptions) (*judgeJSON, error) {
	p := ev.c.newProgress("eval judge")
	e, err := ev.engine(p)
	if err != nil {
		return nil, err
	}
	if opt.Generator == "" {
		opt.Generator = e.DefaultBackend(engine.RoleGenerator)
	}
	if opt.Concurrency == 0 {
		opt.Concurrency = e.Config().Concurrency
	}
	rep, err := eval.JudgeWinRate(ctx, e, opt, p.items)
	p.done()
	if err != nil && rep.Judge == "" {
		return nil, err
	}
	out := &judgeJSON{JudgeReport: rep, Run: newRunJSON(rep.Run)}
	key := fmt.Sprintf("judge %s/%s generator=%s users=%s", rep.Judge, rep.JudgeModel, rep.Generator, usersKey(rep.Users))
	if kept(rep.Run, err) {
		if kerr := ev.keep(metricJudge, key, out); kerr != nil {
			return out, errors.Join(kerr, runFailure("judge", rep.Run))
		}
	}
	return out, errors.Join(err, runFailure("judge", rep.Run))
}

// usersKey is a report's user filter (--user; none: all users) in a kept
// run's key: runs over different users are different runs, and a run over
// some users is never the latest over all. The filter is a set (sorted,
// each once: the order of --user means nothing), and names are quoted so
// that no list of names reads as another.
func usersKey(users []string) string {
	if len(users) == 0 {
		return "all"
	}
	return fmt.Sprintf("%q", slices.Compact(slices.Sorted(slices.Values(users))))
}

// kept says whether a run is kept for the Stats screen: only one that
// went to the end. An interrupted run covers part of the data, and so
// does one the engine ended with an error beside its numbers (a database
// read failing midway); kept, either would show as the latest full run.
func kept(run engine.Report, err error) bool {
	return err == nil && !run.Interrupted
}

// keep stores a finished run for the Stats screen.
func (ev *evaluation) keep(metric, key string, result any) error {
	data, err := json.Marshal(result)
	if err != nil {
		return fmt.Errorf("keeping the %s run: %w", metric, err)
	}
	if _, err = ev.db.AddEvalRun(metric, key, data); err != nil {
		return fmt.Errorf("keeping the %s run: %w", metric, err)
	}
	return nil
}

// runFailure is the error of a run with failed items (they are listed in
// the output).
func runFailure(what string, r engine.Report) error {
	if r.Failed > 0 {
		return fmt.Errorf("%s: %d of %d failed", what, r.Failed, r.Total)
	}
	return nil
}
