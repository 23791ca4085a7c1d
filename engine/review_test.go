// Regression tests from a review of the engine: each is named for the bug
// it guards against, found and fixed.
package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/store"
)

func reviewBackend(e *Engine) *openAIBackend {
	for _, b := range e.backends {
		if ob, ok := b.chat.(*openAIBackend); ok {
			return ob
		}
	}
	return nil
}

// Review finding 1: a replica that keeps failing is set aside only the first time.
func TestReviewReplicaSetAsideOnlyOnce(t *testing.T) {
	broken := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
		jsonError(w, 502, "bad gateway")
		return true
	})
	good := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
		time.Sleep(20 * time.Millisecond)
		return false
	})
	e, _ := testEngine(t, 5*time.Second, broken.url(), good.url())
	ob := reviewBackend(e)
	var notices []string
	var mu sync.Mutex
	ob.notify = func(s string) { mu.Lock(); notices = append(notices, s); mu.Unlock() }
	rb := ob.replicas[0]
	rep, err := e.InferAll(context.Background(), InferOptions{Backend: "fake", Concurrency: 8}, nil)
	if err != nil || rep.Done != 8 {
		t.Fatal(rep, err)
	}
	ob.mu.Lock()
	aside := time.Now().Before(rb.asideUntil)
	rb.asideUntil = time.Now().Add(-time.Second) // the 30 s are over
	ob.mu.Unlock()
	if !aside {
		t.Fatal("not set aside the first time")
	}
	before := broken.requests.Load()
	for range 3 {
		rep, err = e.InferAll(context.Background(), InferOptions{Backend: "fake", Concurrency: 8, Force: true}, nil)
		if err != nil {
			t.Fatal(rep, err)
		}
	}
	ob.mu.Lock()
	defer ob.mu.Unlock()
	t.Logf("broken replica: fails=%d, got %d more requests after the aside ended; notices %q", rb.fails, broken.requests.Load()-before, notices)
	if !time.Now().Before(rb.asideUntil) {
		t.Errorf("after %d more failures in a row, the broken replica is not set aside again (fails=%d)", broken.requests.Load()-before, rb.fails)
	}
}

// Review finding 2: a single replica that was never set aside is announced as "answers again".
func TestReviewAnswersAgainWithoutSetAside(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
		if n <= 3 {
			jsonError(w, 503, "warming up")
			return true
		}
		return false
	})
	e, _ := testEngine(t, 5*time.Second, f.url())
	ob := reviewBackend(e)
	ob.maxAttempts = 4
	var notices []string
	ob.notify = func(s string) { notices = append(notices, s) }
	if _, err := e.Summarize(context.Background(), "terse-tom", "fake", nil); err != nil {
		t.Fatal(err)
	}
	if len(notices) != 0 {
		t.Errorf("notices %q, though nothing was ever set aside", notices)
	}
}

