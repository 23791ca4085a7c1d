package eval

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/engine/internal/enginetest"
	"github.com/popi-tui/popi-tui/store/storetest"
)

// Integration tests against a real OpenAI-compatible server process, as
// engine's (engine/integration_test.go): enginetest.RealServer finds it,
// or skips the test.

// The judge against the real server: the tiny model's verdicts are
// gibberish, so every item must be counted, read or malformed, never
// failed or guessed; with the fixed-sentence model, every one malformed.
func TestIntegrationJudgeCountsWhatItCannotRead(t *testing.T) {
	url, model := enginetest.RealServer(t)
	real := engine.BackendConfig{Name: "real", Kind: engine.KindOpenAI, Roles: []string{engine.RoleSummarizer, engine.RoleGenerator}, BaseURLs: []string{url},
		Model: model, APIKeyEnv: "POPI_LLM_API_KEY", Temperature: 0, MaxTokens: 24, Concurrency: 8, Timeout: 2 * time.Minute}
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
		t.Fatalf("judge on %s: %v", url, err)
	}
	if rep.Items != 4 || rep.Run.Failed != 0 {
		t.Fatalf("%d items (want terse-tom's 3 tasks and 1 held-out prompt), run %+v", rep.Items, rep.Run)
	}
	if n := rep.Wins + rep.Ties + rep.Losses + rep.MalformedItems + rep.Skipped; n != rep.Items {
		t.Errorf("%d wins, %d ties, %d losses, %d malformed, %d skipped: %d counted of %d items", rep.Wins, rep.Ties, rep.Losses, rep.MalformedItems, rep.Skipped, n, rep.Items)
	}
	if os.Getenv("POPI_LLM_EXPECT") != "" && (rep.MalformedItems != rep.Items || len(rep.Malformed) != 2*rep.Items) {
		t.Errorf("the fixed-sentence model gave readable verdicts: %+v", rep)
	}
	for _, m := range rep.Malformed {
		if m.Answer == "" {
			t.Errorf("a malformed verdict without the judge's words: %+v", m)
		}
	}
}
