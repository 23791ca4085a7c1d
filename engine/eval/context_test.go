package eval

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
)

func TestContextSaving(t *testing.T) {
	db := storetest.Open(t)
	const users = `{"user":"u1","kind":"task","id":"t1","prompt":"p"}
{"user":"u2","kind":"task","id":"t1","prompt":"p"}
{"user":"u3","kind":"task","id":"t1","prompt":"p"}
{"user":"u4","kind":"task","id":"t1","prompt":"p"}
`
	if _, err := db.Import(context.Background(), "users.jsonl", strings.NewReader(users), store.ImportOptions{Format: store.FormatPopi}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []store.Summary{
		{User: "u1", Source: "vllm/llama", HistoryTokens: 1000, SummaryTokens: 100},
		{User: "u1", Source: "vllm/llama", HistoryTokens: 1200, SummaryTokens: 100, TokensEstimated: true}, // u1's model
		{User: "u1", Source: store.SourceHuman, HistoryTokens: 1200, SummaryTokens: 80},                    // u1's human
		{User: "u1", Source: store.SourceHeuristic, SummaryTokens: 50},                                     // no history count
		{User: "u2", Source: "vllm/llama", HistoryTokens: 600, SummaryTokens: 200},                         // u2's model
		{User: "u2", Source: store.SourceHuman, SummaryTokens: 90},                                         // no history count
		{User: "u2", Source: "vllm/llama", HistoryTokens: 500},                                             // no summary count
		{User: "u3", Source: store.SourceHeuristic, HistoryTokens: 300, SummaryTokens: 30, TokensEstimated: true},
	} {
		s.Text = "a summary"
		if _, err := db.AddSummary(s); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := ContextSaving(db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := json.Marshal(rep); err != nil {
		t.Fatal(err)
	}
	want := []ContextKind{
		// u1 1200/100 (estimated), u2 600/200: means 900 and 150, ratio 6;
		// per-user ratios 12 and 3, median 7.5.
		{Kind: SummaryModel, Users: 2, MeanHistoryTokens: 900, MedianHistoryTokens: 900, MeanSummaryTokens: 150,
			MedianSummaryTokens: 150, RatioOfMeans: 6, MedianRatio: 7.5, Estimated: 1},
		// u1 1200/80 = 15.
		{Kind: SummaryHuman, Users: 1, MeanHistoryTokens: 1200, MedianHistoryTokens: 1200, MeanSummaryTokens: 80,
			MedianSummaryTokens: 80, RatioOfMeans: 15, MedianRatio: 15},
		// u3 300/30 = 10, estimated.
		{Kind: SummaryHeuristic, Users: 1, MeanHistoryTokens: 300, MedianHistoryTokens: 300, MeanSummaryTokens: 30,
			MedianSummaryTokens: 30, RatioOfMeans: 10, MedianRatio: 10, Estimated: 1},
	}
	if !slices.Equal(rep.Kinds, want) {
		t.Errorf("context saving\n %+v\nwant\n %+v", rep.Kinds, want)
	}
}

func TestContextSavingEmpty(t *testing.T) {
	rep, err := ContextSaving(storetest.Open(t))
	if err != nil {
		t.Fatal(err)
	}
	want := []ContextKind{{Kind: SummaryModel}, {Kind: SummaryHuman}, {Kind: SummaryHeuristic}}
	if !slices.Equal(rep.Kinds, want) {
		t.Errorf("context saving %+v, want %+v", rep.Kinds, want)
	}
}

// BenchmarkContextSaving reads 100,000 users' summaries (two versions
// each, a model's and a person's).
func BenchmarkContextSaving(b *testing.B) {
	const n = 100_000
	db := storetest.Open(b)
	var jsonl strings.Builder
	for i := range n {
		fmt.Fprintf(&jsonl, "{\"user\":\"u%06d\",\"kind\":\"task\",\"id\":\"t\",\"prompt\":\"p\"}\n", i)
	}
	if _, err := db.Import(context.Background(), "users.jsonl", strings.NewReader(jsonl.String()), store.ImportOptions{Format: store.FormatPopi}); err != nil {
		b.Fatal(err)
	}
	for start := 0; start < n; start += 10_000 {
		var batch []store.Summary
		for i := start; i < start+10_000; i++ {
			u := fmt.Sprintf("u%06d", i)
			batch = append(batch,
				store.Summary{User: u, Source: "vllm/m", Text: "likes short answers", HistoryTokens: 1000 + i%500, SummaryTokens: 50 + i%40},
				store.Summary{User: u, Source: store.SourceHuman, Text: "likes very short answers", HistoryTokens: 1000 + i%500, SummaryTokens: 40})
		}
		if _, err := db.AddSummaries(batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		rep, err := ContextSaving(db)
		if err != nil || rep.Kinds[0].Users != n {
			b.Fatalf("%+v, %v", rep, err)
		}
	}
}
