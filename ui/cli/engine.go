package cli

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/ui/sanitize"
)

// configPath is --config, else $POPI_CONFIG, else the default
// configuration file; required says whether it must exist (it must when
// named).
func (c *runContext) configPath() (path string, required bool, err error) {
	if cfg := firstOf(c.config, c.Getenv("POPI_CONFIG")); cfg != "" {
		return cfg, true, nil
	}
	dir, err := c.xdgDir("XDG_CONFIG_HOME", ".config")
	if err != nil {
		return "", false, err
	}
	return filepath.Join(dir, "popi-tui", "config.toml"), false, nil
}

// loadConfig reads the configuration. --url or --model replace its
// backends with one for this command; without a file, OPENAI_BASE_URL and
// POPI_MODEL make that one backend.
func (c *runContext) loadConfig() (engine.Config, error) {
	path, required, err := c.configPath()
	if err != nil {
		return engine.Config{}, err
	}
	cfg, err := engine.LoadConfig(path, required)
	if err != nil {
		return engine.Config{}, err
	}
	sb, ok := engine.SingleBackendFromEnv(c.Getenv)
	switch {
	case c.url != "" || c.model != "":
		if c.url != "" || !ok {
			sb = engine.SingleBackend{BaseURL: firstOf(c.url, engine.OpenAIBaseURL), BaseURLFrom: "--url", ModelFrom: "--model"}
			if c.url == "" {
				sb.BaseURLFrom = "the default base URL"
			}
			if c.Getenv(engine.EnvAPIKey) != "" {
				sb.APIKeyEnv = engine.EnvAPIKey
			}
		}
		if c.model != "" {
			sb.Model, sb.ModelFrom = c.model, "--model"
		}
	case !ok || cfg.Path != "":
		return cfg, nil
	}
	cfg, err = cfg.WithSingleBackend(sb)
	if err != nil {
		return engine.Config{}, usagef("%v", err)
	}
	c.singleFrom = sb.BaseURLFrom + " and " + sb.ModelFrom
	return cfg, nil
}

// listFlag collects a repeatable flag; each value may also be a comma-
// separated list.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

// Type names the value in help when the usage names none.
func (l *listFlag) Type() string { return "strings" }

func (l *listFlag) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*l = append(*l, part)
		}
	}
	return nil
}

// concurrency is a bulk run's --concurrency: how many items it works on at
// once; 0, the default, is the configuration's concurrency.
type concurrency int

// register adds the flag to fs; what says what is worked on at once.
func (n *concurrency) register(fs *pflag.FlagSet, what string) {
	fs.IntVar((*int)(n), "concurrency", 0, what+" at once (default: the configuration's concurrency)")
}

// check refuses a negative value, before anything runs.
func (n concurrency) check() error {
	if n < 0 {
		return usagef("--concurrency must be positive")
	}
	return nil
}

// of is the number to run with on e: the flag's, else the configuration's.
func (n concurrency) of(e *engine.Engine) int {
	if n == 0 {
		return e.Config().Concurrency
	}
	return int(n)
}

// printReport writes a bulk run's final report, and says whether anything
// failed.
func (c *runContext) printReport(what string, r engine.Report) error {
	if c.out.asJSON {
		if err := c.printJSON(newBulkJSON(what, r)); err != nil {
			return err
		}
		return c.reportEnd(what, r)
	}
	took := r.Elapsed.Round(100 * time.Millisecond)
	if r.Elapsed < time.Second {
		took = r.Elapsed.Round(time.Millisecond)
	}
	c.printf("%s: %d done, %d skipped (already done), %d failed of %d in %s — %.1f requests/s, %.0f tokens/s\n",
		what, r.Done, r.Skipped, r.Failed, r.Total, took, r.RequestsPerSecond(), r.TokensPerSecond())
	for _, e := range r.Errors {
		c.eprintf("  %s\n", failureCount(e.Count, e.Reason, e.Example))
	}
	return c.reportEnd(what, r)
}

// reportEnd is the error of a finished run: interrupted, or with failures.
func (c *runContext) reportEnd(what string, r engine.Report) error {
	if r.Interrupted {
		left := r.Total - r.Done - r.Skipped - r.Failed
		return fmt.Errorf("%s interrupted with %d left to do; finished work is kept, and running the same command again resumes", what, left)
	}
	return runFailure(what, r)
}

// failureCount says how many items failed for one reason, with an example
// of them. Reasons quote servers and examples name users: both are
// sanitized.
func failureCount(count int, reason, example string) string {
	return fmt.Sprintf("%d × %s (e.g. %s)", count, sanitize.Line(reason), sanitize.Line(example))
}

// runFailure is the error of a run with failed items (they are listed in
// the output).
func runFailure(what string, r engine.Report) error {
	if r.Failed > 0 {
		return fmt.Errorf("%s: %d of %d failed", what, r.Failed, r.Total)
	}
	return nil
}

// configName is the configuration file's name as printed, and where the
// one backend came from when the environment or --url made it.
func (c *runContext) configName(cfg engine.Config) string {
	name := "no configuration file"
	if cfg.Path != "" {
		name = sanitize.Line(cfg.Path) // a file name is printed like any untrusted text
	}
	if c.singleFrom != "" {
		name += "; its backends replaced by one from " + c.singleFrom
		if cfg.Path == "" {
			name = "no configuration file; one backend from " + c.singleFrom
		}
	}
	return name
}
