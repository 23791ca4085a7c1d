package trl

import (
	"errors"
	"fmt"
	"io"

	"github.com/popi-tui/popi-tui/store"
)

// SummarizerGRPO is the summarizer export's format (README: export
// summarizer): prompts for TRL's GRPOTrainer, whose extra columns reach
// the reward function.
const SummarizerGRPO = "grpo"

// SummarizerRender renders what the summarizer is sent for user u, as it
// would be now. An error wrapping store.ErrNoHistory (nothing it may see)
// leaves the user's pairs out, counted; any other stops the export.
type SummarizerRender func(u UserData) (Rendered, error)

// SummarizerExport configures ExportSummarizer.
type SummarizerExport struct {
	Format string // SummarizerGRPO
	// Plain writes the prompt as a string, with the system turn in a
	// column of its own; by default it is the message list.
	Plain  bool
	Render SummarizerRender
}

// SummarizerReport says what a summarizer export wrote and left out.
type SummarizerReport struct {
	Rows int `json:"rows"`
	// Pairs counts the held-out pairs; Users the users whose pairs gave
	// rows.
	Pairs int `json:"pairs"`
	Users int `json:"users"`
	// LeftOut counts held-out pairs that gave no row, by reason: a user
	// with no history the summarizer may see.
	LeftOut map[string]int `json:"left_out"`
}

// grpoRow is one GRPO row. prompt is what the policy (the summarizer)
// is prompted with; question, chosen and rejected are what the reward is
// computed on, always strings: they are never a turn of the summarizer's
// conversation, and a reward function builds the generator's prompt from
// them with the summary the policy wrote.
type grpoRow struct {
	Prompt      any     `json:"prompt"`
	Question    string  `json:"question"`
	Chosen      string  `json:"chosen"`
	Rejected    string  `json:"rejected"`
	System      *string `json:"system,omitempty"` // plain rows only
	User        string  `json:"user"`
	Dataset     string  `json:"dataset"`
	PromptID    string  `json:"prompt_id"`
	TemplateSet string  `json:"template_set"`
}

// ExportSummarizer writes the summarizer's training rows: one per
// held-out pair, whose prompt is what opt.Render says the summarizer is
// sent for the pair's user (rendered now, from the history it may see:
// never a held-out pair), and whose question, chosen and rejected are the
// pair, for the reward (POPI's: the generator's −DPO loss on the pair
// given the summary). Users are visited in id order. Every row has the
// same keys with the same JSON types, and none an empty prompt.
// Prompts are rendered and rows encoded on every core (UserSource).
func ExportSummarizer(users UserSource, w io.Writer, opt SummarizerExport) (SummarizerReport, error) {
	rep := SummarizerReport{LeftOut: map[string]int{LeftOutNoHistory: 0}}
	switch {
	case opt.Format != SummarizerGRPO:
		return rep, fmt.Errorf("unknown summarizer format %q (want grpo)", opt.Format)
	case opt.Render == nil:
		return rep, errors.New("summarizer export: no renderer")
	}
	out := newRowOutput(w, nil)
	build := func(u UserData) (userRows, error) { return grpoRows(u, opt) }
	heldout := func(k store.Kind, sp store.Split) bool { return k == store.KindPair && sp == store.SplitHeldout }
	err := users.scan(userScan{only: heldout}, build, func(r userRows) error {
		r.countInto(&rep.Rows, &rep.Pairs, &rep.Users, rep.LeftOut)
		return out.write(r.builtRows)
	})
	if err != nil {
		return rep, err
	}
	return rep, out.close()
}

// grpoRows renders and encodes the rows of one user's held-out pairs,
// all with the one summarizer prompt, on a worker.
func grpoRows(u UserData, opt SummarizerExport) (userRows, error) {
	var out userRows
	var pairs []store.Signal
	size := 0
	for _, s := range u.Signals {
		if s.Kind == store.KindPair && s.Split == store.SplitHeldout {
			pairs = append(pairs, s)
			size += len(s.Prompt) + len(s.Chosen) + len(s.Rejected)
		}
	}
	if len(pairs) == 0 {
		return out, nil
	}
	out.pairs = len(pairs)
	r, err := opt.Render(u)
	if errors.Is(err, store.ErrNoHistory) {
		out.noHistory = len(pairs)
		return out, nil
	}
	if err == nil {
		err = checkRendered(r)
	}
	if err != nil {
		return out, fmt.Errorf("user %q: %w", u.ID, err)
	}
	prompt, system := promptColumns(r.Messages, opt.Plain)
	promptSize := 0
	for _, m := range r.Messages {
		promptSize += len(m.Content)
	}
	enc := newRowEncoder(size + len(pairs)*(promptSize+512))
	for _, p := range pairs {
		row := grpoRow{Prompt: prompt, Question: p.Prompt, Chosen: p.Chosen, Rejected: p.Rejected, System: system,
			User: u.ID, Dataset: u.Dataset, PromptID: p.ID, TemplateSet: r.TemplateSet}
		if err := enc.write(row); err != nil {
			return out, err
		}
	}
	out.builtRows = enc.built()
	return out, nil
}
