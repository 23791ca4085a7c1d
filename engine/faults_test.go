package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/engine/internal/enginetest"
	"github.com/popi-tui/popi-tui/store"
)

// One test per fault, each asserting the documented outcome: retried and
// succeeded, or failed with a message naming the backend and the status.

func summarize(t *testing.T, e *Engine) (store.Summary, error) {
	t.Helper()
	return e.Summarize(context.Background(), "terse-tom", "fake", nil)
}

func wantSummary(t *testing.T, s store.Summary, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("Summarize: %v", err)
	}
	if s.Text != "Prefers short answers." || s.Source != "fake/fake-model" || s.PromptTokens != 120 || s.CompletionTokens != 3 {
		t.Errorf("summary = %+v", s)
	}
}

func wantFailure(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	if !contains(err.Error(), parts...) {
		t.Errorf("error %q lacks %q", err, parts)
	}
	if strings.Contains(err.Error(), "goroutine") || strings.Contains(err.Error(), "<nil>") {
		t.Errorf("error %q is not fit for a person", err)
	}
}

func TestFaultHTTP500IsRetried(t *testing.T) {
	noLeaks(t)
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
		if n == 1 {
			jsonError(w, 500, "out of memory")
			return true
		}
		return false
	})
	e, _ := testEngine(t, 5*time.Second, f.url())
	s, err := summarize(t, e)
	wantSummary(t, s, err)
	if f.requests.Load() != 2 {
		t.Errorf("%d requests, want 2", f.requests.Load())
	}
}

func TestFaultHTTP500EveryTimeFailsClearly(t *testing.T) {
	noLeaks(t)
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
		jsonError(w, 500, "out of memory")
		return true
	})
	e, db := testEngine(t, 5*time.Second, f.url())
	_, err := summarize(t, e)
	wantFailure(t, err, "backend fake", "HTTP 500", "out of memory", "after 3 attempts")
	if got := f.requests.Load(); got != 3 {
		t.Errorf("%d requests, want 3 (max_attempts)", got)
	}
	if _, ok, _ := db.CurrentSummary("terse-tom"); ok {
		t.Error("a failed request stored a summary")
	}
}

func TestFault503WithRetryAfterIsHonoured(t *testing.T) {
	noLeaks(t)
	var first time.Time
	var waited time.Duration
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
		if n == 1 {
			first = time.Now()
			w.Header().Set("Retry-After", "1")
			jsonError(w, 503, "loading model")
			return true
		}
		waited = time.Since(first)
		return false
	})
	e, _ := testEngine(t, 5*time.Second, f.url())
	s, err := summarize(t, e)
	wantSummary(t, s, err)
	if waited < time.Second {
		t.Errorf("retried after %v; the server asked for 1s", waited)
	}
}

func TestFault429IsRetried(t *testing.T) {
	noLeaks(t)
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
		if n <= 2 {
			jsonError(w, 429, "too many requests")
			return true
		}
		return false
	})
	e, _ := testEngine(t, 5*time.Second, f.url())
	s, err := summarize(t, e)
	wantSummary(t, s, err)
	if f.requests.Load() != 3 {
		t.Errorf("%d requests, want 3", f.requests.Load())
	}
}

func TestFaultStallLongerThanTimeout(t *testing.T) {
	noLeaks(t)
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
		if n == 1 {
			select { // stall, until the client gives up
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
			return true
		}
		return false
	})
	e, _ := testEngine(t, 300*time.Millisecond, f.url())
	start := time.Now()
	s, err := summarize(t, e)
	wantSummary(t, s, err)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %v: the 300ms timeout did not cut the stall short", d)
	}
}

func TestFaultStallEveryTimeFailsClearly(t *testing.T) {
	noLeaks(t)
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
		// Headers and one chunk, then silence: the stall is mid-stream.
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write([]byte("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Pre\"}}]}\n\n"))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		return true
	})
	e, _ := testEngine(t, 200*time.Millisecond, f.url())
	_, err := summarize(t, e)
	wantFailure(t, err, "backend fake", "no answer for 200ms (timeout)", "after 3 attempts")
}

func TestFaultStreamCutMidway(t *testing.T) {
	noLeaks(t)
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
		if n == 1 {
			w.Header().Set("Content-Type", "text/event-stream")
			w.Write([]byte("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Prefers lo\"}}]}\n\n"))
			w.(http.Flusher).Flush()
			conn, _, err := w.(http.Hijacker).Hijack() // close before [DONE]
			if err == nil {
				conn.Close()
			}
			return true
		}
		return false
	})
	e, _ := testEngine(t, 5*time.Second, f.url())
	var deltas []Delta
	s, err := e.Summarize(context.Background(), "terse-tom", "fake", func(d Delta) { deltas = append(deltas, d) })
	wantSummary(t, s, err)
	// The caller saw the cut text, then was told to throw it away.
	var shown strings.Builder
	resets := 0
	for _, d := range deltas {
		if d.Reset {
			resets++
			shown.Reset()
		}
		shown.WriteString(d.Text)
	}
	if resets != 1 || shown.String() != "Prefers short answers." {
		t.Errorf("deltas %+v: %d resets, showing %q", deltas, resets, shown.String())
	}
}

func TestFaultStreamCutEveryTimeFailsClearly(t *testing.T) {
	noLeaks(t)
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write([]byte("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Pre\"}}]}\n\n"))
		return true // the handler returns: the body ends without [DONE]
	})
	e, _ := testEngine(t, 5*time.Second, f.url())
	_, err := summarize(t, e)
	wantFailure(t, err, "backend fake", "stream ended before the server said it was done", "after 3 attempts")
}

