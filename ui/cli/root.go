package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/popi-tui/popi-tui/ui/sanitize"
)

// errNoCommand is popi-tui run with no command away from a terminal: the
// usage goes to standard error and the exit status is 2.
var errNoCommand = errors.New("no command")

// Run runs popi-tui with args (without the program name) and returns the
// exit status. ctx is cancelled on Ctrl-C.
func Run(ctx context.Context, args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	c := &runContext{Env: env}
	root := c.rootCommand()
	args, at := beforeCommand(root, args)
	if err := checkSelection(root, args, at); err != nil {
		return c.usageFailure("popi-tui", err)
	}
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if errors.Is(err, errNoCommand) {
		c.eprintf("%s\nThe interactive UI needs a terminal; give a command to work without one.\n", mainUsage(root))
		return ExitUsage
	}
	return c.finish(ctx, cmd.CommandPath(), err)
}

// rootCommand is the command tree: popi-tui itself (the interactive UI)
// and every subcommand, each with the global flags it reads.
func (c *runContext) rootCommand() *cobra.Command {
	var version bool
	root := &cobra.Command{
		Use:   "popi-tui",
		Short: "a workbench for POPI-style personalization of language models",
		Long: `popi-tui keeps user histories in an embedded database, gets preference
summaries from a summarizer model, lets a person read and edit them, shows
several backends' answers side by side, and records blind human preference
labels that it exports as training data. Without a command it opens the
interactive UI on the database.`,
		SilenceErrors: true, // finish reports errors, sanitized, with the exit status
		SilenceUsage:  true,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("unknown command %q (commands: %s)", sanitize.Line(args[0]), commandNames())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case version:
				c.printf("popi-tui %s\n", c.Version)
				return nil
			case c.interactive():
				return c.openTUI(cmd.Context())
			}
			return errNoCommand
		},
	}
	root.SetIn(c.Stdin)
	root.SetOut(c.Stdout)
	root.SetErr(c.Stderr)
	c.globals.register(root.Flags(), useDB|useConfig|useTheme|useUI|useSelect)
	root.Flags().BoolVar(&version, "version", false, "print the version and exit")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{msg: err.Error()} })
	root.SetHelpFunc(func(cmd *cobra.Command, _ []string) {
		if cmd == root {
			c.printf("%s", mainUsage(root))
			return
		}
		c.printf("%s", commandUsage(cmd))
	})
	root.SetHelpCommand(c.helpCommand(root))
	for _, cmd := range commands() {
		root.AddCommand(c.cobraCommand(cmd))
	}
	// Now rather than at Execute, so that the manual page has them too.
	root.InitDefaultHelpFlag()
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	for _, cmd := range root.Commands() {
		if cmd.Name() == "completion" {
			refuseUnknownShell(cmd)
		}
	}
	return root
}

// cobraCommand makes cmd a cobra command run in c.
func (c *runContext) cobraCommand(cmd *command) *cobra.Command {
	cc := &cobra.Command{
		Use:       strings.TrimSpace(cmd.name + " [flags] " + cmd.args),
		Short:     cmd.summary,
		Long:      strings.TrimSpace(cmd.help),
		Args:      func(_ *cobra.Command, args []string) error { return cmd.checkArgs(args) },
		ValidArgs: cmd.valid,
		RunE: func(cc *cobra.Command, args []string) error {
			if cmd.garbageHeavy {
				defer c.collectLessOften()()
			}
			return cmd.run(cc.Context(), c, args)
		},
	}
	c.globals.register(cc.Flags(), cmd.uses)
	if cmd.flags != nil {
		cmd.flags(cc.Flags())
	}
	cc.InitDefaultHelpFlag() // now, for help COMMAND to list it too
	return cc
}

// beforeCommand finds the command's name among args, after the flags
// given to popi-tui itself: its index, or -1. A "--" just before the name
// ends only popi-tui's own flags, as it did before each command had flag
// sets of its own; cobra would take the name for an argument, so it is
// dropped.
func beforeCommand(root *cobra.Command, args []string) ([]string, int) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			if i+1 < len(args) && isCommand(root, args[i+1]) {
				return append(args[:i:i], args[i+1:]...), i
			}
			return args, -1
		case !strings.HasPrefix(a, "-") || a == "-":
			if isCommand(root, a) {
				return args, i
			}
			return args, -1
		case takesValue(root.Flags(), a):
			i++
		}
	}
	return args, -1
}

// checkSelection refuses --users or --dataset before a command that does
// not label: import and eval have a --dataset of their own that means
// something else, so the flag is not handed on to them.
func checkSelection(root *cobra.Command, args []string, at int) error {
	if at < 0 {
		return nil
	}
	name := args[at]
	for _, cmd := range commands() {
		if cmd.name == name && cmd.uses&useSelect != 0 {
			return nil
		}
	}
	for _, a := range args[:at] {
		flag, _, _ := strings.Cut(a, "=")
		if flag == "--users" || flag == "--dataset" {
			return fmt.Errorf("--users and --dataset choose whom the interactive UI, demo and queue label; %s does not take them there", sanitize.Line(name))
		}
	}
	return nil
}

// refuseUnknownShell makes `completion` without a shell, or with one it
// does not know, a usage error (cobra shows its help, exit status 0).
func refuseUnknownShell(completion *cobra.Command) {
	completion.Args = func(_ *cobra.Command, args []string) error {
		if len(args) > 0 {
			return usagef("no completion for shell %q (shells: bash, zsh, fish, powershell)", sanitize.Line(args[0]))
		}
		return nil
	}
	completion.RunE = func(*cobra.Command, []string) error {
		return usagef("say which shell: bash, zsh, fish or powershell")
	}
	for _, sh := range completion.Commands() {
		sh.InitDefaultHelpFlag()
	}
	completion.InitDefaultHelpFlag()
}

func isCommand(root *cobra.Command, name string) bool {
	for _, cmd := range root.Commands() {
		if cmd.Name() == name {
			return true
		}
	}
	return false
}

// takesValue reports whether arg is a flag that consumes the next argument
// as its value: a known, non-boolean flag written without "=".
func takesValue(fs *pflag.FlagSet, arg string) bool {
	name, ok := strings.CutPrefix(arg, "--")
	if !ok || strings.Contains(name, "=") {
		return false
	}
	f := fs.Lookup(name)
	return f != nil && f.NoOptDefVal == ""
}

func commandNames() string {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	return strings.Join(names, ", ")
}
