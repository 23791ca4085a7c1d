package engine

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"
)

// Checking a backend (probe.go): what `popi-tui backends` reports.

// Fixed bug: backends check reports replica 0's /tokenize for every replica.
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

// popi-tui backends says a server can score when eval can use it, in any
// of the ways scoring asks, and not otherwise.
func TestCheckReportsPromptLogprobs(t *testing.T) {
	noLogprobs := func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"choices":[{"index":0,"text":" It","logprobs":{"token_logprobs":[-0.3],"tokens":[" It"]}}]}`)
	}
	noEcho := func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"error":{"code":400,"message":"'echo' is not supported","type":"invalid_request_error"}}`)
	}
	tests := []struct {
		name      string
		shape     string
		onRequest bool
		override  http.HandlerFunc
		want      bool
	}{
		{"echo", "token_logprobs", false, nil, true},
		{"prompt_logprobs", "prompt_logprobs", false, nil, true},
		{"prompt_logprobs on request only", "prompt_logprobs", true, nil, true},
		{"generated tokens only (Ollama)", "token_logprobs", false, noLogprobs, false},
		{"no echo (llama.cpp)", "token_logprobs", false, noEcho, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newScoringFake(t, pairScores)
			f.Shape, f.PromptLogprobsOnRequest = tt.shape, tt.onRequest
			if tt.override != nil {
				f.Override = map[string]http.HandlerFunc{"/v1/completions": tt.override}
			}
			e, _ := scoringServer(t, f.URL(), 2)
			h := e.Check(context.Background(), "vllm")
			if len(h.Replicas) != 1 || h.Replicas[0].PromptLogprobs != tt.want || !h.Replicas[0].Tokenize {
				t.Errorf("Check = %+v; want prompt log-probabilities %v", h, tt.want)
			}
		})
	}
}
