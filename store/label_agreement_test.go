package store

import "testing"

func TestLabelAgreesWithDataset(t *testing.T) {
	replay := []Candidate{{Pane: "a", Replay: ReplayRejected}, {Pane: "b", Replay: ReplayChosen}}
	oneReplayed := []Candidate{{Pane: "a", Backend: "vllm", Condition: ConditionSummary}, {Pane: "b", Replay: ReplayChosen}}
	plain := []Candidate{{Pane: "a"}, {Pane: "b"}}
	tests := []struct {
		name            string
		label           Label
		agree, decisive bool
	}{
		{"picked the chosen response", Label{Kind: LabelDecision, Verdict: "b", Candidates: replay}, true, true},
		{"picked the rejected response", Label{Kind: LabelDecision, Verdict: "a", Candidates: replay}, false, true},
		{"picked a model over the chosen response", Label{Kind: LabelDecision, Verdict: "a", Candidates: oneReplayed}, false, true},
		{"picked the chosen response over a model", Label{Kind: LabelDecision, Verdict: "b", Candidates: oneReplayed}, true, true},
		{"tie", Label{Kind: LabelDecision, Verdict: VerdictTie, Candidates: replay}, false, false},
		{"both bad", Label{Kind: LabelDecision, Verdict: VerdictBothBad, Candidates: replay}, false, false},
		{"skip", Label{Kind: LabelDecision, Verdict: VerdictSkip, Candidates: replay}, false, false},
		{"a ranking", Label{Kind: LabelDecision, Ranking: []string{"b", "a"}, Candidates: replay}, false, false},
		{"a verdict naming no pane", Label{Kind: LabelDecision, Verdict: "c", Candidates: replay}, false, false},
		{"no replayed pane", Label{Kind: LabelDecision, Verdict: "a", Candidates: plain}, false, false},
		{"only the rejected response replayed", Label{Kind: LabelDecision, Verdict: "a", Candidates: []Candidate{{Pane: "a", Replay: ReplayRejected}, {Pane: "b"}}}, false, false},
		{"a retraction", Label{Kind: LabelRetraction, Verdict: "b", Candidates: replay}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if agree, decisive := tt.label.AgreesWithDataset(); agree != tt.agree || decisive != tt.decisive {
				t.Errorf("AgreesWithDataset() = %v, %v; want %v, %v", agree, decisive, tt.agree, tt.decisive)
			}
		})
	}
}
