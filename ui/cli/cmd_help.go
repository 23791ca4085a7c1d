package cli

import (
	"strings"

	"github.com/spf13/cobra"
)

// helpCommand is popi-tui help [COMMAND]. It replaces cobra's, which
// answers a mistyped name with the main help and exit status 0: here that
// is a usage error, as an unknown command is.
func (c *runContext) helpCommand(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "help [COMMAND]",
		Short: "show the help of popi-tui or of a command",
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var names []cobra.Completion
			for _, cmd := range root.Commands() {
				if cmd.IsAvailableCommand() {
					names = append(names, cobra.CompletionWithDesc(cmd.Name(), cmd.Short))
				}
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(_ *cobra.Command, args []string) error {
			cmd, rest, err := root.Find(args)
			if err != nil || len(rest) > 0 {
				return usagef("no help for %q (commands: %s)", strings.Join(args, " "), commandNames())
			}
			return cmd.Help()
		},
	}
}
