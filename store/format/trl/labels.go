// Package trl writes the training files popi-tui exports: label decisions
// as TRL's preference (dpo) and unpaired (kto) rows or as stored (raw),
// and human-edited summaries as SFT or preference rows (README: export).
// It reads the database through the store's iterators (ScanDecisions,
// EachUserSummaries): a change to a trainer's format is made here, not in
// the database package.
package trl

import (
	"fmt"
	"io"
	"math/rand/v2"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/format/printsafe"
)

// Label export formats.
const (
	LabelsRaw = "raw" // the current label records as stored
	LabelsDPO = "dpo" // TRL preference rows: prompt, chosen, rejected
	LabelsKTO = "kto" // TRL unpaired rows: prompt, completion, label
)

// What to do with an item several annotators decided differently.
const (
	ResolveAll      = "all"      // export every annotator's decision (flagged in the report)
	ResolveMajority = "majority" // the decision more than half the annotators made; none without one
	ResolveNewest   = "newest"   // the newest decision
	ResolveDrop     = "drop"     // leave the item out
)

// DefaultExportSeed orders KTO rows when no seed is given.
const DefaultExportSeed = 1

// Why a decision gives no rows (ExportReport.LeftOut keys).
const (
	LeftOutTie      = "tie"
	LeftOutAllBad   = "all_bad"
	LeftOutSkipped  = "skipped"
	LeftOutNoPrompt = "no_prompt"      // an answer without the messages its generator was sent
	LeftOutNoAnswer = "missing_answer" // an answer the label names is not in the database
	LeftOutConflict = "conflicting_annotators"
)

// leftOutReasons lists every reason, so that a report always has them all.
var leftOutReasons = []string{LeftOutTie, LeftOutAllBad, LeftOutSkipped, LeftOutNoPrompt, LeftOutNoAnswer, LeftOutConflict}

// LabelExport configures ExportLabels.
type LabelExport struct {
	Format string
	// Plain writes prompts and answers as strings, with the system turn
	// in a column of its own, for tools that apply their own chat template.
	// By default they are {role, content} message lists, exactly as sent.
	Plain bool
	// Annotators chooses whose decisions are exported; empty for everyone's.
	Annotators []string
	// Resolve says what to do with an item several annotators decided
	// differently; "" is ResolveAll.
	Resolve string
	// Seed orders KTO rows; 0 is DefaultExportSeed.
	Seed uint64
}

// ExportReport says what an export wrote and what it left out.
type ExportReport struct {
	Rows int `json:"rows"`
	// Decisions counts the current decisions considered (of the annotators
	// asked for), Annotators the same per annotator.
	Decisions  int            `json:"decisions"`
	Annotators map[string]int `json:"annotators"`
	// LeftOut counts decisions that gave no rows, by reason; a conflict
	// counts each item left out once.
	LeftOut map[string]int `json:"left_out"`
	// ConflictingItems counts items that several annotators decided
	// differently (skips aside), however they were resolved.
	ConflictingItems int    `json:"conflicting_items"`
	Resolve          string `json:"resolve"`
	Seed             uint64 `json:"seed,omitempty"` // KTO only
}

func (o LabelExport) check() error {
	switch o.Format {
	case LabelsRaw, LabelsDPO, LabelsKTO:
	default:
		return fmt.Errorf("unknown label format %q (want raw, dpo or kto)", o.Format)
	}
	switch o.Resolve {
	case "", ResolveAll, ResolveMajority, ResolveNewest, ResolveDrop:
	default:
		return fmt.Errorf("unknown way to resolve annotators %q (want all, majority, newest or drop)", o.Resolve)
	}
	return nil
}

// ExportLabels writes the current decisions (retractions applied, the
// newest decision per annotator and item) as JSONL, streaming, and reports
// what it wrote and left out.
//
// dpo writes one row per decisive pair: a best-of-N verdict gives the
// winner over each other pane, a ranking of N its N(N-1)/2 ordered pairs;
// ties, all-bad and skips give none. kto writes one row per judged answer:
// the winner true and the others false; for a ranking, the first true and
// the last false; for all-bad, every answer false; ties and skips give
// none. Its rows are shuffled (see rowShuffler): TRL's KTO trainer pairs
// each row with its neighbour's completion to estimate its KL term.
//
// A decision whose rows cannot be completed (an answer missing, or one
// stored without the messages its generator was sent) gives none and is
// counted: no row has an empty prompt. Every row of a file has the same
// keys with the same JSON types.
func ExportLabels(db *store.DB, w io.Writer, opt LabelExport) (ExportReport, error) {
	rep := ExportReport{Annotators: map[string]int{}, LeftOut: map[string]int{}, Resolve: opt.Resolve}
	for _, r := range leftOutReasons {
		rep.LeftOut[r] = 0
	}
	if rep.Resolve == "" {
		rep.Resolve = ResolveAll
	}
	if err := opt.check(); err != nil {
		return rep, err
	}
	safe := printsafe.NewWriter(w)
	sel := selector{opt: opt, rep: &rep}
	scan := store.DecisionScan{Records: opt.Format == LabelsRaw, Answers: opt.Format != LabelsRaw,
		Note: sel.note, Resolve: sel.resolve}
	err := exportDecisions(db, safe, opt, &rep, scan)
	return rep, err
}

