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
	opt, err := c.tuiOptions(cfg, db, e, demo)
	if err != nil {
		return err
	}
	return ui.Run(ctx, opt)
}

// tuiOptions is how the interactive program is set up: the flags over the
// configuration's [ui] table.
func (c *runContext) tuiOptions(cfg engine.Config, db *store.DB, e *engine.Engine, demo bool) (ui.Options, error) {
	theme, err := themes.Lookup(firstOf(c.theme, cfg.UI.Theme))
	if err != nil {
		return ui.Options{}, usagef("%v", err)
	}
	compare, err := screen.ParseCompare(firstOf(c.compare, cfg.UI.Compare), e, demo)
	if err != nil {
		return ui.Options{}, usagef("%v", err)
	}
	annotator := firstOf(c.annotator, cfg.UI.Annotator, c.loginName())
	queue, err := queueSettings(cfg.UI, annotator)
	if err != nil {
		return ui.Options{}, err
	}
	label, err := c.sel.resolve(db)
	if err != nil {
		return ui.Options{}, err
	}
	if label != nil && compare.Summaries() {
		return ui.Options{}, usagef("--users and --dataset choose the items of Compare & label; Compare summaries (--compare %s) covers every user", compare)
	}
	return ui.Options{
		DB: db, Engine: e, AppVersion: c.Version,
		Annotator: annotator,
		Theme:     theme, NoColor: themes.ColorDisabled(c.Getenv),
		Compare: compare, Prefetch: cfg.UI.Prefetch, Demo: demo,
		Input: c.Stdin, Output: c.Stdout,
		Queue: queue, Label: label,
	}, nil
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
