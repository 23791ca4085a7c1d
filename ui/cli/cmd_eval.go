package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
)

// Metrics of popi-tui eval.
const (
	metricContext  = "context"
	metricLabels   = "labels"
	metricAccuracy = "accuracy"
	metricJudge    = "judge"
)

// evalResult is what eval --json prints: the metrics asked for.
type evalResult struct {
	Accuracy *accuracyJSON         `json:"accuracy,omitempty"`
	Judge    *judgeJSON            `json:"judge,omitempty"`
	Context  *engine.ContextReport `json:"context,omitempty"`
	Labels   *engine.LabelReport   `json:"labels,omitempty"`
}

// runJSON is how a bulk run shows in JSON.
type runJSON struct {
	Done              int     `json:"done"`
	Failed            int     `json:"failed"`
	Interrupted       bool    `json:"interrupted"`
	ElapsedSeconds    float64 `json:"elapsed_seconds"`
	RequestsPerSecond float64 `json:"requests_per_second"`
	Errors            []struct {
		Reason  string `json:"reason"`
		Count   int    `json:"count"`
		Example string `json:"example"`
	} `json:"errors"`
}

func newRunJSON(r engine.Report) runJSON {
	out := runJSON{Done: r.Done, Failed: r.Failed, Interrupted: r.Interrupted, ElapsedSeconds: r.Elapsed.Seconds(), RequestsPerSecond: r.RequestsPerSecond()}
	for _, e := range r.Errors {
		out.Errors = append(out.Errors, struct {
			Reason  string `json:"reason"`
			Count   int    `json:"count"`
			Example string `json:"example"`
		}{e.Reason, e.Count, e.Example})
	}
	return out
}

type accuracyJSON struct {
	engine.AccuracyReport
	Run runJSON `json:"run"`
}

type judgeJSON struct {
	engine.JudgeReport
	Run runJSON `json:"run"`
}

func evalCommand() *command {
	var (
		metrics, conditions, users listFlag
		backend, judge, summary    string
		concurrency                int
		asJSON                     bool
	)
	return &command{
		name:    "eval",
		summary: "measure summaries (accuracy, judge win rate, context saving) and the labels",
		help: `
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
database; the Stats screen (S) shows the latest of each.`,
		flags: func(fs *flag.FlagSet) {
			fs.Var(&metrics, "metric", "`M`: context, labels, accuracy or judge (repeatable)")
			fs.StringVar(&backend, "backend", "", "the generator `NAME` to score (accuracy) or whose answers are judged (judge)")
			fs.StringVar(&judge, "judge", "", "the judge backend `NAME` (default: the first with the judge role)")
			fs.StringVar(&summary, "summary", engine.SummaryCurrent, "which summary conditions accuracy: current, model, human or heuristic")
			fs.Var(&conditions, "condition", "accuracy under `C`: summary (default), raw, none (repeatable)")
			fs.Var(&users, "user", "only this user `ID` (repeatable; default: all users)")
			fs.IntVar(&concurrency, "concurrency", 0, "pairs or prompts at once (default: the configuration's concurrency)")
			fs.BoolVar(&asJSON, "json", false, "print one JSON object, for scripts")
		},
		run: func(ctx context.Context, c *runContext, args []string) error {
			if len(args) > 0 {
				return usagef("eval takes no arguments (choose with --metric)")
			}
			if concurrency < 0 {
				return usagef("--concurrency must be positive")
			}
			if len(metrics) == 0 {
				metrics = listFlag{metricContext, metricLabels}
			}
			for _, m := range metrics {
				if !slices.Contains([]string{metricContext, metricLabels, metricAccuracy, metricJudge}, m) {
					return usagef("unknown metric %q (want context, labels, accuracy or judge)", m)
				}
			}
			db, err := c.openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			ev := evaluation{c: c, db: db, asJSON: asJSON}
			defer ev.close()
			var res evalResult
			var failures []error
			for _, m := range unique(metrics) {
				var err error
				switch m {
				case metricContext:
					var r engine.ContextReport
					if r, err = engine.ContextSaving(db); err == nil {
						res.Context = &r
					}
				case metricLabels:
					var r engine.LabelReport
					if r, err = engine.LabelStats(db); err == nil {
						res.Labels = &r
					}
				case metricAccuracy:
					res.Accuracy, err = ev.accuracy(ctx, engine.AccuracyOptions{Backend: backend, Summary: summary, Conditions: conditions, Users: users, Concurrency: concurrency})
				case metricJudge:
					res.Judge, err = ev.judge(ctx, engine.JudgeOptions{Judge: judge, Generator: backend, Users: users, Concurrency: concurrency})
				}
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if err != nil {
					var ue *usageError
					if errors.As(err, &ue) {
						return err
					}
					failures = append(failures, err)
				}
			}
			if asJSON {
				if err := json.NewEncoder(c.Stdout).Encode(res); err != nil {
					return err
				}
			} else {
				printEval(c.Stdout, res)
			}
			return errors.Join(failures...)
		},
	}
}

