package cli

import (
	"context"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"github.com/popi-tui/popi-tui/engine"
)

func inferCommand() *command {
	var (
		users   listFlag
		backend string
		atOnce  concurrency
		force   bool
		signals listFlag
		batch   batchFlags
	)
	return &command{
		name:       "infer",
		uses:       useDB | useConfig | useTheme | useJSON | useQuiet,
		args:       "[--batch-in RESULTS...]",
		noArgsHint: "name users with --user",
		summary:    "infer preference summaries with a summarizer backend",
		help:       inferHelp,
		flags: func(fs *pflag.FlagSet) {
			fs.Var(&users, "user", "a user `ID` to summarize (repeatable; default: all users)")
			fs.StringVar(&backend, "backend", "", "the summarizer `NAME` (default: the first configured summarizer, else heuristic)")
			atOnce.register(fs, "users summarized")
			fs.BoolVar(&force, "force", false, "summarize again users this backend has already summarized")
			fs.Var(&signals, "signals", "the kinds of signal the summarizer is shown: pairs,texts,profile,demographics (default: the backend's setting)")
			batch.register(fs)
		},
		run: func(ctx context.Context, c *runContext, args []string) error {
			if err := batch.check("infer", args, map[string]bool{"user": len(users) > 0, "backend": backend != "", "signals": len(signals) > 0}); err != nil {
				return err
			}
			if err := atOnce.check(); err != nil {
				return err
			}
			if len(signals) > 0 {
				if err := engine.CheckSignals(signals); err != nil {
					return usagef("--signals: %v", err)
				}
			}
			return c.withEngine(func(w *workspace, e *engine.Engine) error {
				if batch.in {
					return c.readBatchIn(ctx, w, e, args, engine.BatchInOptions{Kind: engine.BatchSummaries, Force: force}, "infer --batch-in")
				}
				if backend == "" {
					backend = e.DefaultBackend(engine.RoleSummarizer)
				}
				what := "infer via " + backend
				if len(signals) > 0 {
					if b, err := e.Backend(backend, engine.RoleSummarizer); err == nil && b.Kind == engine.KindOffline {
						return usagef("--signals: the offline summarizer %s reads every signal (it sends no prompt)", backend)
					}
					what += " from " + strings.Join(signals, ", ")
				}
				opt := engine.InferOptions{Users: users, Backend: backend, Force: force, Signals: signals, Concurrency: atOnce.of(e)}
				if batch.out != "" {
					return c.writeBatchOut(ctx, w, batch.out, "infer --batch-out", func(ctx context.Context, out io.Writer, progress func(engine.Progress)) (engine.Report, error) {
						return e.InferBatchOut(ctx, out, opt, progress)
					})
				}
				p := w.progress("infer")
				rep, err := e.InferAll(ctx, opt, p.items)
				p.done()
				if err != nil {
					return err
				}
				return c.printReport(what, rep)
			})
		},
	}
}

const inferHelp = `
Summarizes every user (or those named with --user) with a summarizer backend
from the configuration file, storing each summary as the user's newest
version. Users already summarized by the same backend, model and prompt
template are skipped unless --force, so an interrupted run resumes where it
stopped. The built-in backend "heuristic" is the offline baseline.

--signals says which kinds of signal the summarizer is shown (default: the
backend's signals setting, else all): pairs (history pairs), texts (what the
user wrote, with the posts they answered), profile, demographics. AlignX's
in-context setting shows everything; its preference-based setting the
profile alone (--signals profile). A summary records the signals it was made
from, and one made from others does not count as done.

--batch-out FILE writes the requests instead of sending them, as an OpenAI
Batch input file (vllm run-batch -i FILE -o RESULTS, or a hosted batch API);
--batch-in RESULTS... stores the answers of the runner's output files as if
fetched live. A request whose input changed since FILE was written is
refused, and reading the same results again stores nothing.`
