package cli

import (
	"context"
	"flag"

	"github.com/popi-tui/popi-tui/engine"
)

func inferCommand() *command {
	var (
		users       listFlag
		backend     string
		concurrency int
		force       bool
	)
	return &command{
		name:    "infer",
		summary: "infer preference summaries with a summarizer backend",
		help: `
Summarizes every user (or those named with --user) with a summarizer backend
from the configuration file, storing each summary as the user's newest
version. Users already summarized by the same backend, model and prompt
template are skipped unless --force, so an interrupted run resumes where it
stopped. The built-in backend "heuristic" is the offline baseline.`,
		flags: func(fs *flag.FlagSet) {
			fs.Var(&users, "user", "a user `ID` to summarize (repeatable; default: all users)")
			fs.StringVar(&backend, "backend", "", "the summarizer `NAME` (default: the first configured summarizer, else heuristic)")
			fs.IntVar(&concurrency, "concurrency", 0, "users summarized at once (default: the configuration's concurrency)")
			fs.BoolVar(&force, "force", false, "summarize again users this backend has already summarized")
		},
		run: func(ctx context.Context, c *runContext, args []string) error {
			if len(args) > 0 {
				return usagef("infer takes no arguments (name users with --user)")
			}
			if concurrency < 0 {
				return usagef("--concurrency must be positive")
			}
			db, err := c.openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			p := c.newProgress("infer")
			e, err := c.openEngine(db, p.notice)
			if err != nil {
				return err
			}
			defer e.Close()
			if backend == "" {
				backend = e.DefaultBackend(engine.RoleSummarizer)
			}
			if concurrency == 0 {
				concurrency = e.Config().Concurrency
			}
			rep, err := e.InferAll(ctx, engine.InferOptions{Users: users, Backend: backend, Force: force, Concurrency: concurrency}, p.items)
			p.done()
			if err != nil {
				return err
			}
			return c.printReport("infer via "+backend, rep)
		},
	}
}
