package trl

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/format/printsafe"
)

// Summary export formats (README: export summaries).
const (
	SummariesSFT   = "sft"   // summarizer input → the latest human-edited summary
	SummariesPairs = "pairs" // the human summary preferred over the one it replaced
)

// SummarizerInput builds the messages the summarizer is sent for a user,
// from the user's signals. The engine owns the wording (its template
// sets); the export calls it so that each human summary is paired with
// exactly that input. It returns an error wrapping store.ErrNoHistory for
// a user with nothing to summarize.
type SummarizerInput func(user string, signals []store.Signal) ([]store.Message, error)

// SummaryExport configures ExportSummaries.
type SummaryExport struct {
	Format string
	// Conversational writes the prompt as the {role, content} messages the
	// summarizer was sent and the summaries as one-message assistant lists
	// (TRL's conversational format); by default they are strings, with the
	// system turn in a column of its own.
	Conversational bool
	// Input rebuilds the summarizer's input for a human summary that no
	// model summary it descends from stored one (written from scratch, or
	// edited from the heuristic baseline's).
	Input SummarizerInput
}

// SummaryReport says what a summary export wrote and left out.
type SummaryReport struct {
	Rows int `json:"rows"`
	// Users counts the users with a human-written version (up to their
	// current one).
	Users int `json:"users"`
	// RebuiltPrompts counts rows whose prompt was rebuilt (Input), not
	// the input stored with a model summary.
	RebuiltPrompts int `json:"rebuilt_prompts"`
	// LeftOut counts users by reason: no history to build an input from,
	// or (pairs) no machine-written version the human one replaced.
	LeftOut map[string]int `json:"left_out"`
	// Decisions counts the current decisions between summaries (pairs:
	// every annotator's), DecisionRows the rows they gave (counted in
	// Rows too) and DecisionsLeftOut those that gave none, by reason.
	Decisions        int            `json:"decisions"`
	DecisionRows     int            `json:"decision_rows"`
	DecisionsLeftOut map[string]int `json:"decisions_left_out"`
}

// Why a user's human summary gives no row.
const (
	LeftOutNoHistory       = "no_history"
	LeftOutNothingReplaced = "no_machine_summary_replaced"
)

// Where a summary row's prompt comes from (its prompt_source column).
const (
	PromptStored  = "stored"  // the input stored with the model summary the human one descends from
	PromptRebuilt = "rebuilt" // built now from the user's history: no model input was stored
)

type sftRow struct {
	Prompt         any     `json:"prompt"`
	Completion     any     `json:"completion"`
	System         *string `json:"system,omitempty"` // plain rows only
	User           string  `json:"user"`
	SummaryID      string  `json:"summary_id"`
	SummaryVersion int     `json:"summary_version"`
	PromptSource   string  `json:"prompt_source"`
	PromptSummary  string  `json:"prompt_summary_id"` // whose stored input the prompt is; "" when rebuilt
}

type summaryPairRow struct {
	Prompt            any     `json:"prompt"`
	Chosen            any     `json:"chosen"`
	Rejected          any     `json:"rejected"`
	System            *string `json:"system,omitempty"` // plain rows only
	User              string  `json:"user"`
	ChosenSummaryID   string  `json:"chosen_summary_id"`
	ChosenVersion     int     `json:"chosen_version"`
	RejectedSummaryID string  `json:"rejected_summary_id"`
	RejectedVersion   int     `json:"rejected_version"`
	RejectedSource    string  `json:"rejected_source"`
	PromptSource      string  `json:"prompt_source"`
	PromptSummary     string  `json:"prompt_summary_id"`
}

// ExportSummaries writes, for every user with a human-written summary
// version, one JSONL row built from the latest such version (up to the
// current one; see summaryRow): for sft the summarizer's input and that
// summary; for pairs that summary (chosen) over the machine-written version
// it descends from through its parents (rejected), when there is one.
//
// The prompt is what the summarizer was sent: the input stored with the
// nearest model summary the human version descends from. Only when none
// stored one is it rebuilt with opt.Input, and the row says so.
func ExportSummaries(db *store.DB, w io.Writer, opt SummaryExport) (SummaryReport, error) {
	rep := newSummaryReport(opt.Format)
	switch opt.Format {
	case SummariesSFT, SummariesPairs:
	default:
		return rep, fmt.Errorf("unknown summary format %q (want sft or pairs)", opt.Format)
	}
	safe := printsafe.NewWriter(w)
	// Each user's rows are built on a worker (store.ScanUserSummaries,
	// which reads only the users with a person's version or decisions
	// between summaries: summaryRow and judgedRows give nothing, and count
	// nothing, for the others), with a report of their own that emit adds
	// up, in id order.
	build := func(u store.UserSummaries) (userSummaryRows, error) {
		r := userSummaryRows{rep: newSummaryReport(opt.Format)}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		row, err := summaryRow(u, opt, &r.rep)
		if err != nil {
			return r, err
		}
		if row != nil {
			r.rep.Rows++
			if err := enc.Encode(row); err != nil {
				return r, err
			}
		}
		// A user's judged pairs follow the pair of their edit.
		err = judgedRows(u, opt, &r.rep, enc)
		r.text = buf.Bytes()
		return r, err
	}
	err := store.ScanUserSummaries(db, opt.Format == SummariesPairs, build, func(r userSummaryRows) error {
		rep.add(r.rep)
		_, err := safe.Write(r.text)
		return err
	})
	if err == nil {
		err = safe.Close()
	}
	return rep, err
}

