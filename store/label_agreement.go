package store

// What a replayed candidate is (Candidate.Replay): one of a held-out
// pair's own responses, offered as if generated.
const (
	ReplayChosen   = "chosen"
	ReplayRejected = "rejected"
)

// AgreesWithDataset is the one rule for checking a person against the
// dataset's own choice on a replayed held-out pair. A decision is
// decisive when its verdict names a pane (a ranking, a tie, "both bad"
// or a skip does not) and one of its candidates replays the chosen
// response; it agrees when the pane it names is that one.
func (l Label) AgreesWithDataset() (agree, decisive bool) {
	if l.Kind != LabelDecision {
		return false, false
	}
	best, ok := l.Pane(l.Verdict)
	if !ok {
		return false, false
	}
	for _, c := range l.Candidates {
		if c.Replay == ReplayChosen {
			return best.Replay == ReplayChosen, true
		}
	}
	return false, false
}
