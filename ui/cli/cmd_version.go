package cli

import "context"

func versionCommand() *command {
	return &command{
		name:    "version",
		summary: "print popi-tui's version (also popi-tui --version)",
		help: `
Prints the module version; a build from a clone adds the VCS revision and
the date of its commit, and says when it had uncommitted changes.`,
		run: func(_ context.Context, c *runContext, _ []string) error {
			c.printf("popi-tui %s\n", c.Version)
			return nil
		},
	}
}