// unique keeps the first of each value, in order.
func unique(values []string) []string {
	var out []string
	for _, v := range values {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// evaluation runs the metrics that ask model servers.
type evaluation struct {
	c      *runContext
	db     *store.DB
	asJSON bool
	e      *engine.Engine
}

func (ev *evaluation) engine(p *progressReport) (*engine.Engine, error) {
	if ev.e == nil {
		e, err := ev.c.openEngine(ev.db, p.notice)
		if err != nil {
			return nil, err
		}
		ev.e = e
	}
	return ev.e, nil
}

func (ev *evaluation) close() {
	if ev.e != nil {
		ev.e.Close()
	}
}

func (ev *evaluation) accuracy(ctx context.Context, opt engine.AccuracyOptions) (*accuracyJSON, error) {
	p := ev.c.newProgress("eval accuracy")
	e, err := ev.engine(p)
	if err != nil {
		return nil, err
	}
	if opt.Backend == "" {
		return nil, usagef("--metric accuracy needs --backend NAME: the generator on a server that scores given responses (vLLM)")
	}
	if opt.Concurrency == 0 {
		opt.Concurrency = e.Config().Concurrency
	}
	rep, err := e.Accuracy(ctx, opt, p.items)
	p.done()
	if err != nil && rep.Rows == nil {
		return nil, err
	}
	out := &accuracyJSON{AccuracyReport: rep, Run: newRunJSON(rep.Run)}
	key := fmt.Sprintf("accuracy %s/%s summary=%s conditions=%s", rep.Backend, rep.Model, rep.Summary, strings.Join(opt.Conditions, ","))
	if err := ev.keep(metricAccuracy, key, out, rep.Run); err != nil {
		return out, err
	}
	return out, errors.Join(err, runFailure("accuracy", rep.Run))
}

func (ev *evaluation) judge(ctx context.Context, opt engine.JudgeOptions) (*judgeJSON, error) {
	p := ev.c.newProgress("eval judge")
	e, err := ev.engine(p)
	if err != nil {
		return nil, err
	}
	if opt.Judge == "" {
		if opt.Judge = e.DefaultBackend(engine.RoleJudge); opt.Judge == "" {
			return nil, usagef("--metric judge needs a judge: give --judge NAME, or a backend with role \"judge\" in the configuration")
		}
	}
	if opt.Generator == "" {
		opt.Generator = e.DefaultBackend(engine.RoleGenerator)
	}
	if opt.Concurrency == 0 {
		opt.Concurrency = e.Config().Concurrency
	}
	rep, err := e.JudgeWinRate(ctx, opt, p.items)
	p.done()
	if err != nil && rep.Judge == "" {
		return nil, err
	}
	out := &judgeJSON{JudgeReport: rep, Run: newRunJSON(rep.Run)}
	key := fmt.Sprintf("judge %s/%s generator=%s", rep.Judge, rep.JudgeModel, rep.Generator)
	if err := ev.keep(metricJudge, key, out, rep.Run); err != nil {
		return out, err
	}
	return out, errors.Join(err, runFailure("judge", rep.Run))
}

// keep stores a finished run for the Stats screen; an interrupted one is
// not kept (its numbers cover part of the data).
func (ev *evaluation) keep(metric, key string, result any, run engine.Report) error {
	if run.Interrupted {
		return nil
	}
	data, err := json.Marshal(result)
	if err != nil {
		return err
	}
	_, err = ev.db.AddEvalRun(metric, key, data)
	return err
}

// runFailure is the error of a run with failed items (they are listed in
// the output).
func runFailure(what string, r engine.Report) error {
	if r.Failed > 0 {
		return fmt.Errorf("%s: %d of %d failed", what, r.Failed, r.Total)
	}
	return nil
}
