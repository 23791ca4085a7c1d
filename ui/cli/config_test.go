package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/popi-tui/popi-tui/engine"
)

// config path names the file popi-tui reads: --config, else $POPI_CONFIG,
// else the XDG default.
func TestConfigPath(t *testing.T) {
	for _, tt := range []struct {
		name string
		env  map[string]string
		args []string
		want func(e *testEnv) string
	}{
		{"default", nil, nil, func(e *testEnv) string { return filepath.Join(e.vars["XDG_CONFIG_HOME"], "popi-tui", "config.toml") }},
		{"POPI_CONFIG", map[string]string{"POPI_CONFIG": "/etc/popi.toml"}, nil, func(*testEnv) string { return "/etc/popi.toml" }},
		{"--config over POPI_CONFIG", map[string]string{"POPI_CONFIG": "/etc/popi.toml"}, []string{"--config", "mine.toml"}, func(*testEnv) string { return "mine.toml" }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			for k, v := range tt.env {
				e.vars[k] = v
			}
			r := e.mustRun(ExitOK, append([]string{"config", "path"}, tt.args...)...)
			if want := tt.want(e) + "\n"; r.stdout != want {
				t.Errorf("stdout %q, want %q", r.stdout, want)
			}
		})
	}
}

// config init writes the starter configuration where it is read; it loads
// as it is, with the servers' usual addresses; it is not replaced without
// --force.
func TestConfigInitWritesALoadableFile(t *testing.T) {
	e := newTestEnv(t)
	path := strings.TrimSpace(e.mustRun(ExitOK, "config", "path").stdout)
	e.mustRun(ExitOK, "config", "init")
	cfg, err := engine.LoadConfig(path, true)
	if err != nil {
		t.Fatal(err)
	}
	var urls []string
	for _, b := range cfg.Backends {
		urls = append(urls, b.BaseURLs...)
	}
	if !slices.Equal(urls, []string{"http://127.0.0.1:8080/v1", "http://127.0.0.1:8000/v1"}) {
		t.Errorf("base URLs %v", urls)
	}
	for _, want := range []string{"127.0.0.1:11434/v1", "api.openai.com/v1", "api_key_env"} {
		if !strings.Contains(starterConfig, want) {
			t.Errorf("the starter lacks %q", want)
		}
	}
	r := e.mustRun(ExitFailure, "config", "init")
	if !strings.Contains(r.stderr, path+" exists; give --force") {
		t.Errorf("init over a file: %q", r.stderr)
	}
	os.WriteFile(path, []byte("# mine\n"), 0o600)
	e.mustRun(ExitOK, "config", "init", "--force")
	if data, _ := os.ReadFile(path); string(data) != starterConfig {
		t.Error("--force did not replace the file")
	}
	other := e.path("elsewhere", "popi.toml")
	e.mustRun(ExitOK, "config", "init", "--config", other)
	if !exists(other) {
		t.Errorf("init --config did not write %s", other)
	}
}

