package engine

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
)

// A bulk run of the heuristic summarizer reads its users' signals a page
// at a time (heuristic_bulk.go): what it stores is what summarizing each
// user alone makes, whatever the page size.
func TestHeuristicInferAllPaged(t *testing.T) {
	db := storetest.DemoDB(t)
	e := New(db, Config{}, Options{})
	t.Cleanup(e.Close)
	users, err := e.SelectUsers(nil)
	if err != nil || len(users) < 4 {
		t.Fatalf("%d demo users, %v", len(users), err)
	}
	b, err := e.backend(HeuristicName, RoleSummarizer)
	if err != nil {
		t.Fatal(err)
	}
	defer func(n int) { heurPageUsers = n }(heurPageUsers)
	for _, page := range []int{1, 3, 512} {
		heurPageUsers = page
		// Named out of order, and one twice: each is summarized once.
		given := append([]string{users[2], users[0]}, users...)
		rep, err := e.InferAll(context.Background(), InferOptions{Users: given, Backend: HeuristicName, Force: true}, nil)
		if err != nil || rep.Done+rep.Failed != len(users) {
			t.Fatalf("page %d: %+v, %v", page, rep.Progress, err)
		}
		for _, u := range users {
			alone, aloneErr := e.summarize(context.Background(), u, b, nil, nil, nil)
			got, ok, err := db.CurrentSummary(u)
			switch {
			case err != nil:
				t.Fatal(err)
			case aloneErr != nil:
				continue // a user without history pairs fails either way (counted above)
			case !ok || got.Text != alone.Text || got.HistoryTokens != alone.HistoryTokens || got.SummaryTokens != alone.SummaryTokens:
				t.Errorf("page %d, %s: stored %q (%d, %d tokens), alone %q (%d, %d)", page, u,
					got.Text, got.HistoryTokens, got.SummaryTokens, alone.Text, alone.HistoryTokens, alone.SummaryTokens)
			}
		}
	}
}

// A user the page holds no signals of fails as reading it alone does.
func TestPagedSignalsNotFound(t *testing.T) {
	if _, err := pagedSignals("nobody", nil); err == nil || !strings.Contains(err.Error(), `"nobody"`) || reason(err) != reason(store.ErrNotFound) {
		t.Errorf("got %v", err)
	}
}

// heurHistoryLen is the length of historyText, whatever the history.
func TestHeurHistoryLen(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 1))
	text := func() string { return strings.Repeat("é x\n", rng.IntN(4)) }
	for i := range 2000 {
		var d PromptData
		for n := range rng.IntN(12) {
			d.Pairs = append(d.Pairs, PairData{N: n + 1 + i%3*100, Prompt: text(), Chosen: text(), Rejected: text()})
		}
		for n := range rng.IntN(12) {
			d.Texts = append(d.Texts, TextData{N: n + 1, Text: text(), Source: "comment", Post: text()})
		}
		d.Profile, d.Demographics = text(), text()
		if got, want := heurHistoryLen(d), len(d.historyText()); got != want {
			t.Fatalf("%d, want %d: %s", got, want, fmt.Sprintf("%+v", d))
		}
		if got, want := heurEstimateTokens(heurHistoryLen(d)), estimateTokens(d.historyText()); got != want {
			t.Fatalf("%d tokens, want %d", got, want)
		}
	}
}