// Review finding 3: backends check reports replica 0's /tokenize for every replica.
func TestReviewCheckTokenizeProbesReplicaZero(t *testing.T) {
	a := newFake(t, nil)
	a.srv.Config.Handler.(*http.ServeMux).HandleFunc("POST /tokenize", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"tokens":[1,2,3]}`)
	})
	b := newFake(t, nil) // no /tokenize
	e, _ := testEngine(t, 5*time.Second, a.url(), b.url())
	h := e.Check(context.Background(), "fake")
	for _, r := range h.Replicas {
		t.Logf("%s tokenize=%v", r.URL, r.Tokenize)
	}
	if h.Replicas[1].Tokenize {
		t.Errorf("replica %s has no /tokenize but is reported to offer it", h.Replicas[1].URL)
	}
}

// Review finding 4: stored latency includes the time spent queued for a replica slot.
func TestReviewLatencyIncludesQueueWait(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
		time.Sleep(300 * time.Millisecond)
		return false
	})
	e, _ := testEngine(t, 5*time.Second, f.url())
	ob := reviewBackend(e)
	ob.cfg.Concurrency = 1
	var wg sync.WaitGroup
	gens := make([]store.Generation, 2)
	for i, p := range []string{"t1", "t2"} {
		wg.Go(func() {
			g, _, err := e.Generate(context.Background(), GenerateRequest{User: "terse-tom", PromptID: p, Condition: store.ConditionNone, Backend: "fake"}, nil)
			if err != nil {
				t.Error(err)
			}
			gens[i] = g
		})
	}
	wg.Wait()
	for _, g := range gens {
		t.Logf("%s latency %v ttft %v", g.PromptID, g.Latency, g.TimeToFirstToken)
		if g.Latency > 500*time.Millisecond {
			t.Errorf("%s: latency %v for a 300 ms request (queue wait counted)", g.PromptID, g.Latency)
		}
	}
}

// Review finding 5: estimated token counts of a generation are stored unmarked.
func TestReviewGenerationEstimatedTokensUnmarked(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello there\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
		return true
	})
	e, _ := testEngine(t, 5*time.Second, f.url())
	g, _, err := e.Generate(context.Background(), GenerateRequest{User: "terse-tom", PromptID: "t1", Condition: store.ConditionNone, Backend: "fake"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(g)
	t.Logf("stored: prompt %d completion %d; json has estimate mark: %v", g.PromptTokens, g.CompletionTokens, strings.Contains(string(b), "estimat"))
	if !strings.Contains(string(b), "estimat") {
		t.Errorf("estimated counts (%d, %d) stored without an estimate mark", g.PromptTokens, g.CompletionTokens)
	}
}

// Review finding 6: the raw condition's cache key ignores the history it was given.
func TestReviewRawCacheIgnoresHistory(t *testing.T) {
	f := newFake(t, nil)
	e, db := testEngine(t, 5*time.Second, f.url())
	req := GenerateRequest{User: "terse-tom", PromptID: "t1", Condition: store.ConditionRaw, Backend: "fake"}
	g1, _, err := e.Generate(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := e.Config()
	cfg.HistoryBudget = 50 // a much smaller history now
	e2 := New(db, cfg, Options{})
	defer e2.Close()
	g2, cached, err := e2.Generate(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	signals, _ := db.Signals("terse-tom")
	want, _ := generatorMessages(store.ConditionRaw, g1.Prompt, "", selectHistory(signals, 50))
	if cached || g2.Messages[0].Content != want[0].Content {
		t.Errorf("cached answer reused though its raw-history prompt (%d bytes) differs from what would be sent now (%d bytes)", len(g2.Messages[0].Content), len(want[0].Content))
	}
}

// Review finding 7: items that never sent a request are counted as requests.
func TestReviewRequestsCountedWithoutRequests(t *testing.T) {
	f := newFake(t, nil)
	e, _ := testEngine(t, 5*time.Second, f.url())
	rep, err := e.GenerateAll(context.Background(), GenerateOptions{Backends: []string{"fake"}, Conditions: []string{store.ConditionSummary}, Concurrency: 4}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("report %+v; server saw %d requests", rep.Progress, f.requests.Load())
	if rep.Requests != int(f.requests.Load()) {
		t.Errorf("report counts %d requests (%.1f/s), the server got %d", rep.Requests, rep.RequestsPerSecond(), f.requests.Load())
	}
}

// Review finding 8: one failed /tokenize probe disables exact counts for good.
func TestReviewTokenizeProbeFailureIsForever(t *testing.T) {
	f := newFake(t, nil)
	var calls atomic.Int32
	f.srv.Config.Handler.(*http.ServeMux).HandleFunc("POST /tokenize", func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			jsonError(w, 503, "loading model")
			return
		}
		fmt.Fprint(w, `{"tokens":[1,2,3]}`)
	})
	e, _ := testEngine(t, 5*time.Second, f.url())
	s1, err := e.Summarize(context.Background(), "terse-tom", "fake", nil)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := e.Summarize(context.Background(), "playful-pia", "fake", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("estimated: %v then %v; /tokenize calls %d", s1.TokensEstimated, s2.TokensEstimated, calls.Load())
	if s2.TokensEstimated {
		t.Errorf("a server that now offers /tokenize is never asked again (calls %d)", calls.Load())
	}
}

// R8b: a cancelled context at the first Tokenize does the same.
func TestReviewTokenizeProbeCancelledIsForever(t *testing.T) {
	f := newFake(t, nil)
	f.srv.Config.Handler.(*http.ServeMux).HandleFunc("POST /tokenize", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"tokens":[1,2,3]}`)
	})
	e, _ := testEngine(t, 5*time.Second, f.url())
	ob := reviewBackend(e)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ob.Tokenize(ctx, "x")
	_, exact, err := ob.Tokenize(context.Background(), "hello world")
	if !exact {
		t.Errorf("exact=%v err=%v after one cancelled call", exact, err)
	}
}

