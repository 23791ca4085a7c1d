package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/sanitize"
)

func generateCommand() *command {
	var (
		users, backends, conditions listFlag
		concurrency                 int
		force                       bool
	)
	return &command{
		name:    "generate",
		summary: "answer users' tasks and held-out prompts with generator backends",
		help: `
Answers every task and held-out prompt of every user (or those named with
--user) with each generator backend (--backend, repeatable; default: every
configured generator) under each condition (--condition, repeatable or
comma-separated: summary = with the user's current summary, raw = with the
raw history instead, none = the prompt alone; default: summary). Answers are
cached by user, prompt, condition, summary version, backend, model and
sampling settings: a second run skips what is done unless --force. The
built-in backend "replay" offers both responses of each held-out pair.`,
		flags: func(fs *flag.FlagSet) {
			fs.Var(&users, "user", "a user `ID` (repeatable; default: all users)")
			fs.Var(&backends, "backend", "a generator `NAME` (repeatable)")
			fs.Var(&conditions, "condition", "summary, raw or none (repeatable)")
			fs.IntVar(&concurrency, "concurrency", 0, "answers asked for at once (default: the configuration's concurrency)")
			fs.BoolVar(&force, "force", false, "ask again even when an answer is cached")
		},
		run: func(ctx context.Context, c *runContext, args []string) error {
			if len(args) > 0 {
				return usagef("generate takes no arguments (name users with --user)")
			}
			for _, cond := range conditions {
				if err := store.CheckCondition(cond); err != nil {
					return usagef("%v", err)
				}
			}
			if concurrency < 0 {
				return usagef("--concurrency must be positive")
			}
			db, err := c.openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			p := c.newProgress("generate")
			e, err := c.openEngine(db, p.notice)
			if err != nil {
				return err
			}
			defer e.Close()
			if len(backends) == 0 {
				for _, name := range e.BackendsWith(engine.RoleGenerator) {
					if name != engine.ReplayName {
						backends = append(backends, name)
					}
				}
				if len(backends) == 0 {
					return fmt.Errorf("no generator backend is configured (%s); add a [[backend]] with role = \"generator\", or give --backend replay", configName(e.Config()))
				}
			}
			if concurrency == 0 {
				concurrency = e.Config().Concurrency
			}
			rep, err := e.GenerateAll(ctx, engine.GenerateOptions{Users: users, Backends: backends, Conditions: conditions, Force: force, Concurrency: concurrency}, p.items)
			p.done()
			if err != nil {
				return err
			}
			return c.printReport("generate", rep)
		},
	}
}

func configName(cfg engine.Config) string {
	if cfg.Path == "" {
		return "no configuration file"
	}
	return sanitize.Line(cfg.Path) // a file name is printed like any untrusted text
}