// config check lists the backends without asking servers; a mistake is
// exit status 1 with the file, line and key.
func TestConfigCheck(t *testing.T) {
	for _, tt := range []struct {
		name, file string
		env        map[string]string
		args       []string
		code       int
		want       []string
	}{
		{"starter", starterConfig, nil, nil, ExitOK, []string{"popi  [openai]  summarizer  model popi-llama-3.2-3b  http://127.0.0.1:8080/v1", "ok: 3 backend(s)"}},
		{"mistake", "[[backend]]\nname = \"x\"\nrole = \"summarizer\"\nbase_url = \"http://h/v1\"\nmodel = \"m\"\ntemperature = 9\n", nil, nil, ExitFailure, []string{"config.toml:6: backend.temperature: must be between 0 and 2"}},
		{"key unset", "[[backend]]\nname = \"x\"\nrole = \"judge\"\nbase_url = \"https://h/v1\"\nmodel = \"m\"\napi_key_env = \"HOSTED_KEY\"\n", nil, nil, ExitFailure, []string{"problem: $HOSTED_KEY is not set"}},
		{"key set", "[[backend]]\nname = \"x\"\nrole = \"judge\"\nbase_url = \"https://h/v1\"\nmodel = \"m\"\napi_key_env = \"HOSTED_KEY\"\n", map[string]string{"HOSTED_KEY": "k"}, nil, ExitOK, []string{"ok: 1 backend(s)"}},
		{"no file", "", nil, nil, ExitOK, []string{"configuration: no configuration file\n", "ok: 0 backend(s)"}},
		{"the environment's backend", "", map[string]string{"OPENAI_BASE_URL": "http://127.0.0.1:11434/v1", "POPI_MODEL": "llama3.2"}, nil, ExitOK,
			[]string{"configuration: no configuration file; one backend from OPENAI_BASE_URL and POPI_MODEL\n", "default  [openai]  summarizer, generator, judge  model llama3.2  http://127.0.0.1:11434/v1"}},
		{"--model over a file", starterConfig, map[string]string{"OPENAI_BASE_URL": "http://127.0.0.1:8000/v1"}, []string{"--model", "q"}, ExitOK,
			[]string{"; its backends replaced by one from OPENAI_BASE_URL and --model\n", "ok: 1 backend(s)"}},
		{"--config missing", "", nil, []string{"--config", "nope.toml"}, ExitFailure, []string{"nope.toml"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			for k, v := range tt.env {
				e.vars[k] = v
			}
			if tt.file != "" {
				writeFile(t, filepath.Join(e.vars["XDG_CONFIG_HOME"], "popi-tui", "config.toml"), tt.file)
			}
			r := e.mustRun(tt.code, append([]string{"config", "check"}, tt.args...)...)
			for _, w := range tt.want {
				if !strings.Contains(r.stdout+r.stderr, w) {
					t.Errorf("output lacks %q:\n%s%s", w, r.stdout, r.stderr)
				}
			}
			j := e.mustRun(tt.code, append([]string{"config", "check", "--json"}, tt.args...)...)
			var out configCheckJSON
			if err := json.Unmarshal([]byte(j.stdout), &out); err != nil || strings.Count(j.stdout, "\n") != 1 {
				t.Fatalf("--json printed %q: %v", j.stdout, err)
			}
			if out.OK != (tt.code == ExitOK) {
				t.Errorf("--json ok = %v with exit %d", out.OK, tt.code)
			}
			if exists(e.defaultDB()) {
				t.Error("config check created the database")
			}
		})
	}
	e := newTestEnv(t)
	e.mustRun(ExitUsage, "config")
	e.mustRun(ExitUsage, "config", "frob")
}

