package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/engine/internal/enginetest"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
)

// Integration tests against real OpenAI-compatible server processes, one
// subtest per server (enginetest.EachServer): .ci/run starts Ollama and
// llama.cpp's llama-server, each serving the tiny models of
// engine/internal/tinygguf; the same tests run unchanged against a user's
// own servers named by the same variables. They assert on content, finish
// reasons and the shape of what comes back, never on ids. What only
// llama-server offers is tested in integration_llamacpp_test.go.
//
// Without the variables they skip with a message, except under CI, where
// a missing server is a failure (enginetest.Servers).

// realEngine is an engine with one backend "real" serving model at url,
// over a database of the demo users.
func realEngine(t *testing.T, url, model string, maxTokens int) (*Engine, *store.DB) {
	t.Helper()
	db := storetest.DemoDB(t)
	cfg := Config{HistoryBudget: DefaultHistoryBudget, MaxAttempts: 2, Concurrency: 16, Backends: []BackendConfig{{
		Name: "real", Kind: KindOpenAI, Roles: []string{RoleSummarizer, RoleGenerator}, BaseURLs: []string{url}, Model: model,
		APIKeyEnv: "POPI_LLM_API_KEY", Temperature: 0, MaxTokens: maxTokens, Concurrency: 8, Timeout: 2 * time.Minute,
	}}}
	e := New(db, cfg, Options{Getenv: realGetenv})
	t.Cleanup(e.Close)
	return e, db
}

// realGetenv gives the real server's key: POPI_LLM_API_KEY, or any key
// for a local server, which takes any.
func realGetenv(k string) string {
	if k == "POPI_LLM_API_KEY" {
		if v := os.Getenv(k); v != "" {
			return v
		}
		return "none"
	}
	return ""
}

// expectText checks an answer against what the server's model is known
// to say, when it says one fixed thing (the tiny models of .ci/run).
func expectText(t *testing.T, s enginetest.Server, got string) {
	t.Helper()
	if want := s.Expect; want != "" && strings.TrimSpace(got) != want {
		t.Errorf("the model said %q, want %q", got, want)
	}
}

func TestIntegrationBackendCheck(t *testing.T) { enginetest.EachServer(t, integrationBackendCheck) }

func integrationBackendCheck(t *testing.T, srv enginetest.Server) {
	e, _ := realEngine(t, srv.URL, srv.Model, 32)
	h := e.Check(context.Background(), "real")
	if !h.OK() || len(h.Replicas) != 1 || !h.Replicas[0].HasModel {
		t.Fatalf("health = %+v", h)
	}
	if h.Replicas[0].Latency <= 0 {
		t.Errorf("latency %v", h.Replicas[0].Latency)
	}
	t.Logf("models %v, tokenize %v, prompt log-probabilities %v", h.Replicas[0].Models, h.Replicas[0].Tokenize, h.Replicas[0].PromptLogprobs)
}

func TestIntegrationInfer(t *testing.T) { enginetest.EachServer(t, integrationInfer) }

