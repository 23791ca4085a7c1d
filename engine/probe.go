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

	openai "github.com/sashabaranov/go-openai"
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
	// Server is the server software, when it says: "llama.cpp", "vLLM",
	// "Ollama"; "" otherwise (a hosted API, say).
	Server string
	// ServedAs is the id of the one model the server serves when that is
	// not the configured model but requests for it are answered anyway
	// (llama-server started without --alias names its model by its file).
	ServedAs string
	// ContextLength is how many tokens of context a request gets, when the
	// server reports it (0 when not); ContextSource says where it was read.
	ContextLength int
	ContextSource string
	// ChatTemplate is the chat template the server applies to messages,
	// when it says (llama-server's /props): a wrong one is the commonest
	// reason a model answers badly through the chat API.
	ChatTemplate string
	Problem      string   // why it is not usable, when it is not
	Warnings     []string // what works, but should be set right
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
		rh := ob.checkReplica(ctx, r)
		if w := e.budgetWarning(b.cfg, rh.ContextLength); w != "" {
			rh.Warnings = append(rh.Warnings, w)
		}
		h.Replicas = append(h.Replicas, rh)
	}
	return h
}

// budgetWarning says when a server's context cannot hold the history a
// summarizer or judge is given plus the answer: such prompts would be cut
// (or refused), and the person should know before a long run.
func (e *Engine) budgetWarning(b BackendConfig, contextLength int) string {
	need := e.cfg.HistoryBudget + b.MaxTokens
	if contextLength <= 0 || contextLength >= need || !(b.Has(RoleSummarizer) || b.Has(RoleJudge)) {
		return ""
	}
	return fmt.Sprintf("its context (%d tokens) is shorter than history_budget (%d) + max_tokens (%d): the longest histories will be cut or refused; give it more context or lower history_budget",
		contextLength, e.cfg.HistoryBudget, b.MaxTokens)
}

func (b *openAIBackend) checkReplica(ctx context.Context, r *replica) (rh ReplicaHealth) {
	rh.URL = r.shown
	// The problem and warnings quote the server, which may quote the credentials.
	defer func() {
		rh.Problem = b.redact.redact(rh.Problem)
		for i, w := range rh.Warnings {
			rh.Warnings[i] = b.redact.redact(w)
		}
	}()
	ctx, cancel := b.bounded(ctx)
	defer cancel()
	body, ok := b.listModels(ctx, r, &rh)
	if !ok {
		return rh
	}
	kind := kindFromModels(body)
	if kind == serverUnknown {
		kind, _ = b.askOllama(ctx, r)
	}
	b.learnKind(r, kind)
	rh.Server = kind.String()
	b.matchModel(ctx, r, kind, &rh)
	b.readSettings(ctx, r, kind, body, &rh)
	_, err := b.tokenizeOn(ctx, r, "probe")
	rh.Tokenize = err == nil
	rh.PromptLogprobs = b.scoresPrompts(ctx, r)
	return rh
}

// listModels asks for GET /v1/models and reads the ids in its answer; ok
// is false when there is none to read (rh.Problem says why).
func (b *openAIBackend) listModels(ctx context.Context, r *replica, rh *ReplicaHealth) (body []byte, ok bool) {
	start := time.Now()
	status, body, err := b.call(ctx, r, http.MethodGet, r.baseURL+"/models", nil)
	rh.Latency = time.Since(start)
	switch {
	case err != nil && pastDeadline(ctx):
		rh.Problem = "GET /models: " + b.deadlineMsg()
		return nil, false
	case err != nil:
		rh.Problem = fmt.Sprintf("cannot reach it: %v", rootCause(err))
		return nil, false
	case status != http.StatusOK:
		rh.Reachable = true
		rh.Problem = fmt.Sprintf("GET /models: HTTP %d: %s", status, describeBody(body))
		if status == http.StatusNotFound {
			rh.Problem += b.v1Hint(ctx, r)
		}
		return nil, false
	}
	rh.Reachable = true
	var models struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &models); err != nil {
		rh.Problem = "GET /models: " + describeBody(body)
		return nil, false
	}
	for _, m := range models.Data {
		rh.Models = append(rh.Models, m.ID)
	}
	return body, true
}

// v1Hint is didYouMeanV1's hint, made sure of when the server answers
// GET /v1/models where the hint points.
func (b *openAIBackend) v1Hint(ctx context.Context, r *replica) string {
	hint := didYouMeanV1(r)
	if hint == "" {
		return ""
	}
	if status, _, err := b.call(ctx, r, http.MethodGet, strings.TrimSuffix(r.baseURL, "/")+"/v1/models", nil); err == nil && status == http.StatusOK {
		return strings.TrimSuffix(hint, "?)") + "? It answers GET /v1/models there)"
	}
	return hint
}

// matchModel says whether the server serves the configured model. One
// that serves a single model under another id is asked for the configured
// one: llama-server (without --alias) answers any name with its only
// model, and is usable, with a warning; a server that refuses the name is
// not, and is told which name to use.
func (b *openAIBackend) matchModel(ctx context.Context, r *replica, kind serverKind, rh *ReplicaHealth) {
	rh.HasModel = slices.ContainsFunc(rh.Models, func(id string) bool { return sameModel(id, b.cfg.Model) })
	if rh.HasModel {
		return
	}
	if len(rh.Models) != 1 {
		rh.Problem = fmt.Sprintf("it does not serve model %q (it serves %v)", b.cfg.Model, rh.Models)
		return
	}
	id := rh.Models[0]
	fix := fmt.Sprintf("set model = %q", id)
	if kind == serverLlamaCpp || kind == serverUnknown {
		fix += fmt.Sprintf(", or start llama-server with --alias %s", b.cfg.Model)
	}
	if b.answersAs(ctx, r) {
		rh.ServedAs = id
		rh.Warnings = append(rh.Warnings, fmt.Sprintf("it serves one model, %q, and answers requests for %q with it; to name it as the server does, %s", id, b.cfg.Model, fix))
		return
	}
	rh.Problem = fmt.Sprintf("it does not serve model %q (it serves %v): %s", b.cfg.Model, rh.Models, fix)
}

// sameModel says whether a served id is the configured model: Ollama
// lists "name:latest" for a model it also answers to as "name".
func sameModel(id, model string) bool {
	return id == model || (!strings.Contains(model, ":") && id == model+":latest")
}

// answersAs asks r for a one-token answer from the configured model, as
// infer would ask (the same fields).
func (b *openAIBackend) answersAs(ctx context.Context, r *replica) bool {
	req := b.cfg.chatRequest([]openai.ChatCompletionMessage{{Role: "user", Content: "Say OK."}}, 1)
	_, err := r.client.CreateChatCompletion(ctx, req)
	return err == nil
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