// Review finding 9: reasoning before a template-opened close, then another block.
func TestReviewStripReasoningCloseBeforeOpen(t *testing.T) {
	got := stripReasoning("secret plan</think>Prefers short answers.<think>more</think> Likes lists.")
	if strings.Contains(got, "secret") || strings.Contains(got, "think") {
		t.Errorf("got %q", got)
	}
}

// Review finding 10: a complete answer (finish reason received) whose connection is then
// reset is thrown away and asked again.
func TestReviewCompleteAnswerThenResetIsRetried(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
		if n > 1 {
			return false
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Prefers short answers.\"},\"finish_reason\":\"stop\"}]}\n\n")
		w.(http.Flusher).Flush()
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.(*net.TCPConn).SetLinger(0)
			conn.Close()
		}
		return true
	})
	e, _ := testEngine(t, 5*time.Second, f.url())
	_, err := e.Summarize(context.Background(), "terse-tom", "fake", nil)
	t.Logf("err=%v requests=%d", err, f.requests.Load())
	if f.requests.Load() != 1 {
		t.Errorf("a complete answer was asked again (%d requests)", f.requests.Load())
	}
}

// Review finding 11: [[ backend ]] (valid TOML) confuses the line locator.
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

// Review finding 12: a request sleeping in backoff (Retry-After) keeps its global slot:
// another backend with free capacity waits for it.
func TestReviewGlobalSlotHeldDuringBackoff(t *testing.T) {
	a := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
		if n == 1 {
			w.Header().Set("Retry-After", "2")
			jsonError(w, 429, "busy")
			return true
		}
		return false
	})
	b := newFake(t, nil)
	db, err := store.Open(filepath.Join(t.TempDir(), "popi.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.LoadDemo(context.Background())
	bc := func(name, url string) BackendConfig {
		return BackendConfig{Name: name, Kind: KindOpenAI, Roles: []string{RoleGenerator}, BaseURLs: []string{url}, Model: "fake-model",
			Temperature: 0.6, MaxTokens: 64, Concurrency: 4, Timeout: 5 * time.Second}
	}
	e := New(db, Config{HistoryBudget: 6000, MaxAttempts: 3, Concurrency: 1, Backends: []BackendConfig{bc("a", a.url()), bc("b", b.url())}}, Options{})
	defer e.Close()
	go e.Generate(context.Background(), GenerateRequest{User: "terse-tom", PromptID: "t1", Condition: store.ConditionNone, Backend: "a"}, nil)
	time.Sleep(200 * time.Millisecond) // a is now waiting out its Retry-After
	start := time.Now()
	if _, _, err := e.Generate(context.Background(), GenerateRequest{User: "terse-tom", PromptID: "t1", Condition: store.ConditionNone, Backend: "b"}, nil); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("backend b (idle) answered after %v: nothing was in flight, but a's backoff held the only global slot", d)
	}
	time.Sleep(2 * time.Second)
}

