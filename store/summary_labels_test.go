package store

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func summaryCandidates(ids ...string) []Candidate {
	out := make([]Candidate, len(ids))
	for i, id := range ids {
		out[i] = Candidate{Pane: PaneLetter(i), Slot: i, Backend: "b" + id, Condition: CandidateSummarizer, SummaryID: id}
	}
	return out
}

// A decision between summaries is stored, read back by the label heads
// as by encoding/json, and current like any other; labels written before
// summaries could be judged (no summary_id) still decode, as answers.
func TestSummaryDecisionRoundTrip(t *testing.T) {
	old := `{"id":"x","kind":"decision","user":"u","prompt_id":"p","candidates":[{"pane":"a","slot":0,"backend":"b","model":"m","condition":"none","generation_id":"g"}],"verdict":"a","annotator":"kim","decided_at":"2025-01-01T00:00:00Z"}`
	var l Label
	var h labelHead
	if err := json.Unmarshal([]byte(old), &l); err != nil || l.JudgesSummaries() {
		t.Fatalf("old label: %v, judges summaries %v", err, l.JudgesSummaries())
	}
	if err := h.decode([]byte(old)); err != nil || h.JudgesSummaries() || h.Candidates[0].GenerationID != "g" {
		t.Fatalf("old label head: %v %+v", err, h)
	}

	l = Label{Kind: LabelDecision, User: "u", PromptID: SummaryItemID([]string{"s1", "s2"}), Candidates: summaryCandidates("s1", "s2"),
		Verdict: "b", Annotator: "kim", DecidedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	raw, _ := json.Marshal(l)
	var want labelHead
	h = labelHead{}
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	if err := h.decode(raw); err != nil || !reflect.DeepEqual(h, want) || !h.JudgesSummaries() || h.Candidates[1].SummaryID != "s2" {
		t.Errorf("head\n got %+v\nwant %+v (%v)", h, want, err)
	}
}

func TestSummaryDecisionValidation(t *testing.T) {
	l := Label{Kind: LabelDecision, User: "u", PromptID: "p", Candidates: summaryCandidates("s1", "s2"), Verdict: "a", Annotator: "kim"}
	if err := l.validate(); err != nil {
		t.Errorf("a decision between summaries: %v", err)
	}
	mixed := l
	mixed.Candidates = append(summaryCandidates("s1"), Candidate{Pane: "b", Slot: 1, Backend: "g", Condition: ConditionNone, GenerationID: "gen"})
	if err := mixed.validate(); err == nil || !strings.Contains(err.Error(), "answers or summaries") {
		t.Errorf("summary and answer mixed: %v", err)
	}
	both := l
	both.Candidates = summaryCandidates("s1", "s2")
	both.Candidates[0].GenerationID = "gen"
	if err := both.validate(); err == nil {
		t.Error("a candidate naming a summary and an answer is accepted")
	}
}

func TestSummaryItemIDAndBackend(t *testing.T) {
	a, b := SummaryItemID([]string{"s1", "s2"}), SummaryItemID([]string{"s2", "s1"})
	if a == b || a != SummaryItemID([]string{"s1", "s2"}) || !strings.HasPrefix(a, "summaries:") || SummaryItemID([]string{"s1s", "2"}) == a {
		t.Errorf("item ids %q %q: want stable, per order, unambiguous", a, b)
	}
	for _, tc := range []struct {
		s    Summary
		want string
	}{
		{Summary{Source: "alpha/m", Backend: "alpha"}, "alpha"}, {Summary{Source: "beta/m"}, "beta"},
		{Summary{Source: SourceHuman}, "human"}, {Summary{Source: SourceHeuristic, Backend: "heuristic"}, "heuristic"},
	} {
		if got := SummaryBackend(tc.s); got != tc.want {
			t.Errorf("SummaryBackend(%+v) = %q, want %q", tc.s, got, tc.want)
		}
	}
}

func TestEditedPair(t *testing.T) {
	v := func(n int, source, text string, parent int) Summary {
		return Summary{Version: n, Source: source, Text: text, Parent: parent}
	}
	for _, tc := range []struct {
		name            string
		versions        []Summary
		current         int
		human, replaced int
	}{
		{"edit of a model version", []Summary{v(1, "m/m", "x", 0), v(2, SourceHuman, "y", 1)}, 2, 2, 1},
		{"through a human version", []Summary{v(1, "heuristic", "x", 0), v(2, SourceHuman, "y", 1), v(3, SourceHuman, "z", 2)}, 3, 3, 1},
		{"text kept: the older edit", []Summary{v(1, "m/m", "x", 0), v(2, SourceHuman, "y", 1), v(3, SourceHuman, "x", 1)}, 3, 2, 1},
		{"after the current version", []Summary{v(1, "m/m", "x", 0), v(2, SourceHuman, "y", 1)}, 1, 0, 0},
		{"from scratch", []Summary{v(1, SourceHuman, "y", 0)}, 1, 0, 0},
	} {
		h, r, ok := EditedPair(tc.versions, tc.current)
		if ok != (tc.human != 0) || h.Version != tc.human || r.Version != tc.replaced {
			t.Errorf("%s: %d over %d (%v), want %d over %d", tc.name, h.Version, r.Version, ok, tc.human, tc.replaced)
		}
	}
}
