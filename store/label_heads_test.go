package store

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"
)

// The scanner-based readers of stored records give what encoding/json
// gives for the same bytes.
func TestLabelHeadDecodeMatchesEncodingJSON(t *testing.T) {
	at := time.Date(2026, 2, 3, 4, 5, 6, 789_000_000, time.FixedZone("x", 3600))
	cands := make([]Candidate, 4)
	for i := range cands {
		p := PaneLetter(i)
		cands[i] = Candidate{Pane: p, Slot: i, Backend: "b-" + p, Model: "m-" + p, Condition: ConditionRaw, GenerationID: "g-" + p}
	}
	labels := []Label{
		{ID: "id1", Kind: LabelDecision, User: "u <1> & \"q\"", PromptID: "p\n1", Prompt: "long prompt \u2028", SummaryID: "S", SummaryVersion: 12,
			Candidates: slices.Clone(cands[:3]), Verdict: "b", Rationale: "because\t", Annotator: "kim\u009b", ShownAt: at, DecidedAt: at, AppVersion: "v"},
		{ID: "id2", Kind: LabelDecision, User: "u", PromptID: "p", Candidates: slices.Clone(cands), Ranking: []string{"d", "a", "c", "b"},
			Annotator: "a", DecidedAt: at.UTC()},
		{ID: "id3", Kind: LabelRetraction, Retracts: "id1", User: "u", PromptID: "p", Annotator: "a"},
		{ID: "id4", Kind: LabelDecision, Amends: "id2", User: "ü🐙", PromptID: "p", Candidates: slices.Clone(cands[:2]), Verdict: VerdictBothBad, Annotator: "a"},
	}
	labels[0].Candidates[1].Replay = "chosen"
	for _, l := range labels {
		raw, err := json.Marshal(l)
		if err != nil {
			t.Fatal(err)
		}
		var want, got labelHead
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatal(err)
		}
		if err := got.decode(raw); err != nil {
			t.Fatalf("%s: %v", l.ID, err)
		}
		if !got.DecidedAt.Equal(want.DecidedAt) {
			t.Errorf("%s: decided at %v, want %v", l.ID, got.DecidedAt, want.DecidedAt)
		}
		got.DecidedAt, want.DecidedAt = time.Time{}, time.Time{}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", l.ID, got, want)
		}
	}
	// Damaged records are errors, not zero values.
	for _, bad := range []string{`{"id":"x","decided_at":"yesterday"}`, `{"id":1}`, `{"candidates":[{"slot":"one"}]}`, `{"ranking":"a"}`, `{"id":"x"`} {
		var h labelHead
		if err := h.decode([]byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