// Review finding 13: per-item text in the reason: one failure cause, one line per user.
func TestReviewReasonNamesTheItem(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
		writeStream(w, "fake-model", []string{"<think>hmm"}, "length")
		return true
	})
	e, _ := testEngine(t, 5*time.Second, f.url())
	rep, err := e.InferAll(context.Background(), InferOptions{Backend: "fake", Concurrency: 4}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range rep.Errors {
		t.Logf("%d × %s", c.Count, c.Reason)
	}
	if len(rep.Errors) != 1 {
		t.Errorf("%d failures of one cause reported as %d distinct reasons", rep.Failed, len(rep.Errors))
	}
}

// Review finding 14: duplicate conditions (or backends, users) do the work twice.
func TestReviewDuplicateConditions(t *testing.T) {
	f := newFake(t, nil)
	e, _ := testEngine(t, 5*time.Second, f.url())
	rep, err := e.GenerateAll(context.Background(), GenerateOptions{Users: []string{"terse-tom"}, Backends: []string{"fake"}, Conditions: []string{"none", "none"}, Concurrency: 8}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v, server requests %d", rep.Progress, f.requests.Load())
	// terse-tom has 4 prompts (1 held-out, 3 tasks): each asked for once.
	if rep.Total != 4 || rep.Done != 4 || f.requests.Load() != 4 {
		t.Errorf("total %d, done %d, requests %d; want 4 each", rep.Total, rep.Done, f.requests.Load())
	}
}

// Review finding 15: defaultBackoff panics for a large attempt number (max_attempts has no upper bound).
func TestReviewBackoffOverflow(t *testing.T) {
	for n := 1; n <= 70; n++ {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("defaultBackoff(%d, 0) panics: %v", n, r)
				}
			}()
			if d := defaultBackoff(n, 0); d <= 0 || d > 20*time.Second {
				t.Fatalf("defaultBackoff(%d) = %v", n, d)
			}
		}()
	}
}

// Review finding 16: a steady stream longer than the timeout is fine.
func TestReviewSteadyStreamLongerThanTimeout(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := 0; i < 6; i++ {
			fmt.Fprintf(w, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"w%d \"}}]}\n\n", i)
			w.(http.Flusher).Flush()
			time.Sleep(120 * time.Millisecond)
		}
		fmt.Fprint(w, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
		return true
	})
	e, _ := testEngine(t, 300*time.Millisecond, f.url())
	s, err := e.Summarize(context.Background(), "terse-tom", "fake", nil)
	t.Logf("%q %v requests=%d", s.Text, err, f.requests.Load())
	if err != nil || f.requests.Load() != 1 {
		t.Error("steady stream failed")
	}
}

// Review finding 17: cancel while queued for a replica slot and while backing off: nothing left behind.
func TestReviewCancelWhileQueuedAndBackingOff(t *testing.T) {
	noLeaks(t)
	release := make(chan struct{})
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
		if n == 1 {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return false
		}
		w.Header().Set("Retry-After", "5")
		jsonError(w, 503, "busy")
		return true
	})
	e, _ := testEngine(t, 5*time.Second, f.url())
	reviewBackend(e).cfg.Concurrency = 1
	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, 3)
	for _, p := range []string{"t1", "t2", "t3"} {
		go func() {
			_, _, err := e.Generate(ctx, GenerateRequest{User: "terse-tom", PromptID: p, Condition: store.ConditionNone, Backend: "fake"}, nil)
			errs <- err
		}()
		time.Sleep(50 * time.Millisecond)
	}
	close(release)
	time.Sleep(300 * time.Millisecond)
	cancel()
	for range 3 {
		select {
		case err := <-errs:
			t.Log(err)
		case <-time.After(3 * time.Second):
			t.Fatal("hang")
		}
	}
	ob := reviewBackend(e)
	ob.mu.Lock()
	t.Logf("inflight %d global %d", ob.replicas[0].inflight, len(ob.global))
	if ob.replicas[0].inflight != 0 || len(ob.global) != 0 {
		t.Error("slots leaked")
	}
	ob.mu.Unlock()
}
