package eval

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
)

// contextDB holds four users: u1 and u2 of dataset elix, u3 and u4 of
// review, whose whole histories (WholeHistoryTokens: a token per four
// bytes of each field, rounded up, and 20 per pair or text) are
//
//	u1: a pair of 8, 4 and 12 bytes (2 + 1 + 3 + 20 = 26) and a profile of 40 bytes (10): 36
//	u2: a text of 100 bytes (25 + 20): 45
//	u3: a pair of 1, 1 and 1 byte (1 + 1 + 1 + 20 = 23) and a text of 9 bytes answering a post of 6 (3 + 2 + 20 = 25): 48
//	u4: a task only: 0
//
// (held-out pairs, tasks and personas do not count), and summaries:
//
//	u1: model 1200 given/100 (estimated), human 1200/80, heuristic without a history count
//	u2: model 600/200, human without a history count, and a newer model one without a summary count
//	u3: heuristic 300/30 (estimated)
func contextDB(t testing.TB) *store.DB {
	db := storetest.Open(t)
	files := map[string]string{
		"elix": `{"user":"u1","kind":"pair","prompt":"abcdefgh","chosen":"good","rejected":"bad answer!!"}
{"user":"u1","kind":"profile","text":"` + strings.Repeat("x", 40) + `"}
{"user":"u1","kind":"pair","split":"heldout","prompt":"held","chosen":"long chosen answer","rejected":"long rejected answer"}
{"user":"u1","kind":"task","id":"t1","prompt":"a task prompt"}
{"user":"u2","kind":"text","text":"` + strings.Repeat("y", 100) + `"}
{"user":"u2","kind":"persona","text":"a persona that is never shown"}
`,
		"review": `{"user":"u3","kind":"pair","prompt":"q","chosen":"a","rejected":"b"}
{"user":"u3","kind":"text","source":"comment","text":"zzzzzzzzz","post":"a post"}
{"user":"u4","kind":"task","id":"t1","prompt":"p"}
`}
	for _, dataset := range []string{"elix", "review"} {
		if _, err := db.Import(context.Background(), dataset+".jsonl", strings.NewReader(files[dataset]), store.ImportOptions{Format: store.FormatPopi, Dataset: dataset}); err != nil {
			t.Fatal(err)
		}
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
	return db
}

// The context saving of each kind of summary: POPI's mean summary length,
// the whole history against the summary, and the history the summarizer
// was given beside it, worked out by hand from contextDB.
func TestContextSaving(t *testing.T) {
	db := contextDB(t)
	rep, err := ContextSaving(db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := json.Marshal(rep); err != nil {
		t.Fatal(err)
	}
	// model: u1 36 whole/1200 given/100, u2 45/600/200: means 40.5, 900 and
	// 150, ratio of means 40.5/150 = 0.27; per-user ratios 0.36 and 0.225,
	// median 0.2925.
	model := ContextKind{Kind: SummaryModel, Users: 2, MeanSummaryTokens: 150, MedianSummaryTokens: 150,
		MeanHistoryTokens: 40.5, MedianHistoryTokens: 40.5, MeanGivenTokens: 900, MedianGivenTokens: 900,
		RatioOfMeans: 0.27, MedianRatio: 0.2925, Estimated: 1}
	// human: u1 36/1200/80 = 0.45.
	human := ContextKind{Kind: SummaryHuman, Users: 1, MeanSummaryTokens: 80, MedianSummaryTokens: 80,
		MeanHistoryTokens: 36, MedianHistoryTokens: 36, MeanGivenTokens: 1200, MedianGivenTokens: 1200, RatioOfMeans: 0.45, MedianRatio: 0.45}
	// heuristic: u3 48/300/30, estimated.
	heuristic := ContextKind{Kind: SummaryHeuristic, Users: 1, MeanSummaryTokens: 30, MedianSummaryTokens: 30,
		MeanHistoryTokens: 48, MedianHistoryTokens: 48, MeanGivenTokens: 300, MedianGivenTokens: 300,
		RatioOfMeans: 1.6, MedianRatio: 1.6, Estimated: 1}
	checkKinds(t, "all", rep.Kinds, []ContextKind{model, human, heuristic})
	if rep.ByDataset != nil || rep.Datasets != nil {
		t.Errorf("datasets %v, by dataset %+v without asking", rep.Datasets, rep.ByDataset)
	}

	// By dataset: elix holds u1 and u2 (everything but the heuristic
	// summary), review u3 (the heuristic one).
	rep, err = ContextSavingWith(db, ContextOptions{ByDataset: true})
	if err != nil {
		t.Fatal(err)
	}
	checkKinds(t, "all", rep.Kinds, []ContextKind{model, human, heuristic})
	if len(rep.ByDataset) != 2 || rep.ByDataset[0].Dataset != "elix" || rep.ByDataset[1].Dataset != "review" {
		t.Fatalf("by dataset: %+v", rep.ByDataset)
	}
	checkKinds(t, "elix", rep.ByDataset[0].Kinds, []ContextKind{model, human, {Kind: SummaryHeuristic}})
	checkKinds(t, "review", rep.ByDataset[1].Kinds, []ContextKind{{Kind: SummaryModel}, {Kind: SummaryHuman}, heuristic})

	// Only review's users.
	rep, err = ContextSavingWith(db, ContextOptions{Datasets: []string{"review"}})
	if err != nil {
		t.Fatal(err)
	}
	checkKinds(t, "review only", rep.Kinds, []ContextKind{{Kind: SummaryModel}, {Kind: SummaryHuman}, heuristic})
}

func checkKinds(t *testing.T, what string, got, want []ContextKind) {
	t.Helper()
	close := func(a, b float64) bool { return math.Abs(a-b) <= 1e-12 }
	if len(got) != len(want) {
		t.Fatalf("%s: %+v, want %+v", what, got, want)
	}
	for i, g := range got {
		w := want[i]
		if g.Kind != w.Kind || g.Users != w.Users || g.Estimated != w.Estimated || !close(g.MeanSummaryTokens, w.MeanSummaryTokens) ||
			!close(g.MedianSummaryTokens, w.MedianSummaryTokens) || !close(g.MeanHistoryTokens, w.MeanHistoryTokens) ||
			!close(g.MedianHistoryTokens, w.MedianHistoryTokens) || !close(g.MeanGivenTokens, w.MeanGivenTokens) ||
			!close(g.MedianGivenTokens, w.MedianGivenTokens) || !close(g.RatioOfMeans, w.RatioOfMeans) || !close(g.MedianRatio, w.MedianRatio) {
			t.Errorf("%s, %s:\n %+v\nwant\n %+v", what, w.Kind, g, w)
		}
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
// each, a model's and a person's) and histories (five pairs each).
func BenchmarkContextSaving(b *testing.B) {
	const n = 100_000
	db := storetest.Open(b)
	var jsonl strings.Builder
	for i := range n {
		fmt.Fprintf(&jsonl, "{\"user\":\"u%06d\",\"kind\":\"task\",\"id\":\"t\",\"prompt\":\"p\"}\n", i)
		for j := range 5 {
			fmt.Fprintf(&jsonl, "{\"user\":\"u%06d\",\"kind\":\"pair\",\"prompt\":\"question %d of a user\",\"chosen\":\"a short answer\",\"rejected\":\"a much longer answer that goes on\"}\n", i, j)
		}
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
