package cli

import (
	"context"
	"os/user"
	"strings"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/themes"
	"github.com/popi-tui/popi-tui/ui"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// runTUI opens the interactive program on db.
func runTUI(ctx context.Context, c *runContext, db *store.DB, demo bool) error {
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	e := engine.New(db, cfg, engine.Options{Getenv: c.Getenv})
	defer e.Close()
	name := firstOf(c.theme, cfg.UI.Theme)
	theme, err := themes.Lookup(name)
	if err != nil {
		return usagef("%v", err)
	}
	compare, err := screen.ParseCompare(firstOf(c.compare, cfg.UI.Compare), e, demo)
	if err != nil {
		return usagef("%v", err)
	}
	return ui.Run(ctx, ui.Options{
		DB: db, Engine: e, AppVersion: c.Version,
		Annotator: firstOf(c.annotator, cfg.UI.Annotator, c.loginName()),
		Theme:     theme, NoColor: themes.ColorDisabled(c.Getenv),
		Compare: compare, Prefetch: cfg.UI.Prefetch, Demo: demo,
		Input: c.Stdin, Output: c.Stdout,
	})
}

// loginName is who is at the keyboard, for labels without --annotator.
func (c *runContext) loginName() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return firstOf(c.Getenv("USER"), c.Getenv("LOGNAME"), "annotator")
}

func firstOf(values ...string) string {
	for _, v := range values {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// interactive reports whether the program talks to a person at a terminal.
func (c *runContext) interactive() bool { return c.StdinIsTerminal && c.StdoutIsTerminal }
