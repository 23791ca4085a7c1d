package trl

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"

	"github.com/popi-tui/popi-tui/store"
)

// Pair export formats (README: export pairs): the generator's training
// data, from the dataset's own preference pairs.
const (
	PairsDPO = "dpo" // TRL preference rows: prompt, chosen, rejected
	PairsKTO = "kto" // TRL unpaired rows: prompt, completion, label
)

// Which of a user's pairs the pairs export reads: store.SplitHeldout's
// and store.SplitHistory's spellings, or both.
const (
	PairsHeldout = "heldout"
	PairsHistory = "history"
	PairsAll     = "all"
)

// Why a pair gives no rows (PairReport.LeftOut, SummarizerReport.LeftOut;
// LeftOutNoHistory too).
const LeftOutNoSummary = "no_summary" // the summary condition, for a user without a summary

// GeneratorRender renders what a generator is sent for a pair's prompt
// under a condition, for user u (with u.Summary under the summary
// condition: ExportPairs leaves out users without one before asking). An
// error wrapping store.ErrNoHistory (the raw condition with nothing to
// show) leaves the pair out, counted; any other stops the export.
type GeneratorRender func(u UserData, condition string, pair store.Signal) (Rendered, error)

// PairExport configures ExportPairs.
type PairExport struct {
	Format    string // PairsDPO or PairsKTO
	Condition string // what the generator is given: store.ConditionSummary ("" too), ConditionRaw or ConditionNone
	Split     string // PairsHeldout ("" too), PairsHistory or PairsAll
	// Plain writes prompts and answers as strings, with the system turn
	// in a column of its own; by default they are message lists.
	Plain  bool
	Seed   uint64 // orders kto rows; 0 is DefaultExportSeed
	Render GeneratorRender
}

// PairReport says what a pairs export wrote and left out.
type PairReport struct {
	Rows int `json:"rows"`
	// Pairs counts the pairs of the split; Users the users whose pairs
	// gave rows.
	Pairs int `json:"pairs"`
	Users int `json:"users"`
	// LeftOut counts pairs that gave no rows, by reason: no summary under
	// the summary condition, no history to show under raw.
	LeftOut   map[string]int `json:"left_out"`
	Condition string         `json:"condition"`
	Split     string         `json:"split"`
	Seed      uint64         `json:"seed,omitempty"` // kto only
}

// pairColumns are the columns that say where a pairs row comes from.
// summary_id and summary_version name the summary in the prompt (empty
// under raw and none); template_set the wording.
type pairColumns struct {
	User           string `json:"user"`
	Dataset        string `json:"dataset"`
	PromptID       string `json:"prompt_id"`
	Split          string `json:"split"`
	Condition      string `json:"condition"`
	SummaryID      string `json:"summary_id"`
	SummaryVersion int    `json:"summary_version"`
	TemplateSet    string `json:"template_set"`
}

type pairDPORow struct {
	Prompt   any     `json:"prompt"`
	Chosen   any     `json:"chosen"`
	Rejected any     `json:"rejected"`
	System   *string `json:"system,omitempty"` // plain rows only
	pairColumns
}

type pairKTORow struct {
	Prompt     any     `json:"prompt"`
	Completion any     `json:"completion"`
	Label      bool    `json:"label"`
	System     *string `json:"system,omitempty"` // plain rows only
	pairColumns
}

func (o *PairExport) check() error {
	if o.Condition == "" {
		o.Condition = store.ConditionSummary
	}
	if o.Split == "" {
		o.Split = PairsHeldout
	}
	switch {
	case o.Format != PairsDPO && o.Format != PairsKTO:
		return fmt.Errorf("unknown pairs format %q (want dpo or kto)", o.Format)
	case !slices.Contains([]string{PairsHeldout, PairsHistory, PairsAll}, o.Split):
		return fmt.Errorf("unknown split %q (want heldout, history or all)", o.Split)
	case o.Render == nil:
		return errors.New("pairs export: no renderer")
	}
	return store.CheckCondition(o.Condition)
}

