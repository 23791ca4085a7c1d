package engine

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/engine/servertest"
	"github.com/popi-tui/popi-tui/store/storetest"
)

// Issue 12 §1: the first run against each server works, or says how to
// fix it. The servers are servertest's: llama-server, vLLM, Ollama and
// OpenAI's API as their documentation shows them.

// notices collects an engine's notices.
type notices struct {
	mu   sync.Mutex
	list []string
}

func (n *notices) add(s string) { n.mu.Lock(); n.list = append(n.list, s); n.mu.Unlock() }

func (n *notices) all() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.list...)
}

// serverEngine is an engine over the demo users with one backend "srv"
// (every role) for model at baseURL, set up by edit, and its notices.
func serverEngine(t *testing.T, baseURL, model string, edit func(*BackendConfig)) (*Engine, *notices) {
	t.Helper()
	b := BackendConfig{Name: "srv", Kind: KindOpenAI, Roles: []string{RoleSummarizer, RoleGenerator, RoleJudge}, BaseURLs: []string{baseURL},
		Model: model, Temperature: 0.6, MaxTokens: 256, Concurrency: 2, Timeout: 5 * time.Second, Deadline: time.Minute}
	if edit != nil {
		edit(&b)
	}
	n := &notices{}
	e := New(storetest.DemoDB(t), Config{HistoryBudget: DefaultHistoryBudget, MaxAttempts: 3, Concurrency: 8, Backends: []BackendConfig{b}},
		Options{Notify: n.add})
	modelBackend(e).backoff = func(int, time.Duration) time.Duration { return time.Millisecond }
	t.Cleanup(e.Close)
	return e, n
}

// Reasoning models take max_completion_tokens and a fixed temperature:
// the request carries what each model takes, and OpenAI answers it.
func TestReasoningModelsGetMaxCompletionTokens(t *testing.T) {
	tests := []struct {
		model     string
		field     string
		sendsTemp bool
	}{
		{"gpt-5-mini", FieldMaxCompletionTokens, false},
		{"gpt-5", FieldMaxCompletionTokens, false},
		{"o1-mini", FieldMaxCompletionTokens, false},
		{"o3-mini", FieldMaxCompletionTokens, false},
		{"o4-mini", FieldMaxCompletionTokens, false},
		{"gpt-4o-mini", FieldMaxTokens, true},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			srv := servertest.New(t, servertest.OpenAI, tt.model, 400000)
			e, _ := serverEngine(t, srv.URL()+"/v1", tt.model, nil)
			s, err := e.Summarize(context.Background(), "terse-tom", "srv", nil)
			if err != nil {
				t.Fatalf("Summarize: %v", err)
			}
			reqs := srv.Requests("/v1/chat/completions")
			if len(reqs) != 1 || s.Text != servertest.Answer {
				t.Fatalf("%d requests, summary %q", len(reqs), s.Text)
			}
			other := map[string]string{FieldMaxTokens: FieldMaxCompletionTokens, FieldMaxCompletionTokens: FieldMaxTokens}[tt.field]
			_, sentOther := reqs[0][other]
			_, sentTemp := reqs[0]["temperature"]
			if reqs[0][tt.field] != float64(256) || sentOther || sentTemp != tt.sendsTemp {
				t.Errorf("request %v: want %s = 256, no %s, temperature sent %v", reqs[0], tt.field, other, tt.sendsTemp)
			}
		})
	}
}

// A request the client refuses before sending it fails at once, saying
// so: it would be refused again however often it was tried.
func TestClientSideRefusalIsNotRetried(t *testing.T) {
	srv := servertest.New(t, servertest.OpenAI, "o3-mini", 400000)
	// max_tokens forced where the file would have been refused (config.go).
	e, _ := serverEngine(t, srv.URL()+"/v1", "o3-mini", func(b *BackendConfig) { b.MaxTokensField = FieldMaxTokens })
	_, err := e.Summarize(context.Background(), "terse-tom", "srv", nil)
	var be *BackendError
	if !errors.As(err, &be) || be.Temporary || !strings.Contains(err.Error(), "backend srv: the request was refused before it was sent") ||
		strings.Contains(err.Error(), "attempts") || strings.Contains(err.Error(), "malformed") {
		t.Errorf("error %v (%+v), want a refusal, not retried", err, be)
	}
	if n := srv.Count("/v1/chat/completions"); n != 0 {
		t.Errorf("the server got %d requests", n)
	}
}

