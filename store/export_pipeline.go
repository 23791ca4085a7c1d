package store

import (
	"fmt"
	"runtime"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// Building a decision's rows is mostly decoding its answers and encoding
// the rows: JSON work that runs on every core. The export's transaction
// goroutine reads the records (a bbolt transaction belongs to one
// goroutine) and hands their bytes, valid while the transaction is open, to
// workers; the rows come back in the decisions' order.

// rowJob is one decision whose rows a worker builds.
type rowJob struct {
	index int
	head  *labelHead
	label []byte   // the label record, for the raw format
	gens  [][]byte // its answers, by candidate; nil for one not stored
}

// builtRows is what a worker made of a job: the encoded rows, each ending
// in a newline (ends marks where each ends), or why there are none.
type builtRows struct {
	index   int
	text    []byte
	ends    []int
	leftOut string
	err     error
}

// buildRowsInParallel builds the rows of every decision in heads, in
// parallel, and passes them to emit in the decisions' order, on one
// goroutine. It stops at the first error, from a worker or from emit.
func buildRowsInParallel(tx *bolt.Tx, heads []*labelHead, opt LabelExport, emit func(builtRows) error) error {
	workers := runtime.GOMAXPROCS(0)
	jobs := make(chan rowJob, 4*workers)
	results := make(chan builtRows, 4*workers)
	stop := make(chan struct{})
	var stopOnce sync.Once
	halt := func() { stopOnce.Do(func() { close(stop) }) }

	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for job := range jobs {
				var r builtRows
				// The job's bytes are pages of the database file: a damaged
				// one is an error naming it, as in the transaction's goroutine.
				func() {
					defer guard(tx.DB().Path(), &r.err)()
					r = buildRows(job, opt)
				}()
				r.index = job.index
				select {
				case results <- r:
				case <-stop:
				}
			}
		})
	}
	// The collector puts results back in order and emits them.
	collected := make(chan error, 1)
	go func() {
		pending := map[int]builtRows{}
		next := 0
		var err error
		for r := range results {
			if err != nil {
				continue // drain
			}
			pending[r.index] = r
			for {
				r, ok := pending[next]
				if !ok {
					break
				}
				delete(pending, next)
				next++
				if err = r.err; err == nil {
					err = emit(r)
				}
				if err != nil {
					halt()
					break
				}
			}
		}
		collected <- err
	}()

	gens, labels := tx.Bucket(bucketGenerations), tx.Bucket(bucketLabels)
produce:
	for i, h := range heads {
		job := rowJob{index: i, head: h}
		if opt.Format == LabelsRaw {
			job.label = labels.Get(seqKey(h.seq))
		} else {
			job.gens = make([][]byte, len(h.Candidates))
			for j, c := range h.Candidates {
				job.gens[j] = gens.Get([]byte(c.GenerationID))
			}
		}
		select {
		case jobs <- job:
		case <-stop:
			break produce
		}
	}
	close(jobs)
	wg.Wait()
	close(results)
	return <-collected
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
// it gives none.
func buildRows(job rowJob, opt LabelExport) builtRows {
	out := builtRows{index: job.index}
	h := job.head
	if opt.Format == LabelsRaw { // the record as stored
		// job.label is the memory map's: copied, never appended to.
		out.text = append(append(rowBuffer(len(job.label)+1), unescapeHTML(job.label)...), '\n')
		out.ends = []int{len(out.text)}
		return out
	}
	switch {
	case h.Verdict == VerdictTie:
		out.leftOut = LeftOutTie
		return out
	case h.Verdict == VerdictSkip:
		out.leftOut = LeftOutSkipped
		return out
	case h.Verdict == VerdictBothBad && opt.Format == LabelsDPO:
		out.leftOut = LeftOutAllBad
		return out
	}
	cands := make(map[string]judged, len(h.Candidates))
	for i, c := range h.Candidates {
		if job.gens[i] == nil {
			out.leftOut = LeftOutNoAnswer
			return out
		}
		a, err := readStoredAnswer(job.gens[i])
		if err != nil {
			out.err = fmt.Errorf("label %s: pane %s: generation %q: %w", h.ID, c.Pane, c.GenerationID, err)
			return out
		}
		if !a.hasPrompt() {
			out.leftOut = LeftOutNoPrompt
			return out
		}
		cands[c.Pane] = judged{c, a}
	}
	// Every row copies a prompt and one or two answers: room for all of
	// them per pair saves growing the buffer row by row.
	size := 512
	for _, g := range job.gens {
		size += len(g)
	}
	w := rowWriter{buf: rowBuffer(size * max(1, len(h.Candidates)-1))}
	if opt.Format == LabelsDPO {
		out.ends = w.dpoRows(h, cands, opt.Plain, nil)
	} else {
		out.ends = w.ktoRows(h, cands, opt.Plain, nil)
	}
	out.text = w.buf
	return out
}
