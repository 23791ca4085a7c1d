package engine

import (
	"context"
	"strings"
	"testing"
	"time"
)

// Summarizing (summarize.go): what a summary records.

// A summary records that its history was cut to the budget, and the
// token counts behind the context saving.
func TestSummaryRecordsCutAndCounts(t *testing.T) {
	noLeaks(t)
	f := newFake(t, nil)
	e, _ := testEngine(t, 5*time.Second, f.url())
	e.cfg.HistoryBudget = 200
	s, err := e.Summarize(context.Background(), "thorough-theo", "fake", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !s.HistoryCut || !s.TokensEstimated || s.HistoryTokens <= s.SummaryTokens || s.SummaryTokens != estimateTokens(s.Text) {
		t.Errorf("summary = cut %v, estimated %v, history %d, summary %d tokens", s.HistoryCut, s.TokensEstimated, s.HistoryTokens, s.SummaryTokens)
	}
	if len(s.Messages) != 2 || strings.Count(s.Messages[1].Content, "## Example") != 1 {
		t.Errorf("a 200-token budget kept %d examples", strings.Count(s.Messages[len(s.Messages)-1].Content, "## Example"))
	}
}
