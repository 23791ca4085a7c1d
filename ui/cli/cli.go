// Package cli is popi-tui's command line: it parses arguments, runs the
// subcommands (import, export, stats, demo, infer, generate, backends,
// merge, eval, prompts) against store and engine, and prints their
// results; without a command it opens the interactive UI. main wires it to
// the process; tests run it in process.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

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

// globals are the flags every command accepts, before or after its name.
type globals struct {
	db, config, theme, annotator, compare string
}

func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.db, "db", g.db, "database `path` (default $XDG_DATA_HOME/popi-tui/popi.db)")
	fs.StringVar(&g.config, "config", g.config, "configuration `file` (default $XDG_CONFIG_HOME/popi-tui/config.toml)")
	fs.StringVar(&g.theme, "theme", g.theme, "colour theme: dark, light or high-contrast (default: follows the terminal)")
	fs.StringVar(&g.annotator, "annotator", g.annotator, "`name` recorded on every label (default: your login name)")
	fs.StringVar(&g.compare, "compare", g.compare, "what labeling compares: backends, conditions, or NAME:CONDITION,… (default: backends with two generators, else conditions; replay in the demo)")
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
	// flags registers the command's own flags; run gets the positional
	// arguments left after parsing.
	flags func(fs *flag.FlagSet)
	run   func(ctx context.Context, c *runContext, args []string) error
	help  string // shown by popi-tui CMD --help, after the flags
	// selects: the command takes --users and --dataset as the program does
	// (whom to label: selection.go).
	selects bool
}

// runContext is what a running command can reach.
type runContext struct {
	Env
	globals
	sel selection
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
	cmds := []*command{importCommand(), exportCommand(), statsCommand(), demoCommand(), inferCommand(), generateCommand(), backendsCommand(), mergeCommand(), evalCommand(), promptsCommand(), queueCommand()}
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].name < cmds[j].name })
	return cmds
}

// Run runs popi-tui with args (without the program name) and returns the
// exit status. ctx is cancelled on Ctrl-C.
func Run(ctx context.Context, args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	c := &runContext{Env: env}
	root := newFlagSet("popi-tui")
	c.globals.register(root)
	c.sel.register(root)
	version := root.Bool("version", false, "print the version and exit")
	positional, err := parseInterspersed(root, args, true)
	switch {
	case errors.Is(err, flag.ErrHelp):
		c.printf("%s", mainUsage(root))
		return ExitOK
	case err != nil:
		return c.usageFailure("popi-tui", err)
	case *version:
		c.printf("popi-tui %s\n", env.Version)
		return ExitOK
	case len(positional) == 0 && c.interactive():
		return c.finish(ctx, "popi-tui", c.openTUI(ctx))
	case len(positional) == 0:
		c.eprintf("%s\nThe interactive UI needs a terminal; give a command to work without one.\n", mainUsage(root))
		return ExitUsage
	}
	name, rest := positional[0], positional[1:]
	var cmd *command
	for _, cm := range commands() {
		if cm.name == name {
			cmd = cm
		}
	}
	if cmd == nil {
		return c.usageFailure("popi-tui", fmt.Errorf("unknown command %q (commands: %s)", name, commandNames()))
	}
	fs := newFlagSet("popi-tui " + cmd.name)
	c.globals.register(fs)
	if cmd.selects {
		c.sel.register(fs)
	} else if c.sel.set() {
		return c.usageFailure("popi-tui", fmt.Errorf("--users and --dataset choose whom the interactive UI, demo and queue label; %s does not take them there", cmd.name))
	}
	if cmd.flags != nil {
		cmd.flags(fs)
	}
	positional, err = parseInterspersed(fs, rest, false)
	if errors.Is(err, flag.ErrHelp) {
		c.printf("%s", commandUsage(cmd, fs))
		return ExitOK
	}
	if err == nil {
		err = cmd.checkArgs(positional)
	}
	if err != nil {
		return c.usageFailure("popi-tui "+cmd.name, err)
	}
	return c.finish(ctx, "popi-tui "+cmd.name, cmd.run(ctx, c, positional))
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

func commandNames() string {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	return strings.Join(names, ", ")
}

func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported by Run, help by the usage texts
	fs.Usage = func() {}
	return fs
}

// parseInterspersed parses flags wherever they are among the arguments,
// so that `popi-tui import --db X F` and `popi-tui import F --db X` both
// work. "--" ends the flags (unless it is a flag's value, as in
// `--annotator --`). With stopAtFirst, parsing stops at the first
// positional argument (the command name), leaving the rest to the command.
func parseInterspersed(fs *flag.FlagSet, args []string, stopAtFirst bool) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" &&
			(consumed < 2 || !takesValue(fs, args[consumed-2])) {
			return append(positional, rest...), nil
		}
		if stopAtFirst {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// takesValue reports whether arg is a flag that consumes the next argument
// as its value: a known, non-boolean flag written without "=".
func takesValue(fs *flag.FlagSet, arg string) bool {
	name, ok := strings.CutPrefix(arg, "-")
	if !ok || strings.Contains(name, "=") {
		return false
	}
	f := fs.Lookup(strings.TrimPrefix(name, "-"))
	if f == nil {
		return false
	}
	b, isBool := f.Value.(interface{ IsBoolFlag() bool })
	return !isBool || !b.IsBoolFlag()
}

func mainUsage(fs *flag.FlagSet) string {
	var b strings.Builder
	b.WriteString(`popi-tui — a workbench for POPI-style personalization of language models.

Usage:
  popi-tui [global flags] COMMAND [flags] [arguments]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-8s %s\n", c.name, c.summary)
	}
	b.WriteString("\nGlobal flags (accepted before or after the command):\n")
	b.WriteString(flagDefaults(fs))
	b.WriteString("\nRun 'popi-tui COMMAND --help' for a command's flags.\n")
	return b.String()
}

func commandUsage(c *command, fs *flag.FlagSet) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: popi-tui %s [flags] %s\n\n%s\n", c.name, c.args, c.summary)
	if c.help != "" {
		fmt.Fprintf(&b, "\n%s\n", strings.TrimSpace(c.help))
	}
	b.WriteString("\nFlags:\n")
	b.WriteString(flagDefaults(fs))
	return b.String()
}

func flagDefaults(fs *flag.FlagSet) string {
	var b strings.Builder
	fs.SetOutput(&b)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	return b.String()
}
