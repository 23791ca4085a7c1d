package cli

import (
	"context"
	"flag"

	"github.com/popi-tui/popi-tui/engine"
)

func inferCommand() *command {
	var (
		users   listFlag
		backend string
		atOnce  concurrency
		force   bool
	)
	return &command{
		name:       "infer",
		noArgsHint: "name users with --user",
		summary:    "infer preference summaries with a summarizer backend",
		help: `
Summarizes every user (or those named with --user) with a summarizer backend
from the configuration file, storing each summary as the user's newest
version. Users already summarized by the same backend, model and prompt
template are skipped unless --force, so an interrupted run resumes where it
stopped. The built-in backend "heuristic" is the offline baseline.`,
		flags: func(fs *flag.FlagSet) {
			fs.Var(&users, "user", "a user `ID` to summarize (repeatable; default: all users)")
			fs.StringVar(&backend, "backend", "", "the summarizer `NAME` (default: the first configured summarizer, else heuristic)")
			atOnce.register(fs, "users summarized")
			fs.BoolVar(&force, "force", false, "summarize again users this backend has already summarized")
		},
		run: func(ctx context.Context, c *runContext, _ []string) error {
			if err := atOnce.check(); err != nil {
				return err
			}
			return c.withEngine(func(w *workspace, e *engine.Engine) error {
				if backend == "" {
					backend = e.DefaultBackend(engine.RoleSummarizer)
				}
				p := w.progress("infer")
				rep, err := e.InferAll(ctx, engine.InferOptions{Users: users, Backend: backend, Force: force, Concurrency: atOnce.of(e)}, p.items)
				p.done()
				if err != nil {
					return err
				}
				return c.printReport("infer via "+backend, rep)
			})
		},
	}
}