// userSummaryRows is what one user's summaries gave: rows, and the report
// of them.
type userSummaryRows struct {
	text []byte
	rep  SummaryReport
}

// newSummaryReport is a report with every reason of format counted, at 0.
func newSummaryReport(format string) SummaryReport {
	rep := SummaryReport{LeftOut: map[string]int{LeftOutNoHistory: 0}, DecisionsLeftOut: map[string]int{}}
	if format == SummariesPairs {
		rep.LeftOut[LeftOutNothingReplaced] = 0
		for _, r := range decisionLeftOutReasons {
			rep.DecisionsLeftOut[r] = 0
		}
	}
	return rep
}

// add counts o in rep.
func (rep *SummaryReport) add(o SummaryReport) {
	rep.Rows += o.Rows
	rep.Users += o.Users
	rep.RebuiltPrompts += o.RebuiltPrompts
	rep.Decisions += o.Decisions
	rep.DecisionRows += o.DecisionRows
	for k, n := range o.LeftOut {
		rep.LeftOut[k] += n
	}
	for k, n := range o.DecisionsLeftOut {
		rep.DecisionsLeftOut[k] += n
	}
}

// summaryRow builds the row of one user, whose versions are given oldest
// first, or nil when the user has nothing to export. The row comes from
// the newest human version up to the current one (versions a merge added
// after it are not this database's choice); for pairs, from the newest
// such version that replaced a machine-written one.
func summaryRow(u store.UserSummaries, opt SummaryExport, rep *SummaryReport) (any, error) {
	versions := u.Versions
	byVersion := make(map[int]store.Summary, len(versions))
	for _, v := range versions {
		byVersion[v.Version] = v
	}
	var human, replaced store.Summary
	hasHuman, found := false, false
	for i := len(versions) - 1; i >= 0 && !found; i-- {
		v := versions[i]
		if v.Version > u.Current || v.Source != store.SourceHuman {
			continue
		}
		hasHuman = true
		human = v
		found = opt.Format == SummariesSFT
		if opt.Format == SummariesPairs {
			var ok bool
			replaced, ok = store.MachineAncestor(v, byVersion)
			found = ok && replaced.Text != v.Text
		}
	}
	if !hasHuman {
		return nil, nil
	}
	rep.Users++
	if !found {
		rep.LeftOut[LeftOutNothingReplaced]++
		return nil, nil
	}
	msgs, from, err := summarizerPrompt(u, human, byVersion, opt.Input)
	if errors.Is(err, store.ErrNoHistory) {
		rep.LeftOut[LeftOutNoHistory]++
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	source := PromptStored
	if from.ID == "" {
		source = PromptRebuilt
		rep.RebuiltPrompts++
	}
	plain := !opt.Conversational
	prompt, system := promptColumns(msgs, plain)
	answer := func(text string) any {
		if plain {
			return text
		}
		return []store.Message{{Role: "assistant", Content: text}}
	}
	if opt.Format == SummariesSFT {
		return sftRow{Prompt: prompt, Completion: answer(human.Text), System: system, User: human.User,
			SummaryID: human.ID, SummaryVersion: human.Version, PromptSource: source, PromptSummary: from.ID}, nil
	}
	return summaryPairRow{Prompt: prompt, Chosen: answer(human.Text), Rejected: answer(replaced.Text), System: system,
		User: human.User, ChosenSummaryID: human.ID, ChosenVersion: human.Version,
		RejectedSummaryID: replaced.ID, RejectedVersion: replaced.Version, RejectedSource: replaced.Source,
		PromptSource: source, PromptSummary: from.ID}, nil
}

// promptColumns is what a row's prompt columns hold for the messages a
// model was sent: the message list itself, or with plain the non-system
// turns as one string and the system turn apart ("" when none was sent).
func promptColumns(msgs []store.Message, plain bool) (prompt any, system *string) {
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

// summarizerPrompt is the input a human summary answers: the messages
// stored with the nearest version it descends from that stored any (a
// model summary), and that version; or, when none did, the input rebuilt
// from the user's history, and a zero Summary.
func summarizerPrompt(u store.UserSummaries, v store.Summary, byVersion map[int]store.Summary, rebuild SummarizerInput) ([]store.Message, store.Summary, error) {
	if msgs, from, ok := storedInput(v, byVersion); ok {
		return msgs, from, nil
	}
	return rebuiltInput(u, rebuild)
}

// storedInput is the input stored with the nearest version v descends
// from (itself included) that stored any, and that version.
func storedInput(v store.Summary, byVersion map[int]store.Summary) ([]store.Message, store.Summary, bool) {
	for steps := 0; steps <= len(byVersion); steps++ { // parents are older: no cycles, but be sure
		if msgs := v.InputMessages(); msgs != nil {
			return msgs, v, true
		}
		p, ok := byVersion[v.Parent]
		if v.Parent == 0 || !ok {
			break
		}
		v = p
	}
	return nil, store.Summary{}, false
}

// rebuiltInput is the summarizer's input built now from the user's
// history, and a zero Summary (no stored input is its source).
func rebuiltInput(u store.UserSummaries, rebuild SummarizerInput) ([]store.Message, store.Summary, error) {
	v := store.Summary{User: u.User}
	signals, err := u.Signals()
	if err != nil {
		return nil, store.Summary{}, err
	}
	msgs, err := rebuild(v.User, signals)
	if err != nil {
		if errors.Is(err, store.ErrNoHistory) {
			return nil, store.Summary{}, err
		}
		return nil, store.Summary{}, fmt.Errorf("summarizer input for %q: %w", v.User, err)
	}
	return msgs, store.Summary{}, nil
}
