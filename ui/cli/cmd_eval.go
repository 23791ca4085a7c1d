package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/engine/eval"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/format/printsafe"
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
		name:       "eval",
		uses:       useDB | useConfig | useTheme | useQuiet,
		noArgsHint: "choose with --metric",
		summary:    "measure summaries (accuracy, judge win rate, context saving) and the labels",
		help:       evalHelp,
		flags:      f.register,
		run:        f.run,
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
            generator's input under the condition) − log p_ref(y | the
            prompt alone, worded by the reference's none template), correct
            when r(chosen) > r(rejected), a tie counting ½; beside it DPO's
            mean margin h = r(chosen) − r(rejected) and mean loss
            −log σ(β·h) (natural log; POPI's trainer prints it divided by
            β). A response's log-probability counts the end-of-turn token
            after it (--no-eot: its own tokens only). Needs --backend (and
            --reference, default --backend) on a server that scores given
            responses (vLLM); llama.cpp's server and Ollama cannot, and are
            refused. --pairs-out FILE writes each pair's numbers per
            condition as JSON lines.
  judge     a judge backend (--judge) compares, for every held-out prompt and
            task, the generator's (--backend) answer with the summary against
            --against BACKEND:CONDITION (default: its answer with none), in
            both orders or, with --orders one, in one drawn from --seed (a
            verdict a vote), told the user's --persona (persona, profile or
            history; a user without it is skipped); unreadable verdicts are
            counted, not guessed.

--dataset NAME keeps the users imported with that dataset tag, and --by
dataset adds a row per dataset (accuracy and context; labels and judge
cover every user).

