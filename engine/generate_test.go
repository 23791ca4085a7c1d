package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/store"
)

// Generating (generate.go): the cache key, what is stored, the replay
// generator.

// Fixed bug: estimated token counts of a generation are stored unmarked.
func TestReviewGenerationEstimatedTokensUnmarked(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello there\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
		return true
	})
	e, _ := testEngine(t, 5*time.Second, f.url())
	g, _, err := e.Generate(context.Background(), GenerateRequest{User: "terse-tom", PromptID: "t1", Condition: store.ConditionNone, Backend: "fake"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(g)
	t.Logf("stored: prompt %d completion %d; json has estimate mark: %v", g.PromptTokens, g.CompletionTokens, strings.Contains(string(b), "estimat"))
	if !strings.Contains(string(b), "estimat") {
		t.Errorf("estimated counts (%d, %d) stored without an estimate mark", g.PromptTokens, g.CompletionTokens)
	}
}

// Fixed bug: the raw condition's cache key ignores the history it was given.
func TestReviewRawCacheIgnoresHistory(t *testing.T) {
	f := newFake(t, nil)
	e, db := testEngine(t, 5*time.Second, f.url())
	req := GenerateRequest{User: "terse-tom", PromptID: "t1", Condition: store.ConditionRaw, Backend: "fake"}
	g1, _, err := e.Generate(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := e.Config()
	cfg.HistoryBudget = 50 // a much smaller history now
	e2 := New(db, cfg, Options{})
	defer e2.Close()
	g2, cached, err := e2.Generate(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	signals, _ := db.Signals("terse-tom")
	want, _ := builtinGenerator(store.ConditionRaw, g1.Prompt, "", historyData("terse-tom", signals, 50, nil))
	if cached || g2.Messages[0].Content != want[0].Content {
		t.Errorf("cached answer reused though its raw-history prompt (%d bytes) differs from what would be sent now (%d bytes)", len(g2.Messages[0].Content), len(want[0].Content))
	}
}

func TestOfflineSummarizeAndReplay(t *testing.T) {
	e, db := testEngine(t, time.Second, "http://127.0.0.1:9/v1")
	s, err := e.Summarize(context.Background(), "code-first-kai", HeuristicName, nil)
	if err != nil || s.Source != store.SourceHeuristic || !strings.Contains(s.Text, "code block") || s.Input != "" {
		t.Fatalf("heuristic summary %+v, %v", s, err)
	}
	signals, _ := db.Signals("code-first-kai")
	var held store.Signal
	for _, sig := range signals {
		if sig.Kind == store.KindPair && sig.Split == store.SplitHeldout {
			held = sig
		}
	}
	for _, which := range []string{ReplayChosen, ReplayRejected} {
		g, cached, err := e.Generate(context.Background(), GenerateRequest{User: "code-first-kai", PromptID: held.ID, Backend: ReplayName, Replay: which}, nil)
		want := held.Chosen
		if which == ReplayRejected {
			want = held.Rejected
		}
		if err != nil || cached || g.Text != want || g.Condition != "replay:"+which || g.Backend != ReplayName {
			t.Errorf("replay %s: %+v, %v", which, g, err)
		}
	}
	if _, _, err := e.Generate(context.Background(), GenerateRequest{User: "code-first-kai", PromptID: "t1", Backend: ReplayName, Replay: ReplayChosen}, nil); err == nil ||
		!strings.Contains(err.Error(), "held-out pairs only") {
		t.Errorf("replaying a task: %v", err)
	}
}
