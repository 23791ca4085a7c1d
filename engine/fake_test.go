package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/store"
)

// A hand-written OpenAI-compatible server, for the faults a real server
// cannot be made to produce on demand. Real servers are exercised by the
// integration tests (integration_test.go).

// fake answers chat completions as a stream; each request's attempt
// number (1, 2, …) picks how it misbehaves.
type fake struct {
	t        *testing.T
	srv      *httptest.Server
	requests atomic.Int32
	// answer handles attempt n; nil means a good answer.
	answer func(w http.ResponseWriter, r *http.Request, n int) bool
	text   string // what a good answer says
}

func newFake(t *testing.T, answer func(w http.ResponseWriter, r *http.Request, n int) bool) *fake {
	t.Helper()
	f := &fake{t: t, answer: answer, text: "Prefers short answers."}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		n := int(f.requests.Add(1))
		// Read the request first: the server notices a client that hangs
		// up only once the body is consumed.
		var req struct {
			Model  string `json:"model"`
			Stream bool   `json:"stream"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		if f.answer != nil && f.answer(w, r, n) {
			return
		}
		writeStream(w, req.Model, []string{"Prefers ", "short ", "answers."}, "stop")
	})
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"object":"list","data":[{"id":"fake-model","object":"model"}]}`)
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// writeStream writes a good streamed answer: one chunk per piece, a final
// chunk with the finish reason, the usage, then [DONE].
func writeStream(w http.ResponseWriter, model string, pieces []string, finish string) {
	w.Header().Set("Content-Type", "text/event-stream")
	fl := w.(http.Flusher)
	for i, p := range pieces {
		role := ""
		if i == 0 {
			role = `"role":"assistant",`
		}
		fmt.Fprintf(w, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":%q,\"choices\":[{\"index\":0,\"delta\":{%s\"content\":%q},\"finish_reason\":null}]}\n\n", model, role, p)
		fl.Flush()
	}
	fmt.Fprintf(w, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":%q,\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":%q}]}\n\n", model, finish)
	fmt.Fprintf(w, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":%q,\"choices\":[],\"usage\":{\"prompt_tokens\":120,\"completion_tokens\":3,\"total_tokens\":123}}\n\n", model)
	fmt.Fprint(w, "data: [DONE]\n\n")
	fl.Flush()
}

func (f *fake) url() string { return f.srv.URL + "/v1" }

// testEngine opens a database with the demo users and an engine with one
// backend "fake" (a summarizer and generator) at urls.
func testEngine(t *testing.T, timeout time.Duration, urls ...string) (*Engine, *store.DB) {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "popi.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.LoadDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	cfg := Config{HistoryBudget: DefaultHistoryBudget, MaxAttempts: 3, Concurrency: 16, Backends: []BackendConfig{{
		Name: "fake", Kind: KindOpenAI, Roles: []string{RoleSummarizer, RoleGenerator}, BaseURLs: urls, Model: "fake-model",
		Temperature: 0.6, MaxTokens: 64, Concurrency: 4, Timeout: timeout,
	}}}
	e := New(db, cfg, Options{})
	for _, b := range e.backends {
		if ob, ok := b.chat.(*openAIBackend); ok {
			// Tests wait only as long as a server asks them to.
			ob.backoff = func(_ int, retryAfter time.Duration) time.Duration { return max(time.Millisecond, retryAfter) }
		}
	}
	t.Cleanup(e.Close)
	return e, db
}

// noLeaks fails the test if goroutines started during it are still around
// shortly after it ends (connections closed, streams read to the end).
func noLeaks(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(3 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<20)
			t.Errorf("%d goroutines left behind:\n%s", n-before, buf[:runtime.Stack(buf, true)])
		}
	})
}

func jsonError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":{"message":%q,"type":"error","code":%d}}`, msg, status)
}

func contains(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
