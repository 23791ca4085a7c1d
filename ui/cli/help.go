package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// mainUsage is popi-tui --help: the commands, then the interactive UI's
// flags (each command's help lists the flags it takes).
func mainUsage(root *cobra.Command) string {
	var b strings.Builder
	b.WriteString(`popi-tui — a workbench for POPI-style personalization of language models.

Usage:
  popi-tui [flags]                        the interactive UI
  popi-tui COMMAND [flags] [arguments]    flags go before or after the command

Commands:
`)
	work := map[string]bool{}
	for _, c := range commands() {
		work[c.name] = true
		fmt.Fprintf(&b, "  %-8s %s\n", c.name, c.summary)
	}
	var other []*cobra.Command
	for _, cmd := range root.Commands() {
		if !work[cmd.Name()] && cmd.IsAvailableCommand() || cmd.Name() == "help" {
			other = append(other, cmd)
		}
	}
	if len(other) > 0 {
		b.WriteString("\nOther commands:\n")
		for _, cmd := range other {
			fmt.Fprintf(&b, "  %-10s %s\n", cmd.Name(), cmd.Short)
		}
	}
	b.WriteString("\nFlags of the interactive UI:\n")
	b.WriteString(root.Flags().FlagUsages())
	b.WriteString("\nRun 'popi-tui help COMMAND' or 'popi-tui COMMAND --help' for a command's flags.\n")
	return b.String()
}

// commandUsage is popi-tui COMMAND --help: the usage line, what the
// command does, and its flags: its own and the global ones it reads.
func commandUsage(cmd *cobra.Command) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s\n\n%s\n", cmd.UseLine(), cmd.Short)
	if cmd.Long != "" && cmd.Long != cmd.Short {
		fmt.Fprintf(&b, "\n%s\n", cmd.Long)
	}
	if subs := cmd.Commands(); len(subs) > 0 {
		b.WriteString("\nCommands:\n")
		for _, sub := range subs {
			if sub.IsAvailableCommand() {
				fmt.Fprintf(&b, "  %-10s %s\n", sub.Name(), sub.Short)
			}
		}
	}
	b.WriteString("\nFlags:\n")
	b.WriteString(cmd.Flags().FlagUsages())
	return b.String()
}