// ExportPairs writes the generator's training rows from the users' own
// preference pairs of a split: for dpo one row per pair (the pair's
// chosen over its rejected response), for kto two (chosen true, rejected
// false), shuffled with opt.Seed. The prompt is what opt.Render says the
// generator is sent for the pair's prompt under opt.Condition: with the
// user's current summary under summary, where a user without one is left
// out and counted.
//
// A history pair is rendered with the user's history without that pair,
// so that no prompt holds its own answer (the raw condition shows the
// history). Every row has the same keys with the same JSON types, and
// none an empty prompt.
//
// Users are read a page at a time and their rows rendered and encoded on
// every core (UserSource), in id order. kto visits them in a random order
// instead, as the labels export visits decisions (the shuffle buffer alone
// would leave the first users' rows near the start of a large file), but
// without holding every id: the pages of users in a seeded random order,
// each page's users shuffled too (store.UserScan.Shuffle), then every row
// through the shuffle buffer. The same seed over the same database writes
// the same file.
func ExportPairs(users UserSource, w io.Writer, opt PairExport) (PairReport, error) {
	rep := PairReport{LeftOut: map[string]int{LeftOutNoSummary: 0, LeftOutNoHistory: 0}}
	if err := opt.check(); err != nil {
		return rep, err
	}
	rep.Condition, rep.Split = opt.Condition, opt.Split
	scan := userScan{summary: opt.Condition == store.ConditionSummary,
		only: func(k store.Kind, sp store.Split) bool { return isPairOf(k, sp, opt.Split) }}
	var rng *rand.Rand
	if opt.Format == PairsKTO {
		rng, rep.Seed = ktoRNG(opt.Seed)
		scan.shuffle = ktoUserOrder(rep.Seed)
	}
	out := newRowOutput(w, rng)
	build := func(u UserData) (userRows, error) { return pairRows(u, opt) }
	err := users.scan(scan, build, func(r userRows) error {
		r.countInto(&rep.Rows, &rep.Pairs, &rep.Users, rep.LeftOut)
		return out.write(r.builtRows)
	})
	if err != nil {
		return rep, err
	}
	return rep, out.close()
}

// inSplit reports whether a signal is a pair the export reads.
func inSplit(s store.Signal, split string) bool { return isPairOf(s.Kind, s.Split, split) }

// isPairOf reports whether a signal of kind k and split sp is a pair of
// the split the export reads.
func isPairOf(k store.Kind, sp store.Split, split string) bool {
	return k == store.KindPair && (split == PairsAll || sp.String() == split)
}

// pairRows renders and encodes the rows of one user's pairs, on a
// worker.
func pairRows(u UserData, opt PairExport) (userRows, error) {
	var out userRows
	size := 0
	for _, s := range u.Signals {
		size += len(s.Prompt) + len(s.Chosen) + len(s.Rejected) + len(s.Text)
	}
	enc := newRowEncoder(2*size + len(u.Summary.Text) + 1024)
	for _, p := range u.Signals {
		if !inSplit(p, opt.Split) {
			continue
		}
		out.pairs++
		if opt.Condition == store.ConditionSummary && u.Summary.ID == "" {
			out.noSummary++
			continue
		}
		r, err := opt.Render(withoutSignal(u, p), opt.Condition, p)
		if errors.Is(err, store.ErrNoHistory) {
			out.noHistory++
			continue
		}
		if err == nil {
			err = checkRendered(r)
		}
		if err != nil {
			return out, fmt.Errorf("user %q, pair %q: %w", u.ID, p.ID, err)
		}
		if err := writePairRows(u, p, r, opt, enc); err != nil {
			return out, err
		}
	}
	out.builtRows = enc.built()
	return out, nil
}

// withoutSignal is u without the history pair p: what p's prompt is
// rendered with. A held-out pair is never in the history the templates
// see, so u is kept as it is for one.
func withoutSignal(u UserData, p store.Signal) UserData {
	if p.Split != store.SplitHistory {
		return u
	}
	u.Signals = slices.DeleteFunc(slices.Clone(u.Signals), func(s store.Signal) bool { return s.ID == p.ID })
	return u
}

// writePairRows encodes a pair's rows.
func writePairRows(u UserData, p store.Signal, r Rendered, opt PairExport, out *rowEncoder) error {
	prompt, system := promptColumns(r.Messages, opt.Plain)
	about := pairColumns{User: u.ID, Dataset: u.Dataset, PromptID: p.ID, Split: p.Split.String(),
		Condition: opt.Condition, TemplateSet: r.TemplateSet}
	if opt.Condition == store.ConditionSummary {
		about.SummaryID, about.SummaryVersion = u.Summary.ID, u.Summary.Version
	}
	if opt.Format == PairsDPO {
		return out.write(pairDPORow{Prompt: prompt, Chosen: answerColumn(p.Chosen, opt.Plain),
			Rejected: answerColumn(p.Rejected, opt.Plain), System: system, pairColumns: about})
	}
	for _, good := range []bool{true, false} {
		text := p.Chosen
		if !good {
			text = p.Rejected
		}
		if err := out.write(pairKTORow{Prompt: prompt, Completion: answerColumn(text, opt.Plain), Label: good,
			System: system, pairColumns: about}); err != nil {
			return err
		}
	}
	return nil
}
