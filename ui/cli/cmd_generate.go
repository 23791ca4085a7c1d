package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
)

func generateCommand() *command {
	var (
		users, backends, conditions listFlag
		atOnce                      concurrency
		force                       bool
		batch                       batchFlags
	)
	return &command{
		name:       "generate",
		uses:       useDB | useConfig | useTheme | useJSON | useQuiet,
		args:       "[--batch-in RESULTS...]",
		noArgsHint: "name users with --user",
		summary:    "answer users' tasks and held-out prompts with generator backends",
		help: `
Answers every task and held-out prompt of every user (or those named with
--user) with each generator backend (--backend, repeatable; default: every
configured generator) under each condition (--condition, repeatable or
comma-separated: summary = with the user's current summary, raw = with the
raw history instead, none = the prompt alone; default: summary). Answers are
cached by user, prompt, condition, summary version, backend, model and
sampling settings: a second run skips what is done unless --force. The
built-in backend "replay" offers both responses of each held-out pair.

--batch-out FILE writes the requests to model servers instead of sending
them, as an OpenAI Batch input file (vllm run-batch -i FILE -o RESULTS, or a
hosted batch API); --batch-in RESULTS... stores the answers of the runner's
output files as if fetched live. A request whose input changed since FILE
was written (another summary, a new template set) is refused.`,
		flags: func(fs *pflag.FlagSet) {
			fs.Var(&users, "user", "a user `ID` (repeatable; default: all users)")
			fs.Var(&backends, "backend", "a generator `NAME` (repeatable)")
			fs.Var(&conditions, "condition", "summary, raw or none (repeatable)")
			atOnce.register(fs, "answers asked for")
			fs.BoolVar(&force, "force", false, "ask again even when an answer is cached")
			batch.register(fs)
		},
		run: func(ctx context.Context, c *runContext, args []string) error {
			if err := batch.check("generate", args, map[string]bool{"user": len(users) > 0, "backend": len(backends) > 0, "condition": len(conditions) > 0}); err != nil {
				return err
			}
			for _, cond := range conditions {
				if err := store.CheckCondition(cond); err != nil {
					return usagef("%v", err)
				}
			}
			if err := atOnce.check(); err != nil {
				return err
			}
			return c.withEngine(func(w *workspace, e *engine.Engine) error {
				if batch.in {
					return c.readBatchIn(ctx, w, e, args, engine.BatchInOptions{Kind: engine.BatchGeneration, Force: force}, "generate --batch-in")
				}
				if len(backends) == 0 {
					if backends = generators(e); len(backends) == 0 {
						return fmt.Errorf("no generator backend is configured (%s); add a [[backend]] with role = \"generator\", or give --backend replay", c.configName(e.Config()))
					}
				}
				opt := engine.GenerateOptions{Users: users, Backends: backends, Conditions: conditions, Force: force, Concurrency: atOnce.of(e)}
				if batch.out != "" {
					return c.writeBatchOut(ctx, w, batch.out, "generate --batch-out", func(ctx context.Context, out io.Writer, progress func(engine.Progress)) (engine.Report, error) {
						return e.GenerateBatchOut(ctx, out, opt, progress)
					})
				}
				p := w.progress("generate")
				rep, err := e.GenerateAll(ctx, opt, p.items)
				p.done()
				if err != nil {
					return err
				}
				return c.printReport("generate", rep)
			})
		},
	}
}

// generators are the generator backends generate runs by default: every
// one configured (replay, built in, only when named).
func generators(e *engine.Engine) []string {
	var names []string
	for _, name := range e.BackendsWith(engine.RoleGenerator) {
		if name != engine.ReplayName {
			names = append(names, name)
		}
	}
	return names
}
