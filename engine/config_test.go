package engine

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadConfig(t *testing.T) {
	path := writeConfig(t, `
history_budget = 4000
concurrency = 32
deadline = "20m"

[[backend]]
name        = "popi"
role        = "summarizer"
base_url    = "http://127.0.0.1:8080/v1"
model       = "popi-llama-3.2-3b"
api_key_env = "POPI_API_KEY"
temperature = 0.6
max_tokens  = 1024
concurrency = 16
timeout     = "90s"

[[backend]]
name     = "vllm"
role     = ["generator", "judge"]
base_url = ["http://gpu1:8000/v1", "http://gpu2:8000/v1"]
model    = "meta-llama/Llama-3.2-3B-Instruct"
deadline = "1h"

[[backend]]
name = "baseline"
kind = "offline"
role = "summarizer"
`)
	cfg, err := LoadConfig(path, true)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HistoryBudget != 4000 || cfg.Concurrency != 32 || cfg.MaxAttempts != DefaultMaxAttempts || len(cfg.Backends) != 3 {
		t.Fatalf("cfg = %+v", cfg)
	}
	want := []BackendConfig{
		{Name: "popi", Kind: KindOpenAI, Roles: []string{RoleSummarizer}, BaseURLs: []string{"http://127.0.0.1:8080/v1"}, Model: "popi-llama-3.2-3b",
			APIKeyEnv: "POPI_API_KEY", Temperature: 0.6, MaxTokens: 1024, Concurrency: 16, Timeout: 90 * time.Second, Deadline: 20 * time.Minute},
		{Name: "vllm", Kind: KindOpenAI, Roles: []string{RoleGenerator, RoleJudge}, BaseURLs: []string{"http://gpu1:8000/v1", "http://gpu2:8000/v1"},
			Model: "meta-llama/Llama-3.2-3B-Instruct", Temperature: DefaultTemperature, MaxTokens: DefaultMaxTokens, Concurrency: DefaultConcurrency, Timeout: DefaultTimeout, Deadline: time.Hour},
		{Name: "baseline", Kind: KindOffline, Roles: []string{RoleSummarizer}, Model: HeuristicName, Temperature: DefaultTemperature, MaxTokens: DefaultMaxTokens,
			Concurrency: DefaultConcurrency, Timeout: DefaultTimeout, Deadline: 20 * time.Minute},
	}
	if !reflect.DeepEqual(cfg.Backends, want) {
		t.Errorf("backends\n got %+v\nwant %+v", cfg.Backends, want)
	}
}

