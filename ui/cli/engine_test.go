package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/popi-tui/popi-tui/store/storetest"
)

// modelServer is a small OpenAI-compatible server for the command-line
// tests (the engine's own tests cover protocol faults in depth).
type modelServer struct {
	*httptest.Server
	status   atomic.Int32 // when not 0, every completion fails with it
	requests atomic.Int32
	auth     atomic.Value // the Authorization header last seen
}

func newModelServer(t *testing.T) *modelServer {
	t.Helper()
	m := &modelServer{}
	m.auth.Store("")
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		m.auth.Store(r.Header.Get("Authorization"))
		switch r.URL.Path {
		case "/v1/models":
			fmt.Fprint(w, `{"object":"list","data":[{"id":"tiny","object":"model"}]}`)
		case "/v1/chat/completions":
			m.requests.Add(1)
			if s := m.status.Load(); s != 0 {
				w.WriteHeader(int(s))
				fmt.Fprintf(w, `{"error":{"message":"server says no","type":"error"}}`)
				return
			}
			w.Header().Set("Content-Type", "text/event-stream")
			for _, piece := range []string{"Likes ", "brevity."} {
				fmt.Fprintf(w, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":%q},\"finish_reason\":null}]}\n\n", piece)
			}
			fmt.Fprint(w, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":50,\"completion_tokens\":2,\"total_tokens\":52}}\n\ndata: [DONE]\n\n")
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(m.Close)
	return m
}

// withConfig writes a configuration with one backend "fake" at url and
// returns its path.
func (e *testEnv) withConfig(url, extra string) string {
	path := e.path("config.toml")
	text := fmt.Sprintf("max_attempts = 2\n\n[[backend]]\nname = \"fake\"\nrole = [\"summarizer\", \"generator\"]\nbase_url = %q\nmodel = \"tiny\"\ntimeout = \"5s\"\n%s", url, extra)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		e.t.Fatal(err)
	}
	return path
}

// demoDB is a database holding the demo users, closed for commands to
// open.
func (e *testEnv) demoDB() string {
	db := e.path("demo.db")
	storetest.DemoDBAt(e.t, db).Close()
	return db
}

func TestInferWithAModelServer(t *testing.T) {
	e := newTestEnv(t)
	m := newModelServer(t)
	db, cfg := e.demoDB(), e.withConfig(m.URL+"/v1", "")
	r := e.mustRun(ExitOK, "infer", "--db", db, "--config", cfg)
	if !strings.HasPrefix(r.stdout, "infer via fake: 8 done, 0 skipped (already done), 0 failed of 8") {
		t.Errorf("stdout = %q", r.stdout)
	}
	r = e.mustRun(ExitOK, "infer", "--db", db, "--config", cfg)
	if !strings.HasPrefix(r.stdout, "infer via fake: 0 done, 8 skipped") {
		t.Errorf("second run: %q", r.stdout)
	}
	if st := e.stats(db); st["summaries"] != 8 {
		t.Errorf("stats %v", st)
	}
	r = e.mustRun(ExitOK, "infer", "--db", db, "--config", cfg, "--user", "terse-tom", "--force")
	if !strings.HasPrefix(r.stdout, "infer via fake: 1 done") || m.requests.Load() != 9 {
		t.Errorf("forced run: %q after %d requests", r.stdout, m.requests.Load())
	}
}

func TestInferOfflineWithoutConfiguration(t *testing.T) {
	e := newTestEnv(t)
	db := e.demoDB()
	r := e.mustRun(ExitOK, "infer", "--db", db)
	if !strings.HasPrefix(r.stdout, "infer via heuristic: 8 done") {
		t.Errorf("stdout = %q", r.stdout)
	}
}

