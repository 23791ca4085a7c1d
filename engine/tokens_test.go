package engine

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// Token counts (tokens.go): the server's /tokenize, learnt once.

// Fixed bug: one failed /tokenize probe disables exact counts for good.
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

// Fixed bug: a cancelled context at the first Tokenize does the same.
func TestReviewTokenizeProbeCancelledIsForever(t *testing.T) {
	f := newFake(t, nil)
	f.srv.Config.Handler.(*http.ServeMux).HandleFunc("POST /tokenize", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"tokens":[1,2,3]}`)
	})
	e, _ := testEngine(t, 5*time.Second, f.url())
	ob := modelBackend(e)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ob.Tokenize(ctx, "x")
	_, exact, err := ob.Tokenize(context.Background(), "hello world")
	if !exact {
		t.Errorf("exact=%v err=%v after one cancelled call", exact, err)
	}
}
