package store

import (
	"fmt"
	"runtime"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// StoredDecision is a current decision with its records as stored: JSON
// bytes of the database's memory map, valid only during the call they are
// passed to (copy what is kept).
type StoredDecision struct {
	*Decision          // nil unless DecisionScan.Heads or Answers
	Record    []byte   // the label record, when DecisionScan.Records
	Answers   [][]byte // per candidate, its generation record (nil when not in the database), when DecisionScan.Answers
	raw       []byte   // the label record, to decode the head from on a worker
	seq       uint64
}

// DecisionScan says which current decisions ScanDecisions reads, and what
// of them.
type DecisionScan struct {
	// Note is given every decision as the labels are read, oldest first,
	// with its index among them (d is valid during the call only): what
	// Choose decides on must be kept from here, and kept small, for the
	// scan holds no heads.
	Note func(i int, d *Decision)
	// Choose is given the indexes (Note's) of the current decisions,
	// oldest first, and returns those to read, in the order to read them;
	// nil reads them all in that order.
	Choose  func(current []int) []int
	Records bool // read each decision's label record
	Answers bool // read the generation records of its candidates (and its head)
	Heads   bool // decode each decision's head (StoredDecision.Decision), on a worker
}

// ScanDecisions reads the current decisions (for each annotator and item,
// the newest decision neither taken back nor amended) from one snapshot,
// and passes each one chosen, with its records, to build. build runs on
// every core, guarded like a transaction (a damaged page is an error
// naming the file); emit gets what build returned, in the chosen order, on
// one goroutine. It stops at the first error from build or emit.
//
// Memory holds a mark of each label (labelMarks), never every head: the
// heads are read a chunk at a time to work out which decisions are
// current (and shown to Note), and read again for those chosen. Building
// an export's rows is mostly JSON work, which runs on every core; the
// records are read by the transaction's goroutine (a bbolt transaction
// belongs to one goroutine), and their bytes are valid while it is open.
func ScanDecisions[R any](db *DB, scan DecisionScan, build func(StoredDecision) (R, error), emit func(R) error) error {
	return db.bolt.View(func(tx *bolt.Tx) error {
		seqs, chosen, err := currentMarks(tx, scan.Note)
		if err != nil {
			return err
		}
		if scan.Choose != nil {
			chosen = scan.Choose(chosen)
		}
		labels, gens := tx.Bucket(bucketLabels), tx.Bucket(bucketGenerations)
		produce := func(send func(StoredDecision) bool) error {
			for _, i := range chosen {
				d, err := readDecision(labels, gens, seqs[i], scan)
				if err != nil {
					return err
				}
				if !send(d) {
					break
				}
			}
			return nil
		}
		decoded := func(d StoredDecision) (R, error) {
			if d.Decision == nil && scan.Heads { // the head was not needed to read the records
				var h labelHead
				if err := h.decode(d.raw); err != nil {
					var zero R
					return zero, fmt.Errorf("label %d: %w", d.seq, err)
				}
				d.Decision = &h.Decision
			}
			return build(d)
		}
		return inOrder(tx.DB().Path(), produce, decoded, emit)
	})
}

// currentMarks reads the head of every label (eachLabelHead), shows each
// decision to note (when not nil), and returns every label's storage
// order (seqs[i] is label i's) and the indexes of the current decisions,
// oldest first.
func currentMarks(tx *bolt.Tx, note func(int, *Decision)) (seqs []uint64, current []int, err error) {
	var m labelMarks
	err = eachLabelHead(tx, func(h *labelHead) {
		if note != nil && h.Kind == LabelDecision {
			note(len(seqs), &h.Decision)
		}
		m.add(h)
		seqs = append(seqs, h.seq)
	})
	if err != nil {
		return nil, nil, err
	}
	return seqs, m.current(), nil
}

// readDecision reads the records of the decision stored at seq. With
// answers to read, the head is decoded here, for the candidates'
// generation ids; else the worker decodes it.
func readDecision(labels, gens *bolt.Bucket, seq uint64, scan DecisionScan) (StoredDecision, error) {
	d := StoredDecision{raw: labels.Get(seqKey(seq)), seq: seq}
	if d.raw == nil {
		return d, fmt.Errorf("label %d: %w", seq, ErrNotFound)
	}
	if scan.Records {
		d.Record = d.raw
	}
	if !scan.Answers {
		return d, nil
	}
	var h labelHead
	if err := h.decode(d.raw); err != nil {
		return d, fmt.Errorf("label %d: %w", seq, err)
	}
	d.Decision = &h.Decision
	d.Answers = make([][]byte, len(d.Candidates))
	for j, c := range d.Candidates {
		d.Answers[j] = gens.Get([]byte(c.GenerationID))
	}
	return d, nil
}

// inOrder takes the jobs produce reads in the caller's goroutine (its
// send returns false once the export has stopped: produce then returns),
// builds them on every core (build, guarded against damaged pages of
// path), and passes the results to emit in the order produced, on one
// goroutine. An error from produce stops the export as one from emit does.
// Memory holds a few jobs per core, however many produce reads.
func inOrder[J, R any](path string, produce func(send func(J) bool) error, build func(J) (R, error), emit func(R) error) error {
	type job struct {
		index int
		j     J
	}
	workers := runtime.GOMAXPROCS(0)
	jobs := make(chan job, 4*workers)
	results := make(chan built[R], 4*workers)
	stop := make(chan struct{})
	var stopOnce sync.Once
	halt := func() { stopOnce.Do(func() { close(stop) }) }

	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for jb := range jobs {
				res := built[R]{index: jb.index}
				// The job's bytes are pages of the database file: a damaged
				// one is an error naming it, as in the transaction's goroutine.
				func() {
					defer guard(path, &res.err)()
					res.r, res.err = build(jb.j)
				}()
				select {
				case results <- res:
				case <-stop:
				}
			}
		})
	}
	collected := make(chan error, 1)
	go func() { collected <- collect(results, emit, halt) }()

	n := 0
	send := func(j J) bool {
		select {
		case jobs <- job{n, j}:
			n++
			return true
		case <-stop:
			return false
		}
	}
	produced := produce(send)
	close(jobs)
	wg.Wait()
	close(results)
	if err := <-collected; err != nil {
		return err
	}
	return produced
}

// built is what a worker of inOrder built of job index.
type built[R any] struct {
	index int
	r     R
	err   error
}

// collect puts inOrder's results back in order and emits them. At the
// first error (a build's or emit's) it halts the workers and drains the
// rest; it returns that error.
func collect[R any](results <-chan built[R], emit func(R) error, halt func()) error {
	pending := map[int]built[R]{}
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
				err = emit(r.r)
			}
			if err != nil {
				halt()
				break
			}
		}
	}
	return err
}