func TestConfigMaxTokensField(t *testing.T) {
	tests := []struct {
		name, model, extra string
		field              string  // the field the backend sends
		temperature        float64 // the backend's
		err                string  // the configuration error, if any
	}{
		{"auto, self-hosted", "meta-llama/Llama-3.2-3B-Instruct", "", FieldMaxTokens, 0.6, ""},
		{"auto, gpt-5-mini", "gpt-5-mini", "", FieldMaxCompletionTokens, 1, ""},
		{"auto, o3", "o3", "", FieldMaxCompletionTokens, 1, ""},
		{"vLLM told max_completion_tokens", "Qwen/Qwen3-8B", `max_tokens_field = "max_completion_tokens"`, FieldMaxCompletionTokens, 0.6, ""},
		{"gpt-5 told temperature 1", "gpt-5", `temperature = 1.0`, FieldMaxCompletionTokens, 1, ""},
		{"unknown field", "m", `max_tokens_field = "n_predict"`, "", 0, `config.toml:7: backend.max_tokens_field: unknown field "n_predict" (want max_tokens or max_completion_tokens)`},
		{"max_tokens for gpt-5", "gpt-5-nano", `max_tokens_field = "max_tokens"`, "", 0,
			`config.toml:7: backend.max_tokens_field: model "gpt-5-nano" takes max_completion_tokens, not max_tokens (the client refuses to send it); remove the setting or set it to "max_completion_tokens"`},
		{"temperature for o4-mini", "o4-mini", `temperature = 0.6`, "", 0,
			`config.toml:7: backend.temperature: model "o4-mini" has a fixed temperature (its API refuses any other than the default, 1); remove the setting`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, "[[backend]]\nname = \"b\"\nrole = \"summarizer\"\nbase_url = \"https://api.openai.com/v1\"\nmodel = \""+tt.model+"\"\n\n"+tt.extra+"\n")
			cfg, err := LoadConfig(path, true)
			if tt.err != "" {
				if err == nil || !strings.HasSuffix(err.Error(), tt.err) {
					t.Errorf("error %v, want …%s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b := cfg.Backends[0]; b.TokensField() != tt.field || b.Temperature != tt.temperature {
				t.Errorf("field %s, temperature %v; want %s, %v", b.TokensField(), b.Temperature, tt.field, tt.temperature)
			}
		})
	}
}

// A base_url without /v1 gets vLLM's and Ollama's bare 404: `backends` and
// requests say where the API is. llama-server serves both.
func TestBaseURLWithoutV1(t *testing.T) {
	tests := []struct {
		kind, model string
		ok          bool // it works without /v1
	}{
		{servertest.VLLM, "meta-llama/Llama-3.2-3B-Instruct", false},
		{servertest.Ollama, "llama3.2:latest", false},
		{servertest.LlamaCpp, "popi", true},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			srv := servertest.New(t, tt.kind, tt.model, 8192)
			e, _ := serverEngine(t, srv.URL(), tt.model, nil)
			h := e.Check(context.Background(), "srv")
			_, err := e.Summarize(context.Background(), "terse-tom", "srv", nil)
			if tt.ok {
				if !h.OK() || err != nil {
					t.Errorf("check %+v, summarize %v; want both fine", h, err)
				}
				return
			}
			want := "did you mean " + srv.URL() + "/v1?"
			if h.OK() || !strings.Contains(h.Replicas[0].Problem, "GET /models: HTTP 404") || !strings.Contains(h.Replicas[0].Problem, want+" It answers GET /v1/models there") {
				t.Errorf("check problem %q, want HTTP 404 and %q", h.Replicas[0].Problem, want)
			}
			if err == nil || !strings.Contains(err.Error(), "backend srv: HTTP 404") || !strings.Contains(err.Error(), "("+want+")") {
				t.Errorf("summarize: %v, want HTTP 404 and %q", err, want)
			}
		})
	}
	// With /v1, a 404 (here: a model Ollama lacks) gets no such hint.
	srv := servertest.New(t, servertest.Ollama, "llama3.2:latest", 8192)
	e, _ := serverEngine(t, srv.URL()+"/v1", "qwen3", nil)
	if _, err := e.Summarize(context.Background(), "terse-tom", "srv", nil); err == nil || strings.Contains(err.Error(), "did you mean") ||
		!strings.Contains(err.Error(), `HTTP 404: model "qwen3" not found, try pulling it first`) {
		t.Errorf("summarize: %v", err)
	}
}