// A server that ignores max_tokens and streams on forever is stopped, with
// the reason, once the answer is far past any honest length; not retried
// (it would do the same again), and no goroutine is left reading it.
func TestFaultEndlessStreamIsStopped(t *testing.T) {
	noLeaks(t)
	chunk := "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" +
		strings.Repeat("la ", 1000) + "\"}}]}\n\n"
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
		w.Header().Set("Content-Type", "text/event-stream")
		for r.Context().Err() == nil {
			if _, err := w.Write([]byte(chunk)); err != nil {
				break
			}
			w.(http.Flusher).Flush()
		}
		return true
	})
	e, _ := testEngine(t, 5*time.Second, f.url())
	start := time.Now()
	_, err := summarize(t, e)
	wantFailure(t, err, "backend fake", "went on past 1048576 bytes", "does not honour max_tokens")
	if f.requests.Load() != 1 {
		t.Errorf("%d requests, want 1 (not retried)", f.requests.Load())
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("stopped after %v", d)
	}
}

func TestFaultMalformedJSON(t *testing.T) {
	noLeaks(t)
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write([]byte("data: {\"id\": \"c\", \"choices\": [{\"delta\": {\"content\": \"Pre\n\n"))
		return true
	})
	e, _ := testEngine(t, 5*time.Second, f.url())
	_, err := summarize(t, e)
	wantFailure(t, err, "backend fake", "malformed response", "after 3 attempts")
}

func TestFaultHTMLErrorPage(t *testing.T) {
	noLeaks(t)
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(502)
		w.Write([]byte("<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"))
		return true
	})
	e, _ := testEngine(t, 5*time.Second, f.url())
	_, err := summarize(t, e)
	wantFailure(t, err, "backend fake", "HTTP 502", "HTML page", "502 Bad Gateway", "after 3 attempts")
}

func TestFaultConnectionRefused(t *testing.T) {
	noLeaks(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	e, _ := testEngine(t, 5*time.Second, "http://"+addr+"/v1")
	_, err = summarize(t, e)
	wantFailure(t, err, "backend fake", "cannot reach the server", "connection refused", "after 3 attempts")
}

func TestFaultUnknownModelIsNotRetried(t *testing.T) {
	noLeaks(t)
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
		jsonError(w, 404, `model "fake-model" not found, try pulling it first`)
		return true
	})
	e, _ := testEngine(t, 5*time.Second, f.url())
	_, err := summarize(t, e)
	wantFailure(t, err, "backend fake", "HTTP 404", `model "fake-model" not found`)
	if strings.Contains(err.Error(), "attempts") || f.requests.Load() != 1 {
		t.Errorf("a 404 was retried: %d requests, %v", f.requests.Load(), err)
	}
	var be *BackendError
	if !errors.As(err, &be) || be.Status != 404 || be.Backend != "fake" {
		t.Errorf("error %#v", err)
	}
}

// Cancelling stops the request at once, stores nothing, and the server
// sees the connection go.
func TestGenerateCancelledMidStream(t *testing.T) {
	noLeaks(t)
	gone := make(chan struct{})
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write([]byte("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Once upon\"}}]}\n\n"))
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		close(gone)
		return true
	})
	e, db := testEngine(t, 5*time.Second, f.url())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, _, err := e.Generate(ctx, GenerateRequest{User: "terse-tom", PromptID: "t1", Condition: store.ConditionNone, Backend: "fake"},
			func(d Delta) {
				if d.Text == "Once upon" {
					cancel()
				}
			})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Generate did not return after cancel")
	}
	select {
	case <-gone:
	case <-time.After(5 * time.Second):
		t.Error("the server never saw the request end")
	}
	if st, _ := db.Stats(); st.Generations != 0 {
		t.Errorf("%d generations stored", st.Generations)
	}
}

// A summary that is nothing but reasoning is no summary: refused, naming
// the backend, and nothing is stored.
func TestEmptySummaryIsRefused(t *testing.T) {
	noLeaks(t)
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
		enginetest.WriteStream(w, "fake-model", []string{"<think>The user likes", " short answers.</think>", "\n"}, "stop")
		return true
	})
	e, db := testEngine(t, 5*time.Second, f.url())
	_, err := summarize(t, e)
	wantFailure(t, err, "backend fake", "the summary is empty once reasoning is removed")
	if _, ok, _ := db.CurrentSummary("terse-tom"); ok {
		t.Error("an empty summary was stored")
	}
}

// With a server that counts tokens (llama.cpp's and vLLM's /tokenize), the
// context saving is measured, not estimated.
func TestTokenizeGivesExactCounts(t *testing.T) {
	noLeaks(t)
	f := newFake(t, nil)
	f.srv.Config.Handler.(*http.ServeMux).HandleFunc("POST /tokenize", func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Prompt string }
		json.NewDecoder(r.Body).Decode(&req)
		fmt.Fprintf(w, `{"tokens":[1,2,3],"count":%d,"max_model_len":8192}`, len(strings.Fields(req.Prompt)))
	})
	e, db := testEngine(t, 5*time.Second, f.url())
	s, err := summarize(t, e)
	if err != nil {
		t.Fatal(err)
	}
	signals, _ := db.Signals("terse-tom")
	history := historyData("terse-tom", signals, DefaultHistoryBudget, nil).historyText()
	if s.TokensEstimated || s.HistoryTokens != len(strings.Fields(history)) || s.SummaryTokens != 3 {
		t.Errorf("estimated %v, history %d (want %d), summary %d (want 3)", s.TokensEstimated, s.HistoryTokens, len(strings.Fields(history)), s.SummaryTokens)
	}
}
