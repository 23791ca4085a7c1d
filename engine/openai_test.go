package engine

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
)

// The OpenAI-compatible client (openai.go): streaming, timeouts,
// retries and backoff, the engine-wide limit on requests in flight.

// Fixed bug: stored latency includes the time spent queued for a replica slot.
func TestReviewLatencyIncludesQueueWait(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
		time.Sleep(300 * time.Millisecond)
		return false
	})
	e, _ := testEngine(t, 5*time.Second, f.url())
	ob := modelBackend(e)
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

// Fixed bug: a complete answer (finish reason received) whose connection is then
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

// Fixed bug: a request sleeping in backoff (Retry-After) keeps its global slot:
// another backend with free capacity waits for it.
func TestReviewGlobalSlotHeldDuringBackoff(t *testing.T) {
	refused := make(chan struct{}) // a's first request has been answered 429
	a := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
		if n == 1 {
			w.Header().Set("Retry-After", "2")
			jsonError(w, 429, "busy")
			close(refused)
			return true
		}
		return false
	})
	b := newFake(t, nil)
	db := storetest.DemoDB(t)
	bc := func(name, url string) BackendConfig {
		return BackendConfig{Name: name, Kind: KindOpenAI, Roles: []string{RoleGenerator}, BaseURLs: []string{url}, Model: "fake-model",
			Temperature: 0.6, MaxTokens: 64, Concurrency: 4, Timeout: 5 * time.Second}
	}
	e := New(db, Config{HistoryBudget: 6000, MaxAttempts: 3, Concurrency: 1, Backends: []BackendConfig{bc("a", a.url()), bc("b", b.url())}}, Options{})
	defer e.Close()
	first := make(chan error, 1)
	go func() {
		_, _, err := e.Generate(context.Background(), GenerateRequest{User: "terse-tom", PromptID: "t1", Condition: store.ConditionNone, Backend: "a"}, nil)
		first <- err
	}()
	await(t, refused, "backend a's 429") // a is now waiting out its Retry-After
	start := time.Now()
	if _, _, err := e.Generate(context.Background(), GenerateRequest{User: "terse-tom", PromptID: "t1", Condition: store.ConditionNone, Backend: "b"}, nil); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("backend b (idle) answered after %v: nothing was in flight, but a's backoff held the only global slot", d)
	}
	if err := await(t, first, "backend a's answer after its Retry-After"); err != nil {
		t.Errorf("backend a, asked again after its Retry-After: %v", err)
	}
}

// Fixed bug: defaultBackoff panics for a large attempt number (max_attempts has no upper bound).
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

// Fixed bug: a steady stream longer than the timeout is fine.
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

// Fixed bug: cancel while queued for a replica slot and while backing off: nothing left behind.
func TestReviewCancelWhileQueuedAndBackingOff(t *testing.T) {
	noLeaks(t)
	release := make(chan struct{})
	arrived := make(chan struct{}) // the first request is at the server
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
		if n == 1 {
			close(arrived)
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
	ob := modelBackend(e)
	ob.cfg.Concurrency = 1
	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, 3)
	for i, p := range []string{"t1", "t2", "t3"} {
		go func() {
			_, _, err := e.Generate(ctx, GenerateRequest{User: "terse-tom", PromptID: p, Condition: store.ConditionNone, Backend: "fake"}, nil)
			errs <- err
		}()
		if i == 0 {
			await(t, arrived, "the first request at the server")
		}
	}
	waitFor(t, "two requests queued for the replica's one slot", func() bool { return goroutinesIn("(*openAIBackend).acquire") == 2 })
	close(release)
	waitFor(t, "two requests answered 503 and backing off", func() bool {
		ob.mu.Lock()
		defer ob.mu.Unlock()
		return f.requests.Load() == 3 && ob.replicas[0].inflight == 0
	})
	cancel()
	for range 3 {
		select {
		case err := <-errs:
			t.Log(err)
		case <-time.After(3 * time.Second):
			t.Fatal("hang")
		}
	}
	ob.mu.Lock()
	t.Logf("inflight %d global %d", ob.replicas[0].inflight, len(ob.global))
	if ob.replicas[0].inflight != 0 || len(ob.global) != 0 {
		t.Error("slots leaked")
	}
	ob.mu.Unlock()
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"3", 3 * time.Second},
		{"0", 0},
		{"-1", 0},
		{"soon", 0},
		{"1.5", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestDefaultBackoffGrowsAndHonoursRetryAfter(t *testing.T) {
	for n := 1; n <= 8; n++ {
		limit := min(500*time.Millisecond<<(n-1), 20*time.Second)
		for range 50 {
			if d := defaultBackoff(n, 0); d <= 0 || d > limit {
				t.Fatalf("attempt %d: %v outside (0, %v]", n, d, limit)
			}
		}
	}
	if d := defaultBackoff(1, 7*time.Second); d != 7*time.Second {
		t.Errorf("Retry-After 7s: waited %v", d)
	}
	if d := defaultBackoff(1, time.Hour); d != time.Minute {
		t.Errorf("Retry-After 1h: waited %v, want the 1 minute cap", d)
	}
}

func TestDescribeBody(t *testing.T) {
	tests := []struct{ body, want string }{
		{`{"error":{"message":"model 'x' not found","type":"api_error"}}`, "model 'x' not found"},
		{`{"object":"error","message":"This model's maximum context length is 4096 tokens","type":"BadRequestError","code":400}`, "This model's maximum context length is 4096 tokens"},
		{`{"error":"model \"x\" not found, try pulling it first"}`, `model "x" not found, try pulling it first`},
		{`<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head></html>`, "the server answered with an HTML page, not JSON: 502 Bad Gateway"},
		{``, "empty response"},
		{`upstream connect error`, "upstream connect error"},
	}
	for _, tt := range tests {
		if got := describeBody([]byte(tt.body)); got != tt.want {
			t.Errorf("describeBody(%q) = %q, want %q", tt.body, got, tt.want)
		}
	}
}
