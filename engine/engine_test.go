package engine

import (
	"context"
	"strings"
	"testing"
	"time"
)

// The engine itself: what New makes of a configuration, and answers
// cleaned of reasoning (engine.go).

// Fixed bug: reasoning before a template-opened close, then another block.
func TestReviewStripReasoningCloseBeforeOpen(t *testing.T) {
	got := StripReasoning("secret plan</think>Prefers short answers.<think>more</think> Likes lists.")
	if strings.Contains(got, "secret") || strings.Contains(got, "think") {
		t.Errorf("got %q", got)
	}
}

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
		if got := StripReasoning(tt.in); got != tt.want {
			t.Errorf("StripReasoning(%q) = %q, want %q", tt.in, got, tt.want)
		}
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
	if want := estimateTokens(historyData("thorough-theo", signals, DefaultHistoryBudget, nil).historyText()); s.HistoryTokens != want || want < 1000 {
		t.Errorf("history tokens %d, want %d", s.HistoryTokens, want)
	}
	if c := e.Config(); c.HistoryBudget != DefaultHistoryBudget || c.MaxAttempts != DefaultMaxAttempts || c.Concurrency != DefaultGlobalLimit {
		t.Errorf("config %+v", c)
	}
}
