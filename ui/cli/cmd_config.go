package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/ui/sanitize"
)

func configCommand() *command {
	var force, asJSON bool
	return &command{
		name:    "config",
		args:    "init | path | check",
		uses:    useConfig,
		valid:   []string{"init", "path", "check"},
		summary: "write a starter configuration, say which file is read, or check it",
		help: `
init   writes a commented starter configuration (llama.cpp, vLLM, Ollama and
       a hosted API at their usual addresses) to the file popi-tui reads:
       --config, else $POPI_CONFIG, else $XDG_CONFIG_HOME/popi-tui/config.toml.
       It does not replace a file unless --force.
path   prints the path of the file popi-tui reads (whether or not it exists).
check  reads the configuration as every command does and lists its
       backends, without asking the servers (popi-tui backends does):
       exit status 1, with the line and key, if it has a mistake. Without
       a file, OPENAI_BASE_URL and POPI_MODEL make one backend; --url and
       --model do the same for one command.`,
		flags: func(fs *pflag.FlagSet) {
			fs.BoolVar(&force, "force", false, "init: replace the file if it exists")
			fs.BoolVar(&asJSON, "json", false, "check: print one JSON object, for scripts")
		},
		run: func(_ context.Context, c *runContext, args []string) error {
			if len(args) != 1 {
				return usagef("say what to do: init, path or check")
			}
			switch args[0] {
			case "init":
				return c.configInit(force)
			case "path":
				path, _, err := c.configPath()
				if err == nil {
					c.printf("%s\n", sanitize.Line(path))
				}
				return err
			case "check":
				return c.configCheck(asJSON)
			}
			return usagef("unknown config command %q (want init, path or check)", sanitize.Line(args[0]))
		},
	}
}

// configInit writes the starter configuration where popi-tui reads it.
func (c *runContext) configInit(force bool) error {
	path, _, err := c.configPath()
	if err != nil {
		return err
	}
	if _, err := os.Stat(path); err == nil && !force {
		return fmt.Errorf("%s exists; give --force to replace it", path)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(path, []byte(starterConfig), 0o644); err != nil {
		return err
	}
	c.eprintf("wrote a starter configuration to %s; edit it, then run popi-tui config check\n", sanitize.Line(path))
	return nil
}

// checkedBackend is one backend in config check --json.
type checkedBackend struct {
	Name           string   `json:"name"`
	Kind           string   `json:"kind"`
	Roles          []string `json:"roles"`
	Model          string   `json:"model"`
	BaseURLs       []string `json:"base_urls"`
	MaxTokensField string   `json:"max_tokens_field,omitempty"`
	APIKeyEnv      string   `json:"api_key_env,omitempty"`
	Problem        string   `json:"problem,omitempty"`
}

// configCheckJSON is config check --json: the file (or "" for none), ok,
// the mistake that stops it loading, and the backends.
type configCheckJSON struct {
	Config   string           `json:"config"`
	OK       bool             `json:"ok"`
	Error    string           `json:"error,omitempty"`
	Backends []checkedBackend `json:"backends"`
}

// configCheck loads the configuration as the commands do and lists its
// backends; a backend whose key variable is unset is a problem.
func (c *runContext) configCheck(asJSON bool) error {
	out := configCheckJSON{Backends: []checkedBackend{}}
	cfg, err := c.loadConfig()
	var ue *usageError
	if errors.As(err, &ue) { // --url, --model: a mistake in the command line
		return err
	}
	if err != nil {
		out.Error = err.Error()
		if path, _, perr := c.configPath(); perr == nil {
			out.Config = path
		}
	} else {
		out.Config = cfg.Path
		out.Backends = checkedBackends(c, cfg)
	}
	out.OK = out.Error == ""
	for _, b := range out.Backends {
		out.OK = out.OK && b.Problem == ""
	}
	if asJSON {
		if err := json.NewEncoder(c.Stdout).Encode(out); err != nil {
			return err
		}
	} else {
		printConfigCheck(c, cfg, out)
	}
	switch {
	case err != nil && !asJSON:
		return err
	case !out.OK:
		return errAlreadyReported
	}
	return nil
}

func checkedBackends(c *runContext, cfg engine.Config) []checkedBackend {
	list := []checkedBackend{}
	for _, b := range cfg.Backends {
		cb := checkedBackend{Name: b.Name, Kind: b.Kind, Roles: b.Roles, Model: b.Model, BaseURLs: append([]string{}, b.BaseURLs...), APIKeyEnv: b.APIKeyEnv}
		if b.Kind == engine.KindOpenAI {
			cb.MaxTokensField = b.TokensField()
		}
		if b.APIKeyEnv != "" && c.Getenv(b.APIKeyEnv) == "" {
			cb.Problem = "$" + b.APIKeyEnv + " is not set"
		}
		list = append(list, cb)
	}
	return list
}

func printConfigCheck(c *runContext, cfg engine.Config, out configCheckJSON) {
	if out.Error != "" {
		return // finish prints it
	}
	c.printf("configuration: %s\n", c.configName(cfg))
	for _, b := range out.Backends {
		where := strings.Join(b.BaseURLs, ", ")
		if b.Kind == engine.KindOffline {
			where = "offline engine"
		}
		c.printf("  %s  [%s]  %s  model %s  %s\n", sanitize.Line(b.Name), b.Kind, strings.Join(b.Roles, ", "), sanitize.Line(b.Model), sanitize.Line(where))
		if b.Problem != "" {
			c.printf("    problem: %s\n", b.Problem)
		}
	}
	if out.OK {
		c.printf("ok: %d backend(s); popi-tui backends asks the servers\n", len(out.Backends))
	}
}
