package cli

import (
	"context"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// manCommand prints the manual page. It is made from the command tree, the
// same tree that parses the command line, so it cannot fall behind it.
func manCommand() *command {
	return &command{
		name:    "man",
		args:    "[COMMAND]",
		summary: "print the manual page, of popi-tui or of a command (troff, for man -l -)",
		help: `
popi-tui man | man -l -          read it now
popi-tui man >popi-tui.1         install it: put it in a man1 directory
popi-tui man import >popi-tui-import.1`,
		run: func(_ context.Context, c *runContext, args []string) error {
			root := c.rootCommand()
			page, rest, err := root.Find(args)
			if err != nil || len(rest) > 0 {
				return usagef("no manual page for %q (commands: %s)", strings.Join(args, " "), commandNames())
			}
			return c.writeMan(page)
		},
	}
}

func (c *runContext) writeMan(page *cobra.Command) error {
	page.DisableAutoGenTag = true // the page says its version instead
	header := &doc.GenManHeader{
		Title:   strings.ToUpper(strings.ReplaceAll(page.CommandPath(), " ", "-")),
		Section: "1",
		Source:  "popi-tui " + c.Version,
		Manual:  "popi-tui manual",
	}
	return doc.GenMan(page, header, c.Stdout)
}