// Without a configuration file, OPENAI_BASE_URL and POPI_MODEL make one
// backend with every role; a file wins over them; --url and --model make
// that backend for one command, over the file.
func TestSingleBackendFromEnvironmentAndFlags(t *testing.T) {
	file := "[[backend]]\nname = \"filed\"\nrole = \"summarizer\"\nbase_url = \"http://file:1/v1\"\nmodel = \"f\"\n"
	for _, tt := range []struct {
		name      string
		env       map[string]string
		file      bool
		args      []string
		code      int
		wantNames []string
		wantURL   string
		wantModel string
		wantErr   string
	}{
		{"environment", map[string]string{"OPENAI_BASE_URL": "http://127.0.0.1:11434/v1", "POPI_MODEL": "llama3.2"}, false, nil, ExitOK, []string{"default"}, "http://127.0.0.1:11434/v1", "llama3.2", ""},
		{"model alone: OpenAI's URL", map[string]string{"POPI_MODEL": "gpt-5-mini", "OPENAI_API_KEY": "sk-x"}, false, nil, ExitOK, []string{"default"}, "https://api.openai.com/v1", "gpt-5-mini", ""},
		{"a key alone is nothing", map[string]string{"OPENAI_API_KEY": "sk-x"}, false, nil, ExitOK, nil, "", "", ""},
		{"a file wins over the environment", map[string]string{"OPENAI_BASE_URL": "http://e/v1", "POPI_MODEL": "m"}, true, nil, ExitOK, []string{"filed"}, "http://file:1/v1", "f", ""},
		{"--url and --model over the file", nil, true, []string{"--url", "http://127.0.0.1:8000/v1", "--model", "q"}, ExitOK, []string{"default"}, "http://127.0.0.1:8000/v1", "q", ""},
		{"--model with the environment's URL", map[string]string{"OPENAI_BASE_URL": "http://e:2/v1", "POPI_MODEL": "m"}, true, []string{"--model", "other"}, ExitOK, []string{"default"}, "http://e:2/v1", "other", ""},
		{"URL without a model", map[string]string{"OPENAI_BASE_URL": "http://e/v1"}, false, nil, ExitUsage, nil, "", "", "OPENAI_BASE_URL (http://e/v1) needs a model"},
		{"--url not a URL", nil, false, []string{"--url", "localhost:8000", "--model", "m"}, ExitUsage, nil, "", "", `--url: "localhost:8000" is not an http(s) URL`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			for k, v := range tt.env {
				e.vars[k] = v
			}
			if tt.file {
				writeFile(t, filepath.Join(e.vars["XDG_CONFIG_HOME"], "popi-tui", "config.toml"), file)
			}
			r := e.mustRun(tt.code, append([]string{"config", "check", "--json"}, tt.args...)...)
			if tt.wantErr != "" {
				if !strings.Contains(r.stderr, tt.wantErr) {
					t.Errorf("stderr %q lacks %q", r.stderr, tt.wantErr)
				}
				return
			}
			var out configCheckJSON
			if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, b := range out.Backends {
				names = append(names, b.Name)
			}
			if !slices.Equal(names, tt.wantNames) {
				t.Fatalf("backends %v, want %v", names, tt.wantNames)
			}
			if len(names) == 0 {
				return
			}
			b := out.Backends[0]
			if b.BaseURLs[0] != tt.wantURL || b.Model != tt.wantModel {
				t.Errorf("backend %+v", b)
			}
			if b.Name == engine.SingleBackendName && !slices.Equal(b.Roles, []string{"summarizer", "generator", "judge"}) {
				t.Errorf("roles %v, want every role", b.Roles)
			}
		})
	}
}

// The environment's backend answers: infer against a model server named
// by OPENAI_BASE_URL and POPI_MODEL alone, the key sent from
// OPENAI_API_KEY.
func TestInferWithTheEnvironmentsBackend(t *testing.T) {
	m := newModelServer(t)
	e := newTestEnv(t)
	e.vars["OPENAI_BASE_URL"], e.vars["POPI_MODEL"], e.vars["OPENAI_API_KEY"] = m.URL+"/v1", "tiny", "sk-test"
	db := e.demoDB()
	r := e.mustRun(ExitOK, "infer", "--db", db, "--user", "terse-tom")
	if !strings.Contains(r.stdout, "1 done") || m.requests.Load() != 1 || m.auth.Load() != "Bearer sk-test" {
		t.Errorf("stdout %q, %d request(s), auth %q", r.stdout, m.requests.Load(), m.auth.Load())
	}
}

// POPI_DB stands in for --db; --db wins.
func TestPOPIDB(t *testing.T) {
	e := newTestEnv(t)
	env := e.path("env.db")
	e.vars["POPI_DB"] = env
	e.mustRun(ExitOK, "import", "--format", "popi", writeFile(t, e.path("in.jsonl"), goodPopi))
	if !exists(env) || exists(e.defaultDB()) {
		t.Fatalf("import without --db did not use $POPI_DB")
	}
	if got := e.mustRun(ExitOK, "stats").stdout; !strings.HasPrefix(got, env+"\n") {
		t.Errorf("stats names %q", got)
	}
	flag := e.path("flag.db")
	if got := e.mustRun(ExitOK, "stats", "--db", flag).stdout; !strings.HasPrefix(got, flag+"\n") {
		t.Errorf("stats --db names %q", got)
	}
}
