package store

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// Label export formats (DESIGN §4.4).
const (
	LabelsRaw = "raw" // the current label records as stored
	LabelsDPO = "dpo" // TRL preference rows: prompt, chosen, rejected
	LabelsKTO = "kto" // TRL unpaired rows: prompt, completion, label
)

// LabelExport configures ExportLabels.
type LabelExport struct {
	Format string
	// Conversational writes prompts as lists of {role, content} messages and
	// answers as one-message assistant lists (TRL's conversational format).
	Conversational bool
}

// dpoRow is one row of TRL's preference format. prompt, chosen and
// rejected are what TRL reads; the rest ride along for analysis.
type dpoRow struct {
	Prompt            any    `json:"prompt"`
	Chosen            any    `json:"chosen"`
	Rejected          any    `json:"rejected"`
	User              string `json:"user"`
	PromptID          string `json:"prompt_id"`
	SummaryID         string `json:"summary_id,omitempty"`
	SummaryVersion    int    `json:"summary_version,omitempty"`
	ChosenBackend     string `json:"chosen_backend"`
	ChosenModel       string `json:"chosen_model"`
	ChosenCondition   string `json:"chosen_condition"`
	RejectedBackend   string `json:"rejected_backend"`
	RejectedModel     string `json:"rejected_model"`
	RejectedCondition string `json:"rejected_condition"`
	PromptCondition   string `json:"prompt_condition"` // whose input "prompt" is, when the two were sent different inputs
	Annotator         string `json:"annotator"`
	LabelID           string `json:"label_id"`
}

// ktoRow is one row of TRL's unpaired preference format.
type ktoRow struct {
	Prompt         any    `json:"prompt"`
	Completion     any    `json:"completion"`
	Label          bool   `json:"label"`
	User           string `json:"user"`
	PromptID       string `json:"prompt_id"`
	SummaryID      string `json:"summary_id,omitempty"`
	SummaryVersion int    `json:"summary_version,omitempty"`
	Backend        string `json:"backend"`
	Model          string `json:"model"`
	Condition      string `json:"condition"`
	Annotator      string `json:"annotator"`
	LabelID        string `json:"label_id"`
}

// ExportLabels writes the current decisions (retractions applied, the
// newest decision per annotator and item) as JSONL, streaming, and returns
// the number of rows written.
//
// dpo writes one row per decisive pair: a best-of-N verdict gives the
// winner over each other pane, a ranking of N its N(N-1)/2 ordered pairs;
// ties, all-bad and skips give none. The prompt is exactly what the
// generator was sent; when the two answers were sent different inputs
// (comparing conditions), it is the summary-conditioned input if either
// had it, else the chosen one's, and prompt_condition says which.
//
// kto writes one row per judged answer: the winner true and the others
// false; for a ranking, the first true and the last false; for all-bad,
// every answer false. Ties and skips give none.
func (db *DB) ExportLabels(w io.Writer, opt LabelExport) (int, error) {
	switch opt.Format {
	case LabelsRaw, LabelsDPO, LabelsKTO:
	default:
		return 0, fmt.Errorf("unknown label format %q (want raw, dpo or kto)", opt.Format)
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	n := 0
	// One read transaction for the whole export: a consistent snapshot, and
	// no second transaction opened while the first is (bbolt can deadlock).
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return currentLabels(tx, func(l Label) error {
			var rows []any
			var err error
			switch opt.Format {
			case LabelsRaw:
				rows = []any{l}
			case LabelsDPO:
				rows, err = dpoRows(tx, l, opt.Conversational)
			case LabelsKTO:
				rows, err = ktoRows(tx, l, opt.Conversational)
			}
			if err != nil {
				return fmt.Errorf("label %s: %w", l.ID, err)
			}
			for _, r := range rows {
				if err := enc.Encode(r); err != nil {
					return err
				}
				n++
			}
			return nil
		})
	})
	return n, err
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

// judged is a candidate with the answer it stands for.
type judged struct {
	Candidate
	gen Generation
}

func candidates(tx *bolt.Tx, l Label) (map[string]judged, error) {
	out := make(map[string]judged, len(l.Candidates))
	for _, c := range l.Candidates {
		var g Generation
		if err := getGeneration(tx, c.GenerationID, &g); err != nil {
			return nil, fmt.Errorf("pane %s: %w", c.Pane, err)
		}
		out[c.Pane] = judged{c, g}
	}
	return out, nil
}

func promptOf(g Generation, conversational bool) any {
	if conversational {
		return g.Messages
	}
	return g.PromptText()
}

func answerOf(g Generation, conversational bool) any {
	if conversational {
		return []Message{{Role: "assistant", Content: g.Text}}
	}
	return g.Text
}

func dpoRows(tx *bolt.Tx, l Label, conversational bool) ([]any, error) {
	pairs := orderedPairs(l)
	if len(pairs) == 0 {
		return nil, nil
	}
	cands, err := candidates(tx, l)
	if err != nil {
		return nil, err
	}
	rows := make([]any, 0, len(pairs))
	for _, p := range pairs {
		ch, rj := cands[p[0]], cands[p[1]]
		from := ch
		if !slices.Equal(ch.gen.Messages, rj.gen.Messages) && rj.Condition == ConditionSummary && ch.Condition != ConditionSummary {
			from = rj
		}
		rows = append(rows, dpoRow{
			Prompt: promptOf(from.gen, conversational), Chosen: answerOf(ch.gen, conversational), Rejected: answerOf(rj.gen, conversational),
			User: l.User, PromptID: l.PromptID, SummaryID: l.SummaryID, SummaryVersion: l.SummaryVersion,
			ChosenBackend: ch.Backend, ChosenModel: ch.Model, ChosenCondition: ch.Condition,
			RejectedBackend: rj.Backend, RejectedModel: rj.Model, RejectedCondition: rj.Condition,
			PromptCondition: from.Condition, Annotator: l.Annotator, LabelID: l.ID,
		})
	}
	return rows, nil
}

func ktoRows(tx *bolt.Tx, l Label, conversational bool) ([]any, error) {
	verdicts := map[string]bool{} // pane → desirable
	switch {
	case len(l.Ranking) > 0:
		verdicts[l.Ranking[0]] = true
		verdicts[l.Ranking[len(l.Ranking)-1]] = false
	case l.Verdict == VerdictTie || l.Verdict == VerdictSkip:
		return nil, nil
	default:
		for _, c := range l.Candidates {
			verdicts[c.Pane] = c.Pane == l.Verdict // all false for both_bad
		}
	}
	cands, err := candidates(tx, l)
	if err != nil {
		return nil, err
	}
	var rows []any
	for _, c := range l.Candidates { // in pane order, for stable output
		good, ok := verdicts[c.Pane]
		if !ok {
			continue
		}
		g := cands[c.Pane].gen
		rows = append(rows, ktoRow{
			Prompt: promptOf(g, conversational), Completion: answerOf(g, conversational), Label: good,
			User: l.User, PromptID: l.PromptID, SummaryID: l.SummaryID, SummaryVersion: l.SummaryVersion,
			Backend: c.Backend, Model: c.Model, Condition: c.Condition, Annotator: l.Annotator, LabelID: l.ID,
		})
	}
	return rows, nil
}
