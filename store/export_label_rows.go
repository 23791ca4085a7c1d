package store

import (
	"slices"
	"strings"
)

// The rows of the dpo and kto label exports. prompt, chosen/rejected or
// completion/label are what TRL reads; the rest ride along for analysis.
// Every field is written on every row, with an empty value of its type
// where it does not apply: dataset loaders infer a column's type from the
// first rows and fail on a later row whose value has another type.

// dpoRow is one row of TRL's preference format.
type dpoRow struct {
	Prompt   any `json:"prompt"`
	Chosen   any `json:"chosen"`
	Rejected any `json:"rejected"`
	// System is the system turn, written by --plain only (its prompt holds
	// the other turns); the message lists carry their own.
	System            *string `json:"system,omitempty"`
	User              string  `json:"user"`
	PromptID          string  `json:"prompt_id"`
	SummaryID         string  `json:"summary_id"`
	SummaryVersion    int     `json:"summary_version"`
	ChosenBackend     string  `json:"chosen_backend"`
	ChosenModel       string  `json:"chosen_model"`
	ChosenCondition   string  `json:"chosen_condition"`
	RejectedBackend   string  `json:"rejected_backend"`
	RejectedModel     string  `json:"rejected_model"`
	RejectedCondition string  `json:"rejected_condition"`
	PromptCondition   string  `json:"prompt_condition"` // whose input "prompt" is, when the two were sent different inputs
	Annotator         string  `json:"annotator"`
	LabelID           string  `json:"label_id"`
}

// ktoRow is one row of TRL's unpaired preference format.
type ktoRow struct {
	Prompt         any     `json:"prompt"`
	Completion     any     `json:"completion"`
	Label          bool    `json:"label"`
	System         *string `json:"system,omitempty"` // as in dpoRow
	User           string  `json:"user"`
	PromptID       string  `json:"prompt_id"`
	SummaryID      string  `json:"summary_id"`
	SummaryVersion int     `json:"summary_version"`
	Backend        string  `json:"backend"`
	Model          string  `json:"model"`
	Condition      string  `json:"condition"`
	Annotator      string  `json:"annotator"`
	LabelID        string  `json:"label_id"`
}

// judged is a candidate with the answer it stands for.
type judged struct {
	Candidate
	gen Generation
}

// orderedPairs lists the (better, worse) panes a decision states.
func orderedPairs(l Label) [][2]string {
	var out [][2]string
	switch {
	case len(l.Ranking) > 0:
		for i := range l.Ranking {
			for j := i + 1; j < len(l.Ranking); j++ {
				out = append(out, [2]string{l.Ranking[i], l.Ranking[j]})
			}
		}
	case l.Verdict == VerdictTie || l.Verdict == VerdictBothBad || l.Verdict == VerdictSkip:
	default:
		for _, c := range l.Candidates {
			if c.Pane != l.Verdict {
				out = append(out, [2]string{l.Verdict, c.Pane})
			}
		}
	}
	return out
}

// promptColumns is what a row's prompt columns hold for the messages a
// generator was sent: the message list itself, or with plain the non-system
// turns as one string and the system turn apart ("" when none was sent).
func promptColumns(msgs []Message, plain bool) (prompt any, system *string) {
	if !plain {
		return msgs, nil
	}
	var sys, rest []string
	for _, m := range msgs {
		if m.Role == "system" {
			sys = append(sys, m.Content)
		} else {
			rest = append(rest, m.Content)
		}
	}
	s := strings.Join(sys, "\n\n")
	return strings.Join(rest, "\n\n"), &s
}

// answerColumn is an answer as a string, or as a one-message assistant list.
func answerColumn(g Generation, plain bool) any {
	if plain {
		return g.Text
	}
	return []Message{{Role: "assistant", Content: g.Text}}
}

// dpoRows gives a decision's preference rows. When the two answers of a
// pair were sent different inputs (comparing conditions), the prompt is
// the summary-conditioned one if either had it, else the chosen one's;
// prompt_condition says which.
func dpoRows(l Label, cands map[string]judged, plain bool) []any {
	pairs := orderedPairs(l)
	rows := make([]any, 0, len(pairs))
	for _, p := range pairs {
		ch, rj := cands[p[0]], cands[p[1]]
		from := ch
		if !slices.Equal(ch.gen.Messages, rj.gen.Messages) && rj.Condition == ConditionSummary && ch.Condition != ConditionSummary {
			from = rj
		}
		prompt, system := promptColumns(from.gen.Messages, plain)
		rows = append(rows, dpoRow{
			Prompt: prompt, Chosen: answerColumn(ch.gen, plain), Rejected: answerColumn(rj.gen, plain), System: system,
			User: l.User, PromptID: l.PromptID, SummaryID: l.SummaryID, SummaryVersion: l.SummaryVersion,
			ChosenBackend: ch.Backend, ChosenModel: ch.Model, ChosenCondition: ch.Condition,
			RejectedBackend: rj.Backend, RejectedModel: rj.Model, RejectedCondition: rj.Condition,
			PromptCondition: from.Condition, Annotator: l.Annotator, LabelID: l.ID,
		})
	}
	return rows
}

// ktoRows gives a decision's unpaired rows: the winner desirable and the
// others not; for a ranking the first desirable and the last not; for
// all-bad every answer undesirable.
func ktoRows(l Label, cands map[string]judged, plain bool) []any {
	desirable := map[string]bool{} // pane → label
	switch {
	case len(l.Ranking) > 0:
		desirable[l.Ranking[0]] = true
		desirable[l.Ranking[len(l.Ranking)-1]] = false
	case l.Verdict == VerdictTie || l.Verdict == VerdictSkip:
		return nil
	default:
		for _, c := range l.Candidates {
			desirable[c.Pane] = c.Pane == l.Verdict // all false for both_bad
		}
	}
	var rows []any
	for _, c := range l.Candidates { // in pane order, for stable output
		good, ok := desirable[c.Pane]
		if !ok {
			continue
		}
		g := cands[c.Pane].gen
		prompt, system := promptColumns(g.Messages, plain)
		rows = append(rows, ktoRow{
			Prompt: prompt, Completion: answerColumn(g, plain), Label: good, System: system,
			User: l.User, PromptID: l.PromptID, SummaryID: l.SummaryID, SummaryVersion: l.SummaryVersion,
			Backend: c.Backend, Model: c.Model, Condition: c.Condition, Annotator: l.Annotator, LabelID: l.ID,
		})
	}
	return rows
}