// Every mistake names the file, the line and the key.
func TestLoadConfigErrors(t *testing.T) {
	const ok = "[[backend]]\nname = \"a\"\nrole = \"generator\"\nbase_url = \"http://x/v1\"\nmodel = \"m\"\n"
	tests := []struct {
		name, text, want string
	}{
		{"syntax", "[[backend]]\nname = \"a\nrole = 1\n", ":2: backend.name: strings cannot contain newlines"},
		{"unknown top-level key", "histroy_budget = 5\n", ":1: histroy_budget: unknown setting"},
		{"unknown backend key", ok + "modle = \"x\"\n", ":6: backend.modle: unknown setting"},
		{"no name", "[[backend]]\nrole = \"generator\"\n", ":1: backend.name: every [[backend]] needs a name"},
		{"duplicate name", ok + ok, ":7: backend.name: \"a\" is already taken"},
		{"built-in name", "[[backend]]\nname = \"replay\"\nrole = \"generator\"\nkind = \"offline\"\n", ":2: backend.name: \"replay\" is already taken"},
		{"bad role", "[[backend]]\nname = \"a\"\nrole = \"writer\"\nbase_url = \"http://x/v1\"\nmodel = \"m\"\n", ":3: backend.role: unknown role \"writer\""},
		{"role not a string", "[[backend]]\nname = \"a\"\nrole = 5\n", ":3: backend.role: want a string or a list of strings"},
		{"no role", "[[backend]]\nname = \"a\"\nbase_url = \"http://x/v1\"\nmodel = \"m\"\n", ":1: backend.role: backend \"a\" has no role"},
		{"no base_url", "[[backend]]\nname = \"a\"\nrole = \"generator\"\nmodel = \"m\"\n", ":1: backend.base_url: backend \"a\" needs a base_url"},
		{"bad base_url", "[[backend]]\nname = \"a\"\nrole = \"generator\"\nbase_url = \"localhost:8080\"\nmodel = \"m\"\n", ":4: backend.base_url: \"localhost:8080\" is not an http(s) URL"},
		{"no model", "[[backend]]\nname = \"a\"\nrole = \"generator\"\nbase_url = \"http://x/v1\"\n", ":1: backend.model: backend \"a\" needs a model"},
		{"bad kind", ok + "kind = \"grpc\"\n", ":6: backend.kind: unknown kind \"grpc\""},
		{"bad timeout", ok + "timeout = \"soon\"\n", ":6: backend.timeout: want a duration"},
		{"bad deadline", ok + "deadline = \"0s\"\n", ":6: backend.deadline: must be positive"},
		{"bad default deadline", "deadline = 10\n", ":1: deadline: want a duration"},
		{"deadline shorter than the timeout", ok + "timeout = \"5m\"\ndeadline = \"1m\"\n", ":7: backend.deadline: the deadline 1m0s is shorter than the timeout 5m0s"},
		{"timeout past the default deadline", ok + "timeout = \"15m\"\n", ":6: backend.timeout: the deadline 10m0s is shorter than the timeout 15m0s"},
		{"default deadline shorter than a timeout", "deadline = \"1m\"\n\n" + ok, ":1: deadline: 1m0s is shorter than backend \"a\"'s timeout 2m0s"},
		{"temperature out of range", ok + "temperature = 3.5\n", ":6: backend.temperature: must be between 0 and 2"},
		{"zero concurrency", ok + "concurrency = 0\n", ":6: backend.concurrency: must be at least 1"},
		{"an API key in the file", ok + "api_key = \"sk-123\"\n", ":6: backend.api_key: API keys do not go in files"},
		{"bad budget", "history_budget = 0\n", ":1: history_budget: must be at least 1"},
		{"bad prefetch", "concurrency = 8\n\n[ui]\ntheme = \"light\"\nprefetch = 99\n", ":5: ui.prefetch: must be between 0 and 32"},
		{"bad reveal", "[ui]\nreveal = \"always\"\n", `:2: ui.reveal: must be "after" or "never"`},
		{"unknown ui key", "[ui]\ncolour = \"red\"\n", ":2: ui.colour: unknown setting"},
		{"too many attempts", "max_attempts = 40\n", ":1: max_attempts: must be at most 20"},
		{"wrong type in the 2nd backend", ok + "[[backend]]\nname = \"b\"\nrole = \"generator\"\nbase_url = \"http://x/v1\"\nmodel = \"m\"\nmax_tokens = \"many\"\n", ":11: backend.max_tokens: incompatible types"},
		{"a key pasted as the variable name", ok + "api_key_env = \"sk-123\"\n", ":6: backend.api_key_env: must be the name of an environment variable"},
		{"offline summarizer and generator", "[[backend]]\nname = \"o\"\nkind = \"offline\"\nrole = [\"summarizer\", \"generator\"]\n", ":4: backend.role: an offline backend is a summarizer (heuristic) or a generator (replay)"},
		{"spaced table header", "[[ backend ]]\nname = \"a\"\nrole = \"generator\"\nbase_url = \"http://x/v1\"\nmodel = \"m\"\n[[backend]]\nname = \"b\"\nrole = \"generator\"\nbase_url = \"http://x/v1\"\nmodel = \"m\"\ntemperature = 7\n", ":11: backend.temperature: must be between 0 and 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.text)
			_, err := LoadConfig(path, true)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.HasPrefix(err.Error(), path+":") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want %s…%s", err, path, tt.want)
			}
			if strings.Contains(err.Error(), "sk-123") {
				t.Error("the error repeats the secret")
			}
		})
	}
}

func TestLoadConfigMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.toml")
	cfg, err := LoadConfig(path, false)
	if err != nil || cfg.Path != "" || len(cfg.Backends) != 0 || cfg.HistoryBudget != DefaultHistoryBudget {
		t.Errorf("optional missing file: %+v, %v", cfg, err)
	}
	if _, err := LoadConfig(path, true); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("required missing file: %v", err)
	}
}

// Fixed bug: [[ backend ]] (valid TOML) confuses the line locator.
func TestReviewConfigSpacedHeaderLine(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.toml")
	os.WriteFile(p, []byte(`[[ backend ]]
name = "a"
role = "summarizer"
base_url = "http://127.0.0.1:1/v1"
model = "m"

[[backend]]
name = "b"
role = "generator"
base_url = "http://127.0.0.1:1/v1"
model = "m"
temperature = 7

[[backend]]
name = "c"
role = "generator"
base_url = "http://127.0.0.1:1/v1"
model = "m"
temperature = 0.5
`), 0o600)
	_, err := LoadConfig(p, true)
	t.Logf("%v", err)
	if err == nil || !strings.Contains(err.Error(), "c.toml:12:") {
		t.Errorf("got %v, want line 12", err)
	}
}

// [ui] reveal defaults to never (labeling stays blind); the question is
// one for every comparison, or one per comparison under [ui.questions].
func TestLoadConfigUIRevealAndQuestions(t *testing.T) {
	tests := []struct {
		name, text string
		want       UIConfig
	}{
		{"defaults", "", UIConfig{Prefetch: 3, Reveal: RevealNever, Skips: SkipsAgain}},
		{"reveal after", "[ui]\nreveal = \"after\"\n", UIConfig{Prefetch: 3, Reveal: RevealAfter, Skips: SkipsAgain}},
		{"questions", "[ui]\nquestion = \"Which is kinder?\"\n\n[ui.questions]\nreplay = \"Which did the user pick?\"\n\"a:summary,b:summary\" = \"Which fits?\"\n",
			UIConfig{Prefetch: 3, Reveal: RevealNever, Question: "Which is kinder?",
				Questions: map[string]string{"replay": "Which did the user pick?", "a:summary,b:summary": "Which fits?"}, Skips: SkipsAgain}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := LoadConfig(writeConfig(t, tt.text), true)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(cfg.UI, tt.want) {
				t.Errorf("ui = %+v, want %+v", cfg.UI, tt.want)
			}
		})
	}
}
