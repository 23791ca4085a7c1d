package trl

import (
	"fmt"
	"sync"

	"github.com/popi-tui/popi-tui/store"
)

// builtRows is what buildRows made of a decision: the encoded rows, each
// ending in a newline (ends marks where each ends), or why there are none.
type builtRows struct {
	text    []byte
	ends    []int
	leftOut string
}

// rowBuffers recycles the buffers of rows once written (or copied into the
// shuffle buffer), so that an export of hundreds of megabytes does not
// make as much garbage.
var rowBuffers sync.Pool

// rowBuffer is an empty buffer with room for size bytes.
func rowBuffer(size int) []byte {
	if b, ok := rowBuffers.Get().(*[]byte); ok && cap(*b) >= size {
		return (*b)[:0]
	}
	return make([]byte, 0, size)
}

// recycleRows gives a written buffer back.
func recycleRows(b []byte) { rowBuffers.Put(&b) }

// buildRows writes one decision's rows in the chosen format, or says why
// it gives none. It runs on every core (store.ScanDecisions); d's bytes
// are the database's and are copied, never kept.
func buildRows(d store.StoredDecision, opt LabelExport) (builtRows, error) {
	var out builtRows
	if opt.Format == LabelsRaw { // the record as stored
		out.text = append(append(rowBuffer(len(d.Record)+1), unescapeHTML(d.Record)...), '\n')
		out.ends = []int{len(out.text)}
		return out, nil
	}
	switch {
	case d.Verdict == store.VerdictTie:
		out.leftOut = LeftOutTie
		return out, nil
	case d.Verdict == store.VerdictSkip:
		out.leftOut = LeftOutSkipped
		return out, nil
	case d.Verdict == store.VerdictBothBad && opt.Format == LabelsDPO:
		out.leftOut = LeftOutAllBad
		return out, nil
	}
	cands := make(map[string]judged, len(d.Candidates))
	for i, c := range d.Candidates {
		if d.Answers[i] == nil {
			out.leftOut = LeftOutNoAnswer
			return out, nil
		}
		a, err := readStoredAnswer(d.Answers[i])
		if err != nil {
			return out, fmt.Errorf("label %s: pane %s: generation %q: %w", d.ID, c.Pane, c.GenerationID, err)
		}
		if !a.hasPrompt() {
			out.leftOut = LeftOutNoPrompt
			return out, nil
		}
		cands[c.Pane] = judged{c, a}
	}
	// Every row copies a prompt and one or two answers: room for all of
	// them per pair saves growing the buffer row by row.
	size := 512
	for _, g := range d.Answers {
		size += len(g)
	}
	w := rowWriter{buf: rowBuffer(size * max(1, len(d.Candidates)-1))}
	if opt.Format == LabelsDPO {
		out.ends = w.dpoRows(d.Decision, cands, opt.Plain, nil)
	} else {
		out.ends = w.ktoRows(d.Decision, cands, opt.Plain, nil)
	}
	out.text = w.buf
	return out, nil
}
