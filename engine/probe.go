package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
)

// ReplicaHealth is what a check found out about one replica. Optional
// server features are probed, not assumed.
type ReplicaHealth struct {
	URL       string
	Reachable bool
	Latency   time.Duration // of GET /v1/models
	Models    []string      // what the server says it serves
	HasModel  bool          // the configured model is among them
	// Tokenize: POST /tokenize counts tokens (llama.cpp, vLLM).
	Tokenize bool
	// PromptLogprobs: /v1/completions scores a given text (echo with
	// log-probabilities; vLLM), which preference accuracy needs.
	PromptLogprobs bool
	Problem        string // why it is not usable, when it is not
}

// Health is the check of one backend.
type Health struct {
	Backend  BackendConfig
	Replicas []ReplicaHealth // none for the offline engine
	Problem  string          // a problem of the backend as a whole
}

// OK reports whether the backend can be used.
func (h Health) OK() bool {
	if h.Problem != "" {
		return false
	}
	for _, r := range h.Replicas {
		if r.Problem != "" {
			return false
		}
	}
	return true
}

// Check probes a backend: every replica's model list, latency and optional
// features.
func (e *Engine) Check(ctx context.Context, name string) Health {
	var b *backend
	for _, x := range e.backends {
		if x.cfg.Name == name {
			b = x
		}
	}
	if b == nil {
		return Health{Problem: fmt.Sprintf("no backend named %q", name)}
	}
	h := Health{Backend: b.cfg}
	if err := b.ready(); err != nil {
		h.Problem = err.Error()
	}
	ob, ok := b.chat.(*openAIBackend)
	if !ok {
		return h
	}
	for _, r := range ob.replicas {
		h.Replicas = append(h.Replicas, ob.checkReplica(ctx, r))
	}
	return h
}

func (b *openAIBackend) checkReplica(ctx context.Context, r *replica) (rh ReplicaHealth) {
	rh.URL = r.shown
	// The problem quotes the server, which may quote the credentials.
	defer func() { rh.Problem = b.redact.redact(rh.Problem) }()
	ctx, cancel := b.bounded(ctx)
	defer cancel()
	start := time.Now()
	status, body, err := b.call(ctx, r, http.MethodGet, r.baseURL+"/models", nil)
	rh.Latency = time.Since(start)
	switch {
	case err != nil && pastDeadline(ctx):
		rh.Problem = "GET /models: " + b.deadlineMsg()
		return rh
	case err != nil:
		rh.Problem = fmt.Sprintf("cannot reach it: %v", rootCause(err))
		return rh
	case status != http.StatusOK:
		rh.Reachable = true
		rh.Problem = fmt.Sprintf("GET /models: HTTP %d: %s", status, describeBody(body))
		return rh
	}
	rh.Reachable = true
	var models struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &models); err != nil {
		rh.Problem = "GET /models: " + describeBody(body)
		return rh
	}
	for _, m := range models.Data {
		rh.Models = append(rh.Models, m.ID)
	}
	// Ollama lists "name:latest" for a model it also answers to as "name".
	rh.HasModel = slices.Contains(rh.Models, b.cfg.Model) || (!strings.Contains(b.cfg.Model, ":") && slices.Contains(rh.Models, b.cfg.Model+":latest"))
	if !rh.HasModel {
		rh.Problem = fmt.Sprintf("it does not serve model %q (it serves %v)", b.cfg.Model, rh.Models)
	}
	_, err = b.tokenizeOn(ctx, r, "probe")
	rh.Tokenize = err == nil
	rh.PromptLogprobs = b.scoresPrompts(ctx, r)
	return rh
}

// scoresPrompts asks for the log-probabilities of a prompt's own tokens,
// echoed (OpenAI's shape) or as vLLM's prompt_logprobs, the second asked
// for explicitly if the first answer has neither: a server that can score
// answers with a list whose first entry is null (nothing precedes the
// first token). Scoring itself (score.go) tries the same ways.
func (b *openAIBackend) scoresPrompts(ctx context.Context, r *replica) bool {
	for _, extra := range []map[string]any{nil, {"prompt_logprobs": 0}} {
		req := map[string]any{"model": b.cfg.Model, "prompt": "The sky is blue.", "max_tokens": 1, "echo": true, "logprobs": 0, "temperature": 0}
		maps.Copy(req, extra)
		payload, _ := json.Marshal(req)
		status, body, err := b.call(ctx, r, http.MethodPost, r.baseURL+"/completions", payload)
		if err != nil {
			return false
		}
		if status == http.StatusOK && echoesPromptLogprobs(body) {
			return true
		}
	}
	return false
}

// echoesPromptLogprobs reports whether a completions answer holds the
// prompt's log-probabilities: null for the first token, a number for the
// second.
func echoesPromptLogprobs(body []byte) bool {
	var out struct {
		Choices []struct {
			Logprobs *struct {
				TokenLogprobs []*float64 `json:"token_logprobs"`
			} `json:"logprobs"`
			PromptLogprobs []map[string]any `json:"prompt_logprobs"`
		} `json:"choices"`
	}
	if json.Unmarshal(body, &out) != nil || len(out.Choices) == 0 {
		return false
	}
	c := out.Choices[0]
	if c.Logprobs != nil && len(c.Logprobs.TokenLogprobs) >= 2 && c.Logprobs.TokenLogprobs[0] == nil && c.Logprobs.TokenLogprobs[1] != nil {
		return true
	}
	return len(c.PromptLogprobs) >= 2 && c.PromptLogprobs[0] == nil && len(c.PromptLogprobs[1]) > 0
}

// call is a plain JSON request to a replica, with the backend's API key.
func (b *openAIBackend) call(ctx context.Context, r *replica, method, url string, body []byte) (int, []byte, error) {
	status, _, data, err := b.send(ctx, r, method, url, body)
	return status, data, err
}

// send is call with the answer's headers (Retry-After, for one).
func (b *openAIBackend) send(ctx context.Context, r *replica, method, url string, body []byte) (int, http.Header, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if b.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+b.apiKey)
	}
	resp, err := r.http.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	return resp.StatusCode, resp.Header, data, err
}
