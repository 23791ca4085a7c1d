package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/engine/internal/enginetest"
	"github.com/popi-tui/popi-tui/engine/internal/tinygguf"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
)

// What llama.cpp's llama-server offers beyond the chat API, on the real
// server .ci/llm-server start-llamacpp starts (enginetest.LlamaCpp), and
// what it does differently from the others.

// llamaTokens counts text's tokens with the server's own POST /tokenize,
// as a person would ask it, apart from the engine.
func llamaTokens(t *testing.T, baseURL, text string) int {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"content": text})
	resp, err := http.Post(serverRoot(baseURL)+"/tokenize", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Tokens []int `json:"tokens"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /tokenize: HTTP %d, %v", resp.StatusCode, err)
	}
	return len(out.Tokens)
}

// Summaries and generations made on llama-server store exact token counts:
// the context saving from its /tokenize, the usage from its answers.
func TestIntegrationLlamaCppExactTokens(t *testing.T) {
	srv, _, _ := enginetest.LlamaCpp(t)
	e, _ := realEngine(t, srv.URL, srv.Model, 64)
	ctx := context.Background()
	s, err := e.Summarize(ctx, "terse-tom", "real", nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.TokensEstimated {
		t.Errorf("the summary's token counts are marked estimated: %+v", s)
	}
	if want := llamaTokens(t, srv.URL, s.Text); s.SummaryTokens != want {
		t.Errorf("summary tokens %d, the server's /tokenize says %d", s.SummaryTokens, want)
	}
	if s.HistoryTokens <= s.SummaryTokens || s.PromptTokens <= s.HistoryTokens {
		t.Errorf("history %d tokens, summary %d, prompt %d: the prompt holds the history, which is longer than the summary",
			s.HistoryTokens, s.SummaryTokens, s.PromptTokens)
	}
	for _, stream := range []bool{true, false} {
		var onDelta func(Delta)
		if stream {
			onDelta = func(Delta) {}
		}
		g, _, err := e.Generate(ctx, GenerateRequest{User: "terse-tom", PromptID: "t1", Condition: store.ConditionNone, Backend: "real", Force: true}, onDelta)
		if err != nil {
			t.Fatal(err)
		}
		// llama-server counts the end-of-sequence token it generated as a
		// completion token, as Ollama does: the sentence's 9 and </s>.
		if g.TokensEstimated || g.CompletionTokens != tinygguf.SentenceTokens+1 || g.PromptTokens <= 0 {
			t.Errorf("streamed %v: tokens estimated %v, completion %d (want %d), prompt %d",
				stream, g.TokensEstimated, g.CompletionTokens, tinygguf.SentenceTokens+1, g.PromptTokens)
		}
	}
}

// `backends` reads llama-server's /props: the context a request gets and
// the chat template it applies (the model's own, given --jinja).
func TestIntegrationLlamaCppProps(t *testing.T) {
	srv, _, _ := enginetest.LlamaCpp(t)
	e, _ := realEngine(t, srv.URL, srv.Model, 32)
	h := e.Check(context.Background(), "real")
	if !h.OK() || len(h.Replicas) != 1 {
		t.Fatalf("health = %+v", h)
	}
	r := h.Replicas[0]
	if r.Server != "llama.cpp" || !r.HasModel || r.ServedAs != "" || !r.Tokenize || r.PromptLogprobs {
		t.Errorf("server %q, has model %v (served as %q), tokenize %v, prompt log-probabilities %v",
			r.Server, r.HasModel, r.ServedAs, r.Tokenize, r.PromptLogprobs)
	}
	if r.ContextLength <= 0 || !strings.Contains(r.ContextSource, "/props") {
		t.Errorf("context %d from %q", r.ContextLength, r.ContextSource)
	}
	if r.ChatTemplate != tinygguf.ChatTemplate {
		t.Errorf("chat template %q, want the model's %q", r.ChatTemplate, tinygguf.ChatTemplate)
	}
}

// llama-server started without --alias names its model by the file's
// path: a configuration naming it otherwise is warned, not refused, and
// works (the server answers any model name with its one model).
func TestIntegrationLlamaCppWithoutAlias(t *testing.T) {
	srv, url, path := enginetest.LlamaCpp(t)
	if url == "" || path == "" {
		t.Fatal("POPI_LLAMACPP_URL_NOALIAS and POPI_LLAMACPP_MODEL_PATH name the server started without --alias")
	}
	e, db := realEngine(t, url, srv.Model, 64)
	h := e.Check(context.Background(), "real")
	if !h.OK() || len(h.Replicas) != 1 {
		t.Fatalf("a server without --alias is NOT USABLE: %+v", h)
	}
	r := h.Replicas[0]
	if r.ServedAs != path || len(r.Warnings) == 0 || !strings.Contains(r.Warnings[0], "--alias") ||
		!strings.Contains(r.Warnings[0], path) {
		t.Errorf("served as %q, warnings %q: want the file's path and the advice to set model or --alias", r.ServedAs, r.Warnings)
	}
	rep, err := e.InferAll(context.Background(), InferOptions{Backend: "real", Users: []string{"terse-tom"}}, nil)
	if err != nil || rep.Done != 1 || rep.Failed != 0 {
		t.Fatalf("InferAll: %+v, %v", rep, err)
	}
	s, ok, _ := db.CurrentSummary("terse-tom")
	if !ok || s.Model != srv.Model {
		t.Errorf("stored %+v", s)
	}
	expectText(t, srv, s.Text)
}

// llama-server refuses a prompt longer than a slot's context (HTTP 400)
// where Ollama cuts it: the refusal is said with what to change, and is
// not retried.
func TestIntegrationLlamaCppRefusesALongPrompt(t *testing.T) {
	srv, _, _ := enginetest.LlamaCpp(t)
	db := storetest.DemoDB(t)
	long := strings.Repeat("a detailed answer with many words in it ", 2000) // the tiny tokenizer: ~100,000 tokens
	line := `{"user":"long-lou","id":"p1","kind":"pair","prompt":"Explain.","chosen":"` + long + `","rejected":"No."}` + "\n"
	if _, err := db.Import(context.Background(), "long.jsonl", strings.NewReader(line), store.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	cfg := Config{HistoryBudget: 200_000, MaxAttempts: 3, Concurrency: 4, Backends: []BackendConfig{{
		Name: "real", Kind: KindOpenAI, Roles: []string{RoleSummarizer}, BaseURLs: []string{srv.URL}, Model: srv.Model,
		APIKeyEnv: "POPI_LLM_API_KEY", MaxTokens: 16, Concurrency: 2, Timeout: 2 * time.Minute,
	}}}
	rec := enginetest.NewRecorder(t, srv.URL)
	cfg.Backends[0].BaseURLs = []string{rec.URL()}
	e := New(db, cfg, Options{Getenv: realGetenv})
	t.Cleanup(e.Close)
	_, err := e.Summarize(context.Background(), "long-lou", "real", nil)
	var be *BackendError
	if !errors.As(err, &be) || be.Status != http.StatusBadRequest {
		t.Fatalf("err = %v, want the server's HTTP 400", err)
	}
	for _, want := range []string{"exceeds the available context size", "--ctx-size", "--kv-unified", "history_budget"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v: no %q", err, want)
		}
	}
	if n := len(rec.Chats()); n != 1 {
		t.Errorf("the refused request was sent %d times", n)
	}
}
