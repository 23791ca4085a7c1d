package cli

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/sanitize"
)

// configPath is --config, or the default configuration file; required
// says whether it must exist (it must when named).
func (c *runContext) configPath() (path string, required bool, err error) {
	if c.config != "" {
		return c.config, true, nil
	}
	dir, err := c.xdgDir("XDG_CONFIG_HOME", ".config")
	if err != nil {
		return "", false, err
	}
	return filepath.Join(dir, "popi-tui", "config.toml"), false, nil
}

func (c *runContext) loadConfig() (engine.Config, error) {
	path, required, err := c.configPath()
	if err != nil {
		return engine.Config{}, err
	}
	return engine.LoadConfig(path, required)
}

// openEngine makes the engine for db from the configuration; notices go
// to notify (above a progress bar, when there is one).
func (c *runContext) openEngine(db *store.DB, notify func(string)) (*engine.Engine, error) {
	cfg, err := c.loadConfig()
	if err != nil {
		return nil, err
	}
	return engine.New(db, cfg, engine.Options{Getenv: c.Getenv, Notify: notify}), nil
}

// listFlag collects a repeatable flag; each value may also be a comma-
// separated list.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*l = append(*l, part)
		}
	}
	return nil
}

// printReport writes a bulk run's final report, and says whether anything
// failed.
func (c *runContext) printReport(what string, r engine.Report) error {
	took := r.Elapsed.Round(100 * time.Millisecond)
	if r.Elapsed < time.Second {
		took = r.Elapsed.Round(time.Millisecond)
	}
	c.printf("%s: %d done, %d skipped (already done), %d failed of %d in %s — %.1f requests/s, %.0f tokens/s\n",
		what, r.Done, r.Skipped, r.Failed, r.Total, took, r.RequestsPerSecond(), r.TokensPerSecond())
	for _, e := range r.Errors { // reasons quote servers; examples name users: both untrusted
		c.eprintf("  %d × %s (e.g. %s)\n", e.Count, sanitize.Line(e.Reason), sanitize.Line(e.Example))
	}
	switch {
	case r.Interrupted:
		left := r.Total - r.Done - r.Skipped - r.Failed
		return fmt.Errorf("%s interrupted with %d left to do; finished work is kept, and running the same command again resumes", what, left)
	case r.Failed > 0:
		return fmt.Errorf("%s: %d of %d failed", what, r.Failed, r.Total)
	}
	return nil
}
