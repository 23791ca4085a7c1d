package eval

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/engine/internal/enginetest"
	"github.com/popi-tui/popi-tui/store/storetest"
)

// Integration tests against real OpenAI-compatible server processes, one
// subtest per server, as engine's (engine/integration_test.go):
// enginetest.EachServer finds them, or skips the test.

// realBackend is a backend "real" with the summarizer and generator roles
// serving model at url.
func realBackend(url, model string, maxTokens int) engine.BackendConfig {
	return engine.BackendConfig{Name: "real", Kind: engine.KindOpenAI, Roles: []string{engine.RoleSummarizer, engine.RoleGenerator}, BaseURLs: []string{url},
		Model: model, APIKeyEnv: "POPI_LLM_API_KEY", Temperature: 0, MaxTokens: maxTokens, Concurrency: 8, Timeout: 2 * time.Minute}
}

// The judge against the real server: the tiny model's verdicts are
// gibberish, so every item must be counted, read or malformed, never
// failed or guessed; with the fixed-sentence model, every one malformed.
func TestIntegrationJudgeCountsWhatItCannotRead(t *testing.T) {
	enginetest.EachServer(t, integrationJudgeCountsWhatItCannotRead)
}

func integrationJudgeCountsWhatItCannotRead(t *testing.T, srv enginetest.Server) {
	real := realBackend(srv.URL, srv.Model, 24)
	judge := real
	judge.Name, judge.Roles = "judge", []string{engine.RoleJudge}
	cfg := engine.Config{HistoryBudget: engine.DefaultHistoryBudget, MaxAttempts: 2, Concurrency: 16, Backends: []engine.BackendConfig{real, judge}}
	e := engine.New(storetest.DemoDB(t), cfg, engine.Options{Getenv: func(string) string { return "none" }})
	t.Cleanup(e.Close)
	ctx := context.Background()
	if _, err := e.InferAll(ctx, engine.InferOptions{Backend: engine.HeuristicName, Users: []string{"terse-tom"}}, nil); err != nil {
		t.Fatal(err)
	}
	rep, err := JudgeWinRate(ctx, e, JudgeOptions{Judge: "judge", Generator: "real", Users: []string{"terse-tom"}, Concurrency: 4}, nil)
	if err != nil {
		t.Fatalf("judge on %s: %v", srv.URL, err)
	}
	if rep.Items != 4 || rep.Run.Failed != 0 {
		t.Fatalf("%d items (want terse-tom's 3 tasks and 1 held-out prompt), run %+v", rep.Items, rep.Run)
	}
	if n := rep.Wins + rep.Ties + rep.Losses + rep.MalformedItems + rep.Skipped; n != rep.Items {
		t.Errorf("%d wins, %d ties, %d losses, %d malformed, %d skipped: %d counted of %d items", rep.Wins, rep.Ties, rep.Losses, rep.MalformedItems, rep.Skipped, n, rep.Items)
	}
	if srv.Expect != "" && (rep.MalformedItems != rep.Items || len(rep.Malformed) != 2*rep.Items) {
		t.Errorf("the fixed-sentence model gave readable verdicts: %+v", rep)
	}
	for _, m := range rep.Malformed {
		if m.Answer == "" {
			t.Errorf("a malformed verdict without the judge's words: %+v", m)
		}
	}
}

// eval --metric accuracy on a server that cannot score given responses
// (Ollama, llama-server) is refused before any pair is sent, with the
// reason; nothing is counted.
func TestIntegrationAccuracyRefused(t *testing.T) {
	enginetest.EachServer(t, func(t *testing.T, srv enginetest.Server) {
		if srv.CanScore {
			t.Skip("this server scores given responses (POPI_LLM_CAN_SCORE)")
		}
		cfg := engine.Config{HistoryBudget: engine.DefaultHistoryBudget, MaxAttempts: 2, Concurrency: 16,
			Backends: []engine.BackendConfig{realBackend(srv.URL, srv.Model, 16)}}
		e := engine.New(storetest.DemoDB(t), cfg, engine.Options{Getenv: func(string) string { return "none" }})
		t.Cleanup(e.Close)
		rep, err := Accuracy(context.Background(), e, AccuracyOptions{Backend: "real", Summary: SummaryHeuristic}, nil)
		if !errors.Is(err, engine.ErrCannotScore) || !strings.Contains(err.Error(), "vLLM") {
			t.Fatalf("err = %v, want ErrCannotScore saying what is needed", err)
		}
		if srv.LlamaCpp && !strings.Contains(err.Error(), "log-probabilities of a given prompt") {
			t.Errorf("err = %v, want llama-server's reason", err)
		}
		if rep.Run.Done != 0 || rep.Run.Requests != 0 {
			t.Errorf("pairs were scored: %+v", rep.Run)
		}
	})
}
