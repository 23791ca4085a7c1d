package engine

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/store"
)

func TestStripReasoning(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Prefers short answers.", "Prefers short answers."},
		{"<think>They chose the shorter one.</think>\n\nPrefers short answers.", "Prefers short answers."},
		{"<THINK>upper case</THINK> Answer", "Answer"},
		{"<think>a</think>One <think>b</think>two", "One two"},
		{"<thinking>x</thinking><reasoning>y</reasoning>Both gone", "Both gone"},
		{"<think>ran out of tokens while thinking", ""},
		{"the template opened it </think>\nAnswer", "Answer"},
		{"  spaced  ", "spaced"},
		{"İstanbul <think>x</think>ok", "İstanbul ok"},
	}
	for _, tt := range tests {
		if got := stripReasoning(tt.in); got != tt.want {
			t.Errorf("stripReasoning(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"3", 3 * time.Second},
		{"0", 0},
		{"-1", 0},
		{"soon", 0},
		{"1.5", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestDefaultBackoffGrowsAndHonoursRetryAfter(t *testing.T) {
	for n := 1; n <= 8; n++ {
		limit := min(500*time.Millisecond<<(n-1), 20*time.Second)
		for range 50 {
			if d := defaultBackoff(n, 0); d <= 0 || d > limit {
				t.Fatalf("attempt %d: %v outside (0, %v]", n, d, limit)
			}
		}
	}
	if d := defaultBackoff(1, 7*time.Second); d != 7*time.Second {
		t.Errorf("Retry-After 7s: waited %v", d)
	}
	if d := defaultBackoff(1, time.Hour); d != time.Minute {
		t.Errorf("Retry-After 1h: waited %v, want the 1 minute cap", d)
	}
}

func TestSelectHistoryKeepsTheMostRecentWithinBudget(t *testing.T) {
	var signals []store.Signal
	for i := 1; i <= 10; i++ {
		signals = append(signals, store.Signal{ID: string(rune('a' + i)), Kind: store.KindPair, Seq: uint64(i),
			Prompt: strings.Repeat("p", 400), Chosen: strings.Repeat("c", 400), Rejected: strings.Repeat("r", 400)})
	}
	signals = append(signals,
		store.Signal{ID: "profile", Kind: store.KindProfile, Seq: 11, Text: "a profile"},
		store.Signal{ID: "held", Kind: store.KindPair, Split: store.SplitHeldout, Seq: 12, Prompt: "x", Chosen: "y", Rejected: "z"})
	h := selectHistory(signals, 1000) // each pair costs about 320 tokens
	if !h.cut || len(h.pairs) != 3 || h.pairs[0].Seq != 8 || h.pairs[2].Seq != 10 || len(h.profiles) != 1 {
		t.Errorf("cut %v, pairs %d (first seq %d), profiles %d", h.cut, len(h.pairs), h.pairs[0].Seq, len(h.profiles))
	}
	all := selectHistory(signals, DefaultHistoryBudget)
	if all.cut || len(all.pairs) != 10 {
		t.Errorf("the default budget cut %d pairs to %d", 10, len(all.pairs))
	}
	// Even a budget too small for one signal keeps the newest.
	one := selectHistory(signals, 1)
	if len(one.pairs) != 1 || one.pairs[0].Seq != 10 || !one.cut {
		t.Errorf("tiny budget: %+v", one.pairs)
	}
}

// A summary records that its history was cut to the budget, and the
// token counts behind the context saving.
func TestSummaryRecordsCutAndCounts(t *testing.T) {
	noLeaks(t)
	f := newFake(t, nil)
	e, _ := testEngine(t, 5*time.Second, f.url())
	e.cfg.HistoryBudget = 200
	e.prompt.HistoryBudget = 200
	s, err := e.Summarize(context.Background(), "thorough-theo", "fake", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !s.HistoryCut || !s.TokensEstimated || s.HistoryTokens <= s.SummaryTokens || s.SummaryTokens != estimateTokens(s.Text) {
		t.Errorf("summary = cut %v, estimated %v, history %d, summary %d tokens", s.HistoryCut, s.TokensEstimated, s.HistoryTokens, s.SummaryTokens)
	}
	if strings.Count(s.Input, "## Example") != 1 {
		t.Errorf("a 200-token budget kept %d examples", strings.Count(s.Input, "## Example"))
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

// An engine made from an empty configuration uses the default history
// budget (not a budget of zero, which would keep one signal).
func TestEmptyConfigurationUsesDefaults(t *testing.T) {
	_, db := testEngine(t, time.Second, "http://127.0.0.1:9/v1")
	e := New(db, Config{}, Options{})
	s, err := e.Summarize(context.Background(), "thorough-theo", HeuristicName, nil)
	if err != nil {
		t.Fatal(err)
	}
	signals, _ := db.Signals("thorough-theo")
	if want := estimateTokens(selectHistory(signals, DefaultHistoryBudget).markdown()); s.HistoryTokens != want || want < 1000 {
		t.Errorf("history tokens %d, want %d", s.HistoryTokens, want)
	}
	if c := e.Config(); c.HistoryBudget != DefaultHistoryBudget || c.MaxAttempts != DefaultMaxAttempts || c.Concurrency != DefaultGlobalLimit {
		t.Errorf("config %+v", c)
	}
}

func TestDescribeBody(t *testing.T) {
	tests := []struct{ body, want string }{
		{`{"error":{"message":"model 'x' not found","type":"api_error"}}`, "model 'x' not found"},
		{`{"object":"error","message":"This model's maximum context length is 4096 tokens","type":"BadRequestError","code":400}`, "This model's maximum context length is 4096 tokens"},
		{`{"error":"model \"x\" not found, try pulling it first"}`, `model "x" not found, try pulling it first`},
		{`<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head></html>`, "the server answered with an HTML page, not JSON: 502 Bad Gateway"},
		{``, "empty response"},
		{`upstream connect error`, "upstream connect error"},
	}
	for _, tt := range tests {
		if got := describeBody([]byte(tt.body)); got != tt.want {
			t.Errorf("describeBody(%q) = %q, want %q", tt.body, got, tt.want)
		}
	}
}