Intervals are Wilson 95% intervals. Accuracy and judge runs are kept in the
database; the Stats screen (S) shows the latest of each backend, setting
and set of users (--user). A run stopped by Ctrl-C prints what it measured
but is not kept, nor is one that ended in an error (nor is --pairs-out
written).`

// evalFlags are eval's flags, as given.
type evalFlags struct {
	metrics, conditions, users listFlag
	backend, judge, summary    string
	atOnce                     concurrency
	asJSON                     bool
	judgeOpts                  judgeFlags // --against, --orders, --seed, --persona (eval_judge.go)
	// accuracy's reference, end of turn, β and per-pair file; accuracy's
	// and context's dataset filter and grouping.
	reference, pairsOut, by string
	noEOT                   bool
	beta                    float64
	datasets                listFlag
}

func (f *evalFlags) register(fs *pflag.FlagSet) {
	fs.Var(&f.metrics, "metric", "`M`: context, labels, accuracy or judge (repeatable)")
	fs.StringVar(&f.backend, "backend", "", "the generator `NAME` to score (accuracy) or whose answers are judged (judge)")
	fs.StringVar(&f.judge, "judge", "", "the judge backend `NAME` (default: the first with the judge role)")
	fs.StringVar(&f.summary, "summary", eval.SummaryCurrent, "which summary conditions accuracy: current, model, human or heuristic")
	fs.Var(&f.conditions, "condition", "accuracy under `C`: summary (default), raw, none (repeatable)")
	fs.Var(&f.users, "user", "only this user `ID` (repeatable; default: all users)")
	fs.StringVar(&f.reference, "reference", "", "accuracy: the reference model's generator backend `NAME` (default: --backend)")
	fs.BoolVar(&f.noEOT, "no-eot", false, "accuracy: leave the end-of-turn token out of each response's log-probability")
	fs.Float64Var(&f.beta, "beta", eval.DefaultBeta, "accuracy: DPO's `β`, for the rewards and the loss")
	fs.StringVar(&f.pairsOut, "pairs-out", "", "accuracy: write each pair's scores under each condition to `FILE` (JSON lines)")
	fs.Var(&f.datasets, "dataset", "accuracy, context: only users of dataset `NAME` (repeatable)")
	fs.StringVar(&f.by, "by", "", "accuracy, context: `dataset` adds a row per dataset")
	f.judgeOpts.register(fs)
	f.atOnce.register(fs, "pairs or prompts")
	fs.BoolVar(&f.asJSON, "json", false, "print one JSON object, for scripts")
}

func (f *evalFlags) run(ctx context.Context, c *runContext, _ []string) error {
	if err := f.checkUsage(); err != nil {
		return err
	}
	if err := f.judgeOpts.check(f.metrics, f.backend); err != nil {
		return err
	}
	return c.withDB(func(w *workspace) error { return f.evaluate(ctx, w) })
}

// evaluate measures and prints the metrics asked for.
func (f *evalFlags) evaluate(ctx context.Context, w *workspace) error {
	c := w.c
	if err := f.checkBackends(w); err != nil {
		return err
	}
	if err := f.checkDatasets(w.db); err != nil {
		return err
	}
	res, failures, notRun, err := f.measure(ctx, w)
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
func (f *evalFlags) checkUsage() error {
	if err := f.atOnce.check(); err != nil {
		return err
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
	return f.checkAccuracyUsage()
}

// checkAccuracyUsage checks the flags of accuracy and of the dataset
// filter: each must apply to a metric asked for, or the run would look
// filtered or written when it is not.
func (f *evalFlags) checkAccuracyUsage() error {
	accuracy := slices.Contains(f.metrics, metricAccuracy)
	switch {
	case !(f.beta > 0) || math.IsInf(f.beta, 1):
		return usagef("--beta %v: DPO's β must be a positive number", f.beta)
	case f.by != "" && f.by != "dataset":
		return usagef("--by %q: the only grouping is by dataset", sanitize.Line(f.by))
	case (len(f.datasets) > 0 || f.by != "") && (slices.Contains(f.metrics, metricLabels) || slices.Contains(f.metrics, metricJudge)):
		return usagef("--dataset and --by apply to --metric accuracy and context: the labels and the judge cover every user")
	case !accuracy && (f.reference != "" || f.pairsOut != "" || f.noEOT):
		return usagef("--reference, --no-eot and --pairs-out apply to --metric accuracy")
	case f.pairsOut == "-":
		return usagef("--pairs-out writes a file: give its name (standard output has the report)")
	}
	return nil
}

// checkDatasets refuses a --dataset no user was imported with: a typing
// mistake would otherwise measure nobody.
func (f *evalFlags) checkDatasets(db *store.DB) error {
	if len(f.datasets) == 0 {
		return nil
	}
	counts, err := db.DatasetUsers()
	if err != nil {
		return err
	}
	for _, d := range f.datasets {
		if counts[d] == 0 {
			known := slices.Sorted(maps.Keys(counts))
			known = slices.DeleteFunc(known, func(k string) bool { return k == "" })
			return usagef("--dataset %q: no user was imported with that dataset (datasets: %s)", sanitize.Line(d), sanitize.Names(known, 10))
		}
	}
	return nil
}

// checkBackends opens the engine when a metric asks servers, picks the
// default judge, and checks the backend names the metrics will use against
// the configuration, so that a misspelt name fails at once rather than
// after the metrics before it have run.
func (f *evalFlags) checkBackends(w *workspace) error {
	judge := slices.Contains(f.metrics, metricJudge)
	if !judge && !slices.Contains(f.metrics, metricAccuracy) {
		return nil
	}
	e, err := w.engine()
	if err != nil {
		return err
	}
	if judge && f.judge == "" {
		if f.judge = e.DefaultBackend(engine.RoleJudge); f.judge == "" {
			return usagef("--metric judge needs a judge: give --judge NAME, or a backend with role \"judge\" in the configuration")
		}
	}
	if err := checkBackendName(e, "--backend", f.backend, engine.RoleGenerator); err != nil {
		return err
	}
	if err := checkBackendName(e, "--reference", f.reference, engine.RoleGenerator); err != nil || !judge {
		return err
	}
	if err := checkBackendName(e, "--judge", f.judge, engine.RoleJudge); err != nil {
		return err
	}
	return f.judgeOpts.checkAgainst(e, f.backend)
}

// checkBackendName refuses a backend flag that names no backend of the
// role (none named is the default's to choose).
func checkBackendName(e *engine.Engine, option, name, role string) error {
	if name == "" || slices.Contains(e.BackendsWith(role), name) {
		return nil
	}
	return usagef("%s %q: no backend of that name with role %q (configured: %s)", option, name, role, strings.Join(e.BackendsWith(role), ", "))
}

// measure runs each metric asked for once, in its first place, and
// returns what they measured, the failures that stand, and the metrics
// Ctrl-C kept from starting. A usage error stops it at once.
func (f *evalFlags) measure(ctx context.Context, w *workspace) (res evalResult, failures []error, notRun []string, err error) {
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
			opt := eval.ContextOptions{Datasets: f.datasets, ByDataset: f.by == "dataset"}
			if r, err = eval.ContextSavingWith(w.db, opt); err == nil {
				res.Context = &r
			}
		case metricLabels:
			var r eval.LabelReport
			if r, err = eval.LabelStats(w.db); err == nil {
				res.Labels = &r
			}
		case metricAccuracy:
			res.Accuracy, err = f.measureAccuracy(ctx, w)
		case metricJudge:
			res.Judge, err = f.measureJudge(ctx, w)
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

// measureAccuracy measures preference accuracy under a progress bar of its
// own, on the engine every metric shares, keeps a run that went to the
// end, and writes its pairs (--pairs-out).
func (f *evalFlags) measureAccuracy(ctx context.Context, w *workspace) (*accuracyJSON, error) {
	p := w.progress("eval accuracy")
	e, err := w.engine()
	if err != nil {
		return nil, err
	}
	opt := eval.AccuracyOptions{Backend: f.backend, Reference: f.reference, NoEndOfTurn: f.noEOT, Beta: f.beta,
		Summary: f.summary, Conditions: f.conditions, Users: f.users, Datasets: f.datasets, ByDataset: f.by == "dataset",
		KeepPairs: f.pairsOut != "", Concurrency: f.atOnce.of(e)}
	rep, err := eval.Accuracy(ctx, e, opt, p.items)
	p.done()
	if err != nil && rep.Rows == nil {
		return nil, err
	}
	out := &accuracyJSON{AccuracyReport: rep, Run: newRunJSON(rep.Run)}
	if f.pairsOut != "" {
		err = errors.Join(err, f.writePairs(w.c, rep, err))
	}
	return out, endRun(w.db, metricAccuracy, accuracyKey(rep), out, rep.Run, err)
}

// accuracyKey is what an accuracy run is kept under: its setting. The
// conditions are as the engine reports them (defaulted, deduplicated),
// as a set: `--condition summary` and no --condition are one setting,
// and so are the same conditions in another order.
func accuracyKey(rep eval.AccuracyReport) string {
	conditions := make([]string, len(rep.Rows))
	for i, r := range rep.Rows {
		conditions[i] = r.Condition
	}
	slices.Sort(conditions)
	return fmt.Sprintf("accuracy %s/%s summary=%s conditions=%s reference=%s/%s eot=%t beta=%g datasets=%s users=%s", rep.Backend, rep.Model, rep.Summary,
		strings.Join(conditions, ","), rep.Reference, rep.ReferenceModel, rep.EndOfTurn, rep.Beta, usersKey(rep.Datasets), usersKey(rep.Users))
}

// writePairs writes every scored pair under every condition to
// --pairs-out, one JSON line each, replacing the file only once it is
// complete, and escaped as the exports are (text from the data is in the
// ids). A run that did not go to the end leaves the file as it was: a
// part of the pairs would read as all of them.
func (f *evalFlags) writePairs(c *runContext, rep eval.AccuracyReport, runErr error) error {
	if !kept(rep.Run, runErr) {
		c.say(fmt.Sprintf("--pairs-out %s was not written: the run did not go to the end", f.pairsOut))
		return nil
	}
	err := store.WriteFileAtomic(f.pairsOut, func(w io.Writer) error {
		safe := printsafe.NewWriter(w)
		enc := json.NewEncoder(safe)
		enc.SetEscapeHTML(false)
		for _, p := range rep.Pairs {
			if err := enc.Encode(p); err != nil {
				return err
			}
		}
		return safe.Close()
	})
	if err != nil {
		return fmt.Errorf("--pairs-out: %w", err)
	}
	c.eprintf("wrote %s to %s\n", plural(len(rep.Pairs), "pair score", "pair scores"), sanitize.Line(f.pairsOut))
	return nil
}

// measureJudge measures the judge's win rate as measureAccuracy measures
// accuracy.
func (f *evalFlags) measureJudge(ctx context.Context, w *workspace) (*judgeJSON, error) {
	p := w.progress("eval judge")
	e, err := w.engine()
	if err != nil {
		return nil, err
	}
	opt := eval.JudgeOptions{Judge: f.judge, Generator: f.backend, Users: f.users, Concurrency: f.atOnce.of(e)}
	if opt.Generator == "" {
		opt.Generator = e.DefaultBackend(engine.RoleGenerator)
	}
	f.judgeOpts.apply(&opt)
	rep, err := eval.JudgeWinRate(ctx, e, opt, p.items)
	p.done()
	if err != nil && rep.Judge == "" {
		return nil, err
	}
	out := &judgeJSON{JudgeReport: rep, Run: newRunJSON(rep.Run)}
	return out, endRun(w.db, metricJudge, judgeKey(rep), out, rep.Run, err)
}

// usersKey is a report's user filter (--user; none: all users), or its
// dataset filter (--dataset), in a kept run's key: runs over different
// users are different runs, and a run over some users is never the latest
// over all. The filter is a set (sorted, each once: the order of --user
// means nothing), and names are quoted so that no list of names reads as
// another.
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

// endRun ends a metric's run that asked servers: it keeps the run if it
// went to the end, and returns the error the metric ends with (the run's,
// or keeping's, and its failed items).
func endRun(db *store.DB, metric, key string, result any, run engine.Report, err error) error {
	if kept(run, err) {
		if kerr := keep(db, metric, key, result); kerr != nil {
			return errors.Join(kerr, runFailure(metric, run))
		}
	}
	return errors.Join(err, runFailure(metric, run))
}

// keep stores a finished run for the Stats screen.
func keep(db *store.DB, metric, key string, result any) error {
	data, err := json.Marshal(result)
	if err != nil {
		return fmt.Errorf("keeping the %s run: %w", metric, err)
	}
	if _, err = db.AddEvalRun(metric, key, data); err != nil {
		return fmt.Errorf("keeping the %s run: %w", metric, err)
	}
	return nil
}