func TestInferReportsFailuresByReason(t *testing.T) {
	e := newTestEnv(t)
	m := newModelServer(t)
	m.status.Store(500)
	db, cfg := e.demoDB(), e.withConfig(m.URL+"/v1", "")
	r := e.mustRun(ExitFailure, "infer", "--db", db, "--config", cfg)
	if !strings.Contains(r.stdout, "0 done, 0 skipped (already done), 8 failed of 8") {
		t.Errorf("stdout = %q", r.stdout)
	}
	if !strings.Contains(r.stderr, "8 × backend fake: HTTP 500: server says no (after 2 attempts) (e.g. user ") ||
		!strings.Contains(r.stderr, "popi-tui: infer via fake: 8 of 8 failed") {
		t.Errorf("stderr = %q", r.stderr)
	}
	if st := e.stats(db); st["summaries"] != 0 {
		t.Errorf("stats %v", st)
	}
}

func TestInferInterruptedKeepsWorkAndSaysSo(t *testing.T) {
	e := newTestEnv(t)
	m := newModelServer(t)
	db, cfg := e.demoDB(), e.withConfig(m.URL+"/v1", "")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := e.runCtx(ctx, "", "infer", "--db", db, "--config", cfg)
	if r.code != ExitInterrupted || !strings.Contains(r.stderr, "interrupted with 8 left to do; finished work is kept") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestGenerateCommand(t *testing.T) {
	e := newTestEnv(t)
	m := newModelServer(t)
	db, cfg := e.demoDB(), e.withConfig(m.URL+"/v1", "")
	// 8 users: 24 tasks and 11 held-out prompts, under two conditions.
	r := e.mustRun(ExitOK, "generate", "--db", db, "--config", cfg, "--condition", "none,raw")
	if !strings.HasPrefix(r.stdout, "generate: 70 done, 0 skipped (already done), 0 failed of 70") {
		t.Errorf("stdout = %q", r.stdout)
	}
	r = e.mustRun(ExitOK, "generate", "--db", db, "--config", cfg, "--condition", "none", "--condition", "raw")
	if !strings.HasPrefix(r.stdout, "generate: 0 done, 70 skipped") {
		t.Errorf("second run: %q", r.stdout)
	}
	// Without summaries, the summary condition fails item by item, saying why.
	r = e.mustRun(ExitFailure, "generate", "--db", db, "--config", cfg, "--user", "terse-tom")
	if !strings.Contains(r.stderr, "4 × no summary yet (run popi-tui infer first)") {
		t.Errorf("stderr = %q", r.stderr)
	}
	// The replay generator offers both responses of each held-out pair.
	r = e.mustRun(ExitOK, "generate", "--db", db, "--backend", "replay")
	if !strings.HasPrefix(r.stdout, "generate: 22 done") {
		t.Errorf("replay: %q", r.stdout)
	}
	if st := e.stats(db); st["generations"] != 92 {
		t.Errorf("stats %v", st)
	}
}

func TestGenerateUsageErrors(t *testing.T) {
	e := newTestEnv(t)
	db := e.demoDB()
	r := e.mustRun(ExitUsage, "generate", "--db", db, "--condition", "maybe")
	if !strings.Contains(r.stderr, `unknown condition "maybe"`) {
		t.Errorf("stderr = %q", r.stderr)
	}
	r = e.mustRun(ExitFailure, "generate", "--db", db)
	if !strings.Contains(r.stderr, "no generator backend is configured") {
		t.Errorf("stderr = %q", r.stderr)
	}
	r = e.mustRun(ExitFailure, "generate", "--db", db, "--backend", "nope")
	if !strings.Contains(r.stderr, `no backend named "nope" (generators: replay)`) {
		t.Errorf("stderr = %q", r.stderr)
	}
}

func TestBackendsCommand(t *testing.T) {
	e := newTestEnv(t)
	m := newModelServer(t)
	db := e.demoDB()
	r := e.mustRun(ExitOK, "backends", "--db", db, "--config", e.withConfig(m.URL+"/v1", ""))
	for _, want := range []string{"fake  [openai]  summarizer, generator  model tiny  — ok", m.URL + "/v1", "model served: yes; /tokenize: no; prompt log-probabilities: no",
		"heuristic  [offline]  summarizer", "replay  [offline]  generator"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	// A server that is down, and one that does not serve the model.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	down := l.Addr().String()
	l.Close()
	r = e.mustRun(ExitFailure, "backends", "--db", db, "--config", e.withConfig("http://"+down+"/v1", ""))
	if !strings.Contains(r.stdout, "NOT USABLE") || !strings.Contains(r.stdout, "unreachable: cannot reach it") {
		t.Errorf("down server:\n%s", r.stdout)
	}
	path := e.path("other.toml")
	os.WriteFile(path, []byte(fmt.Sprintf("[[backend]]\nname = \"x\"\nrole = \"generator\"\nbase_url = %q\nmodel = \"huge\"\n", m.URL+"/v1")), 0o600)
	r = e.mustRun(ExitFailure, "backends", "--db", db, "--config", path)
	if !strings.Contains(r.stdout, `it does not serve model "huge" (it serves [tiny])`) {
		t.Errorf("unknown model:\n%s", r.stdout)
	}
}

// API keys come from the environment variable the configuration names;
// without it a backend fails at once, saying which variable is missing.
func TestAPIKeyFromEnvironment(t *testing.T) {
	e := newTestEnv(t)
	m := newModelServer(t)
	db, cfg := e.demoDB(), e.withConfig(m.URL+"/v1", "api_key_env = \"FAKE_KEY\"\n")
	r := e.mustRun(ExitFailure, "infer", "--db", db, "--config", cfg, "--user", "terse-tom")
	if !strings.Contains(r.stderr, "backend fake: its API key variable FAKE_KEY is not set") || m.requests.Load() != 0 {
		t.Errorf("stderr %q, %d requests", r.stderr, m.requests.Load())
	}
	e.vars["FAKE_KEY"] = "sk-test-123"
	e.mustRun(ExitOK, "infer", "--db", db, "--config", cfg, "--user", "terse-tom")
	if got := m.auth.Load(); got != "Bearer sk-test-123" {
		t.Errorf("Authorization = %q", got)
	}
	// The key is not in the database.
	raw, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "sk-test-123") {
		t.Error("the API key landed in the database")
	}
}

func TestConfigErrorsNameFileAndLine(t *testing.T) {
	e := newTestEnv(t)
	db := e.demoDB()
	path := e.path("bad.toml")
	os.WriteFile(path, []byte("[[backend]]\nname = \"x\"\nrole = \"generator\"\nbase_url = \"http://x/v1\"\nmodel = \"m\"\ntemperature = 9\n"), 0o600)
	r := e.mustRun(ExitFailure, "infer", "--db", db, "--config", path)
	if want := "popi-tui: " + path + ":6: backend.temperature: must be between 0 and 2\n"; r.stderr != want {
		t.Errorf("stderr %q, want %q", r.stderr, want)
	}
	r = e.mustRun(ExitFailure, "backends", "--db", db, "--config", e.path("missing.toml"))
	if !strings.Contains(r.stderr, "missing.toml: no such file or directory") {
		t.Errorf("stderr %q", r.stderr)
	}
}

// What a server or a data file says reaches the terminal without escape
// sequences or control characters.
func TestUntrustedTextIsSanitized(t *testing.T) {
	e := newTestEnv(t)
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(500)
		fmt.Fprint(w, `{"error":{"message":"\u001b]0;pwned\u0007\u001b[2Jgone\u0085"}}`)
	}))
	defer evil.Close()
	db := e.path("evil.db")
	in := e.path("in.jsonl")
	os.WriteFile(in, []byte(`{"user":"\u001b[31mred\u001b[0m","kind":"pair","prompt":"p","chosen":"a","rejected":"b"}`+"\n"), 0o600)
	e.mustRun(ExitOK, "import", "--db", db, in)
	r := e.mustRun(ExitFailure, "infer", "--db", db, "--config", e.withConfig(evil.URL+"/v1", ""))
	r2 := e.mustRun(ExitOK, "demo", "--db", db)
	for _, out := range []string{r.stdout, r.stderr, r2.stdout} {
		if strings.ContainsAny(out, "\x1b\x07\u0085") {
			t.Errorf("control characters reached the terminal: %q", out)
		}
	}
	if !strings.Contains(r.stderr, "HTTP 500: gone") || !strings.Contains(r.stderr, "(e.g. user red)") {
		t.Errorf("stderr = %q", r.stderr)
	}
}