func integrationInfer(t *testing.T, srv enginetest.Server) {
	e, db := realEngine(t, srv.URL, srv.Model, 64)
	s, err := e.Summarize(context.Background(), "terse-tom", "real", nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(s.Text) == "" || s.Source != "real/"+srv.Model || s.TemplateSet != DefaultPromptSet().Version() || len(s.Messages) != 2 ||
		s.Version != 1 || s.HistoryTokens <= 0 || s.SummaryTokens <= 0 || !strings.Contains(s.Messages[1].Content, "### Preferred response") {
		t.Errorf("summary = %+v", s)
	}
	if s.PromptTokens <= 0 || s.CompletionTokens <= 0 {
		t.Errorf("token counts %d/%d", s.PromptTokens, s.CompletionTokens)
	}
	expectText(t, srv, s.Text)
	if cur, ok, _ := db.CurrentSummary("terse-tom"); !ok || cur.ID != s.ID {
		t.Errorf("the summary was not stored as current: %+v", cur)
	}
	// Bulk: every demo user, then a second run that skips them all.
	rep, err := e.InferAll(context.Background(), InferOptions{Backend: "real", Concurrency: 8}, nil)
	if err != nil || rep.Failed != 0 || rep.Done != 7 || rep.Skipped != 1 || rep.Requests != 7 {
		t.Fatalf("InferAll: %+v, %v", rep, err)
	}
	rep, err = e.InferAll(context.Background(), InferOptions{Backend: "real"}, nil)
	if err != nil || rep.Done != 0 || rep.Skipped != 8 {
		t.Fatalf("second InferAll: %+v, %v", rep, err)
	}
}

// The real server serves a custom template set named by the configuration
// (prompts = FILE): a summary inferred with it records the set's version
// and stores the messages its templates say, which are what reached the
// server, word for word.
func TestIntegrationCustomTemplateSet(t *testing.T) {
	enginetest.EachServer(t, integrationCustomTemplateSet)
}

func integrationCustomTemplateSet(t *testing.T, srv enginetest.Server) {
	rec := enginetest.NewRecorder(t, srv.URL)
	dir := t.TempDir()
	config := fmt.Sprintf("prompts = \"custom.toml\"\n\n[[backend]]\nname = \"real\"\nrole = \"summarizer\"\nbase_url = %q\n"+
		"model = %q\napi_key_env = \"POPI_LLM_API_KEY\"\ntemperature = 0\nmax_tokens = 64\ntimeout = \"2m\"\n", rec.URL(), srv.Model)
	for name, text := range map[string]string{"custom.toml": customSet, "config.toml": config} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := LoadConfig(filepath.Join(dir, "config.toml"), true)
	if err != nil {
		t.Fatal(err)
	}
	db := storetest.DemoDB(t)
	e := New(db, cfg, Options{Getenv: realGetenv})
	t.Cleanup(e.Close)
	rep, err := e.InferAll(context.Background(), InferOptions{Users: []string{"terse-tom"}, Backend: "real"}, nil)
	if err != nil || rep.Done != 1 || rep.Failed != 0 {
		t.Fatalf("InferAll: %+v, %v", rep, err)
	}
	signals, _ := db.Signals("terse-tom")
	want := []store.Message{{Role: "system", Content: "SYS terse-tom"}, {Role: "user", Content: wantSummarizer(signals, AllSignals...)}}
	s, ok, err := db.CurrentSummary("terse-tom")
	if err != nil || !ok {
		t.Fatalf("no summary stored: %v", err)
	}
	if s.TemplateSet != "custom-1" || !slices.Equal(s.Messages, want) || s.Source != "real/"+srv.Model {
		t.Errorf("stored summary: set %q, source %q, messages %q\nwant %q", s.TemplateSet, s.Source, s.Messages, want)
	}
	expectText(t, srv, s.Text)
	sent := rec.Chats()
	if len(sent) != 1 || len(sent[0]) != len(want) {
		t.Fatalf("the server was sent %q", sent)
	}
	for i, m := range sent[0] {
		if m.Role != want[i].Role || m.Content != want[i].Content {
			t.Errorf("message %d reached the server as %q, want %q", i, m, want[i])
		}
	}
}

func TestIntegrationGenerateStreamingAndNot(t *testing.T) {
	enginetest.EachServer(t, integrationGenerateStreamingAndNot)
}

func integrationGenerateStreamingAndNot(t *testing.T, srv enginetest.Server) {
	e, _ := realEngine(t, srv.URL, srv.Model, 48)
	req := GenerateRequest{User: "terse-tom", PromptID: "t1", Condition: store.ConditionNone, Backend: "real"}
	var streamed strings.Builder
	chunks := 0
	g, cached, err := e.Generate(context.Background(), req, func(d Delta) {
		if d.Reset {
			streamed.Reset()
		}
		streamed.WriteString(d.Text)
		chunks++
	})
	if err != nil || cached {
		t.Fatalf("Generate: cached %v, %v", cached, err)
	}
	if g.Text == "" || streamed.String() != g.Text || chunks < 2 {
		t.Errorf("streamed %q in %d chunks; stored %q", streamed.String(), chunks, g.Text)
	}
	if g.FinishReason != "stop" && g.FinishReason != "length" {
		t.Errorf("finish reason %q", g.FinishReason)
	}
	expectText(t, srv, g.Text)
	if g.TimeToFirstToken <= 0 || g.TimeToFirstToken > g.Latency || g.CompletionTokens <= 0 {
		t.Errorf("ttft %v, latency %v, completion tokens %d", g.TimeToFirstToken, g.Latency, g.CompletionTokens)
	}
	// The same request again is served from the cache; without a delta
	// callback a forced one still completes.
	again, cached, err := e.Generate(context.Background(), req, nil)
	if err != nil || !cached || again.ID != g.ID {
		t.Errorf("second Generate: cached %v, id %s vs %s, %v", cached, again.ID, g.ID, err)
	}
	req.Force = true
	forced, cached, err := e.Generate(context.Background(), req, nil)
	if err != nil || cached || forced.ID == g.ID || forced.Text == "" {
		t.Errorf("forced Generate: cached %v, %+v, %v", cached, forced, err)
	}
	// Temperature 0 and the same input: the same answer.
	if forced.Text != g.Text {
		t.Logf("note: the server's answers differ at temperature 0: %q vs %q", g.Text, forced.Text)
	}
}

func TestIntegrationFinishReasonLength(t *testing.T) {
	enginetest.EachServer(t, integrationFinishReasonLength)
}

func integrationFinishReasonLength(t *testing.T, srv enginetest.Server) {
	e, _ := realEngine(t, srv.LoopURL, srv.LoopModel, 5)
	g, _, err := e.Generate(context.Background(), GenerateRequest{User: "thorough-theo", PromptID: "t1", Condition: store.ConditionNone, Backend: "real"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if g.FinishReason != "length" {
		t.Errorf("finish reason %q with max_tokens 5 (text %q)", g.FinishReason, g.Text)
	}
}

func TestIntegrationCancelMidStream(t *testing.T) {
	enginetest.EachServer(t, integrationCancelMidStream)
}

func integrationCancelMidStream(t *testing.T, srv enginetest.Server) {
	e, db := realEngine(t, srv.LoopURL, srv.LoopModel, 2000) // never stops on its own
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	start := time.Now()
	_, _, err := e.Generate(ctx, GenerateRequest{User: "thorough-theo", PromptID: "t2", Condition: store.ConditionNone, Backend: "real"},
		func(d Delta) { once.Do(cancel) })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled (elapsed %v)", err, time.Since(start))
	}
	if st, _ := db.Stats(); st.Generations != 0 {
		t.Errorf("a cancelled answer was stored")
	}
}

func TestIntegrationEightConcurrent(t *testing.T) {
	enginetest.EachServer(t, integrationEightConcurrent)
}

func integrationEightConcurrent(t *testing.T, srv enginetest.Server) {
	e, _ := realEngine(t, srv.URL, srv.Model, 32)
	rep, err := e.GenerateAll(context.Background(), GenerateOptions{
		Users: []string{"terse-tom", "playful-pia", "skeptic-sam"}, Backends: []string{"real"},
		Conditions: []string{store.ConditionNone, store.ConditionRaw}, Concurrency: 8,
	}, nil)
	// 3 users × (1 or 2 held-out + 3 tasks) prompts × 2 conditions
	if err != nil || rep.Failed != 0 || rep.Done != rep.Total || rep.Total != 2*(4+5+5) {
		t.Fatalf("GenerateAll: %+v, %v", rep, err)
	}
}

// Preference accuracy needs a server that scores given responses; Ollama
// and llama-server cannot, and eval must say so, with the reason, rather
// than guess. Against a user's vLLM (POPI_LLM_CAN_SCORE) the same call
// succeeds.
func TestIntegrationAccuracyNeedsAScoringServer(t *testing.T) {
	enginetest.EachServer(t, integrationAccuracyNeedsAScoringServer)
}

func integrationAccuracyNeedsAScoringServer(t *testing.T, srv enginetest.Server) {
	e, _ := realEngine(t, srv.URL, srv.Model, 16)
	scorer, err := e.Server("real", RoleGenerator)
	if err != nil {
		t.Fatal(err)
	}
	err = scorer.CheckScoring(context.Background(), ScoreOptions{EndOfTurn: true})
	if srv.CanScore {
		if err != nil {
			t.Fatalf("a scoring server refused: %v", err)
		}
		return
	}
	if !errors.Is(err, ErrCannotScore) || !strings.Contains(err.Error(), "backend real") || !strings.Contains(err.Error(), "vLLM") {
		t.Errorf("err = %v, want ErrCannotScore naming the backend and what is needed", err)
	}
	if srv.LlamaCpp && !strings.Contains(err.Error(), "log-probabilities of a given prompt") {
		t.Errorf("err = %v, want llama-server's reason: it cannot score a given prompt", err)
	}
}
