// Package cli is popi-tui's command line: it parses arguments, runs the
// subcommands (import, export, stats, demo, infer, generate, backends,
// merge, eval, prompts) against store and engine, and prints their
// results; without a command it opens the interactive UI. main wires it to
// the process; tests run it in process.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/spf13/pflag"

	"github.com/popi-tui/popi-tui/ui/sanitize"
)

// Exit statuses (the README's Usage section).
const (
	ExitOK          = 0
	ExitFailure     = 1
	ExitUsage       = 2
	ExitInterrupted = 130 // stopped by Ctrl-C (SIGINT) or SIGTERM
)

// Env is the process the command line runs in.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Version        string
	// StderrIsTerminal turns on progress bars (else progress is printed as
	// plain lines).
	StderrIsTerminal bool
	// With both, `popi-tui` and `popi-tui demo` open the interactive UI.
	StdinIsTerminal, StdoutIsTerminal bool
}

// globals are the flags of the whole program: each command registers
// those it uses (globalUse), so they are accepted before or after its name
// and listed in its help, and only there.
type globals struct {
	db, config, theme, annotator, compare string
	url, model                            string // one backend for this command (engine.SingleBackend)
	sel                                   selection
	out                                   outputFlags
}

// globalUse says which global flags a command reads.
type globalUse uint8

const (
	useDB     globalUse = 1 << iota // --db
	useConfig                       // --config
	useTheme                        // --theme (the UI, and progress bars)
	useUI                           // --annotator, --compare: labeling
	useSelect                       // --users, --dataset: whom to label (selection.go)
	useJSON                         // --json: the report as one JSON object (output.go)
	useQuiet                        // --quiet: no progress
)

func (g *globals) register(fs *pflag.FlagSet, use globalUse) {
	if use&useDB != 0 {
		fs.StringVar(&g.db, "db", g.db, "database `path` (default $POPI_DB, else $XDG_DATA_HOME/popi-tui/popi.db)")
	}
	if use&useConfig != 0 {
		fs.StringVar(&g.config, "config", g.config, "configuration `file` (default $POPI_CONFIG, else $XDG_CONFIG_HOME/popi-tui/config.toml)")
		fs.StringVar(&g.url, "url", g.url, "one backend with every role, at this base `URL`, instead of the configuration's (default $OPENAI_BASE_URL)")
		fs.StringVar(&g.model, "model", g.model, "the `model` of --url's backend (default $POPI_MODEL)")
	}
	if use&useTheme != 0 {
		fs.StringVar(&g.theme, "theme", g.theme, "colour theme: dark, light or high-contrast (default: follows the terminal)")
	}
	if use&useUI != 0 {
		fs.StringVar(&g.annotator, "annotator", g.annotator, "`name` recorded on every label (default: your login name)")
		fs.StringVar(&g.compare, "compare", g.compare, "what labeling compares: backends, conditions, or NAME:CONDITION,… (default: backends with two generators, else conditions; replay in the demo)")
	}
	if use&useSelect != 0 {
		g.sel.register(fs)
	}
	g.out.register(fs, use)
}

// command is one subcommand.
type command struct {
	// args names the positional arguments in the usage line; a command
	// without is given none (Run refuses them).
	name, args, summary string
	// noArgsHint, for a command that takes no arguments, is what its
	// refusal of some adds: what was meant instead ("name users with
	// --user").
	noArgsHint string
	// uses are the global flags the command reads.
	uses globalUse
	// valid are the words its first argument may be, for completion
	// (export's kinds, config's actions).
	valid []string
	// flags registers the command's own flags; run gets the positional
	// arguments left after parsing.
	flags func(fs *pflag.FlagSet)
	// garbageHeavy runs the command with the collector at
	// garbageHeavyGC (gc.go).
	garbageHeavy bool
	run          func(ctx context.Context, c *runContext, args []string) error
	help         string // shown by popi-tui CMD --help, after the summary
}

// runContext is what a running command can reach.
type runContext struct {
	Env
	globals
	// singleFrom says where the one backend of engine.SingleBackend came
	// from ("--url and --model"), when it replaced the configuration's.
	singleFrom string
}

func (c *runContext) printf(format string, args ...any) { fmt.Fprintf(c.Stdout, format, args...) }
func (c *runContext) eprintf(format string, args ...any) {
	fmt.Fprintf(c.Stderr, format, args...)
}

// say prints a line for the person on standard error, after the program's
// name. msg may quote files, data or servers: it is sanitized.
func (c *runContext) say(msg string) { c.eprintf("popi-tui: %s\n", sanitize.Line(msg)) }

// errAlreadyReported fails a command whose failure has been printed.
var errAlreadyReported = errors.New("failed")

// usageError is a mistake in the command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

func commands() []*command {
	cmds := []*command{importCommand(), exportCommand(), statsCommand(), demoCommand(), inferCommand(), generateCommand(), backendsCommand(), mergeCommand(), evalCommand(), promptsCommand(), queueCommand(), versionCommand(), manCommand(), configCommand()}
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].name < cmds[j].name })
	return cmds
}

// checkArgs refuses arguments to a command that takes none.
func (cmd *command) checkArgs(args []string) error {
	switch {
	case cmd.args != "" || len(args) == 0:
		return nil
	case cmd.noArgsHint != "":
		return usagef("%s takes no arguments (%s)", cmd.name, cmd.noArgsHint)
	}
	return usagef("%s takes no arguments", cmd.name)
}

// finish turns a command's error into the exit status, saying why.
func (c *runContext) finish(ctx context.Context, prog string, err error) int {
	var ue *usageError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ue):
		return c.usageFailure(prog, err)
	case ctx.Err() != nil:
		c.eprintf("popi-tui: %s\n", sanitize.Text(err.Error()))
		return ExitInterrupted
	case errors.Is(err, errAlreadyReported):
		return ExitFailure
	default: // errors can quote servers and data files
		c.eprintf("popi-tui: %s\n", sanitize.Text(err.Error()))
		return ExitFailure
	}
}

// openTUI opens the interactive program on the database.
func (c *runContext) openTUI(ctx context.Context) error {
	return c.withDB(func(w *workspace) error { return runTUI(ctx, c, w.db, false) })
}

func (c *runContext) usageFailure(prog string, err error) int {
	c.eprintf("%s: %s\nRun '%s --help' for usage.\n", prog, sanitize.Text(err.Error()), prog) // quotes the command line
	return ExitUsage
}