// exportDecisions writes the rows of the decisions scan chooses, through
// safe, counting them in rep. One read transaction for the whole export
// (ScanDecisions): a consistent snapshot.
func exportDecisions(db *store.DB, safe *printsafe.Writer, opt LabelExport, rep *ExportReport, scan store.DecisionScan) error {
	sink := labelSink{safe: safe, rep: rep}
	if opt.Format == LabelsKTO {
		rep.Seed = opt.Seed
		if rep.Seed == 0 {
			rep.Seed = DefaultExportSeed
		}
		rng := rand.New(rand.NewPCG(rep.Seed, 0x706f7069)) // "popi"
		// The decisions are visited in a random order (rng.Shuffle of the
		// chosen, in storage order), then their rows pass the buffer.
		scan.Shuffle = rng.Shuffle
		sink.shuffle = newRowShuffler(rng, safe, shuffleBuffer)
	}
	build := func(d store.StoredDecision) (builtRows, error) { return buildRows(d, opt) }
	if err := store.ScanDecisions(db, scan, build, sink.emit); err != nil {
		return err
	}
	return sink.close()
}

// labelSink writes the rows built of each decision, in the order they
// come, or through the shuffle buffer (kto), and counts them.
type labelSink struct {
	safe    *printsafe.Writer
	shuffle *rowShuffler // nil but for kto
	rep     *ExportReport
}

func (s *labelSink) emit(r builtRows) error {
	if r.leftOut != "" {
		s.rep.LeftOut[r.leftOut]++
		return nil
	}
	s.rep.Rows += len(r.ends)
	if s.shuffle == nil {
		_, err := s.safe.Write(r.text)
		recycleRows(r.text)
		return err
	}
	start := 0
	for _, end := range r.ends {
		if err := s.shuffle.add(r.text[start:end]); err != nil {
			return err
		}
		start = end
	}
	recycleRows(r.text)
	return nil
}

// close writes what the shuffle buffer holds, and what safe holds back.
func (s *labelSink) close() error {
	if s.shuffle != nil {
		if err := s.shuffle.flush(); err != nil {
			return err
		}
	}
	return s.safe.Close()
}

// rowShuffler writes rows in a random order through a buffer of
// shuffleBuffer rows: once the buffer is full each new row takes the place
// of a random one, which is written. With the decisions themselves visited
// in a random order, a row's neighbours are rows of random other
// decisions, and memory holds the buffer, not the export.
type rowShuffler struct {
	rng  *rand.Rand
	w    io.Writer
	size int
	rows [][]byte
}

// shuffleBuffer is how many rows the KTO export shuffles at once: with a
// few kilobytes a row, tens of megabytes.
const shuffleBuffer = 8192

func newRowShuffler(rng *rand.Rand, w io.Writer, size int) *rowShuffler {
	return &rowShuffler{rng: rng, w: w, size: size}
}

// add takes a row (a copy: the caller's buffer is free again). Each of
// the buffer's slots keeps its memory from row to row.
func (s *rowShuffler) add(row []byte) error {
	if len(s.rows) < s.size {
		s.rows = append(s.rows, append([]byte(nil), row...))
		return nil
	}
	i := s.rng.IntN(len(s.rows))
	if _, err := s.w.Write(s.rows[i]); err != nil {
		return err
	}
	s.rows[i] = append(s.rows[i][:0], row...)
	return nil
}

func (s *rowShuffler) flush() error {
	s.rng.Shuffle(len(s.rows), func(i, j int) { s.rows[i], s.rows[j] = s.rows[j], s.rows[i] })
	for _, r := range s.rows {
		if _, err := s.w.Write(r); err != nil {
			return err
		}
	}
	s.rows = nil
	return nil
}
