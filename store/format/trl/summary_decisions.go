package trl

// The summarizer's preference pairs made by people judging summaries side
// by side (--compare summaries), written by the summaries pairs export
// beside the pairs made by edits, with the same columns.

import (
	"encoding/json"
	"errors"

	"github.com/popi-tui/popi-tui/store"
)

// LeftOutNoSummaryText is a decision naming a summary that is not in the
// database (a label merged in without it).
const LeftOutNoSummaryText = "missing_summary"

// decisionLeftOutReasons lists why a decision between summaries can give
// no rows, so that a report always has them all.
var decisionLeftOutReasons = []string{LeftOutTie, LeftOutAllBad, LeftOutSkipped, LeftOutNoSummaryText, LeftOutNoHistory}

// judgedRows writes the preference rows of a user's current decisions
// between summaries (pairs only): a best-of-N verdict gives the winner
// over each other summary, a ranking its ordered pairs; ties, all-bad and
// skips give none, and are counted.
func judgedRows(u store.UserSummaries, opt SummaryExport, rep *SummaryReport, enc *json.Encoder) error {
	if opt.Format != SummariesPairs || len(u.Decisions) == 0 {
		return nil
	}
	byVersion := make(map[int]store.Summary, len(u.Versions))
	byID := make(map[string]store.Summary, len(u.Versions))
	for _, v := range u.Versions {
		byVersion[v.Version], byID[v.ID] = v, v
	}
	in := judgedInput{u: u, byVersion: byVersion, rebuild: opt.Input}
	for _, d := range u.Decisions {
		rep.Decisions++
		rows, leftOut, err := decisionRows(d, byID, &in, !opt.Conversational)
		if err != nil {
			return err
		}
		if leftOut != "" {
			rep.DecisionsLeftOut[leftOut]++
			continue
		}
		for _, r := range rows {
			if r.PromptSource == PromptRebuilt {
				rep.RebuiltPrompts++
			}
			rep.Rows++
			rep.DecisionRows++
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
	}
	return nil
}

// decisionRows builds one decision's rows, or says why it gives none.
func decisionRows(d *store.Decision, byID map[string]store.Summary, in *judgedInput, plain bool) ([]summaryPairRow, string, error) {
	switch d.Verdict {
	case store.VerdictTie:
		return nil, LeftOutTie, nil
	case store.VerdictBothBad:
		return nil, LeftOutAllBad, nil
	case store.VerdictSkip:
		return nil, LeftOutSkipped, nil
	}
	byPane := make(map[string]store.Summary, len(d.Candidates))
	for _, c := range d.Candidates {
		s, ok := byID[c.SummaryID]
		if !ok {
			return nil, LeftOutNoSummaryText, nil
		}
		byPane[c.Pane] = s
	}
	var rows []summaryPairRow
	for _, p := range orderedPairs(d) {
		chosen, rejected := byPane[p[0]], byPane[p[1]]
		msgs, from, err := in.prompt(chosen, rejected)
		if errors.Is(err, store.ErrNoHistory) {
			return nil, LeftOutNoHistory, nil
		}
		if err != nil {
			return nil, "", err
		}
		source := PromptStored
		if from.ID == "" {
			source = PromptRebuilt
		}
		prompt, system := promptColumns(msgs, plain)
		rows = append(rows, summaryPairRow{Prompt: prompt, Chosen: summaryAnswer(chosen.Text, plain),
			Rejected: summaryAnswer(rejected.Text, plain), System: system, User: chosen.User,
			ChosenSummaryID: chosen.ID, ChosenVersion: chosen.Version,
			RejectedSummaryID: rejected.ID, RejectedVersion: rejected.Version, RejectedSource: rejected.Source,
			PromptSource: source, PromptSummary: from.ID})
	}
	return rows, "", nil
}

// summaryAnswer is a summary column: the text, or a one-message assistant
// list.
func summaryAnswer(text string, plain bool) any {
	if plain {
		return text
	}
	return []store.Message{{Role: "assistant", Content: text}}
}

// judgedInput finds the prompt of a judged pair, rebuilding a user's
// input at most once.
type judgedInput struct {
	u         store.UserSummaries
	byVersion map[int]store.Summary
	rebuild   SummarizerInput
	rebuilt   []store.Message
	err       error
	done      bool
}

// prompt is what the summarizer was sent: the input stored with the
// chosen summary (or the model version it descends from), else with the
// rejected one, else, when neither stored any (a person's and the
// heuristic's), the input built now from the user's history. The second
// result names the summary whose input it is (zero when rebuilt).
func (in *judgedInput) prompt(chosen, rejected store.Summary) ([]store.Message, store.Summary, error) {
	for _, s := range []store.Summary{chosen, rejected} {
		if msgs, from, ok := storedInput(s, in.byVersion); ok {
			return msgs, from, nil
		}
	}
	if !in.done {
		in.rebuilt, _, in.err = rebuiltInput(in.u, in.rebuild)
		in.done = true
	}
	return in.rebuilt, store.Summary{}, in.err
}
