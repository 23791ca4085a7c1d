package engine

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/engine/internal/enginetest"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
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
		enginetest.WriteStream(w, req.Model, []string{"Prefers ", "short ", "answers."}, "stop")
	})
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"object":"list","data":[{"id":"fake-model","object":"model"}]}`)
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fake) url() string { return f.srv.URL + "/v1" }

// testEngine opens a database with the demo users and an engine with one
// backend "fake" (a summarizer and generator) at urls.
func testEngine(t *testing.T, timeout time.Duration, urls ...string) (*Engine, *store.DB) {
	t.Helper()
	db := storetest.DemoDB(t)
	cfg := Config{HistoryBudget: DefaultHistoryBudget, MaxAttempts: 3, Concurrency: 16, Backends: []BackendConfig{{
		Name: "fake", Kind: KindOpenAI, Roles: []string{RoleSummarizer, RoleGenerator}, BaseURLs: urls, Model: "fake-model",
		Temperature: 0.6, MaxTokens: 64, Concurrency: 4, Timeout: timeout,
	}}}
	e := New(db, cfg, Options{})
	for _, b := range e.backends {
		if ob, ok := b.chat.(*openAIBackend); ok {
			// Tests wait only as long as a server asks them to.
			ob.backoff = func(_ int, retryAfter time.Duration) time.Duration { return max(time.Millisecond, retryAfter) }
			// The fake reports 120 prompt tokens whatever it was sent: no
			// cut prompt is to be told from that (truncation_test.go
			// has servers that count).
			ob.truncationWarned = true
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

// modelBackend is the engine's first model server backend.
func modelBackend(e *Engine) *openAIBackend {
	for _, b := range e.backends {
		if ob, ok := b.chat.(*openAIBackend); ok {
			return ob
		}
	}
	return nil
}

// await waits for ch to deliver or be closed, and fails the test if it
// does not within 5 seconds.
func await[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
	}
	t.Fatalf("waited 5 s for %s", what)
	var zero T
	return zero
}

// waitFor waits until cond holds, and fails the test if it does not
// within 5 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 5 s for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// goroutinesIn counts the goroutines whose stack passes through fn, a
// function as stack traces name it ("(*openAIBackend).acquire").
func goroutinesIn(fn string) int {
	buf := make([]byte, 1<<20)
	n := 0
	for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		if strings.Contains(g, fn) {
			n++
		}
	}
	return n
}
