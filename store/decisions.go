package store

import (
	"errors"
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
	// with its index among them (d is valid during the call only), and
	// returns a word the scan keeps with the decision for Resolve: what
	// Resolve decides on must be kept from here, in those 64 bits, for the
	// scan holds no heads. 0 leaves the decision out of the export (it
	// still counts for the rule: a newer one hides an older one). nil
	// keeps every decision, as 1.
	Note func(i int, d *Decision) uint64
	// Resolve is given the current decisions of one item that Note kept
	// (a user, prompt and comparison: every annotator's decision on it),
	// in storage order, and sets Chosen on those to read. It is called
	// once per item, the items in no particular order, on one goroutine.
	// nil reads them all.
	Resolve func(item []CurrentDecision)
	// Shuffle, when not nil, orders the chosen decisions (it is given how
	// many and a swap, as rand.Shuffle takes them); else they are read in
	// storage order. It costs 8 bytes per chosen decision.
	Shuffle func(n int, swap func(i, j int))
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
// Memory does not grow with the labels, but for a bit per label (and
// Shuffle's list): which decisions are current, and which of those an
// export writes, is worked out item by item from sorted runs of a small
// entry per label, spilled to a temporary directory (chooseDecisions);
// then the chosen decisions are read again. Building an export's rows is
// mostly JSON work, which runs on every core; the records are read by the
// transaction's goroutine (a bbolt transaction belongs to one goroutine),
// and their bytes are valid while it is open.
func ScanDecisions[R any](db *DB, scan DecisionScan, build func(StoredDecision) (R, error), emit func(R) error) error {
	return db.bolt.View(func(tx *bolt.Tx) error {
		chosen, err := chooseDecisions(tx, scan, labelRunSize)
		if err != nil {
			return choiceError(tx.DB().Path(), err)
		}
		produce := func(send func(StoredDecision) bool) error {
			return readChosen(tx, chosen, scan, send)
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

// choiceError names the database a label that could not be read is in
// (a DamagedError names it already, and a run file is named by its path).
func choiceError(path string, err error) error {
	var damaged *DamagedError
	if errors.As(err, &damaged) {
		return err
	}
	return fmt.Errorf("current decisions in %s: %w", path, err)
}

// readChosen reads the chosen decisions' records and sends them, in
// storage order, or in Shuffle's order when there is one.
func readChosen(tx *bolt.Tx, chosen chosenSet, scan DecisionScan, send func(StoredDecision) bool) error {
	labels, gens := tx.Bucket(bucketLabels), tx.Bucket(bucketGenerations)
	var seqs []uint64 // with Shuffle: the chosen, in storage order, then shuffled
	c := labels.Cursor()
	i := 0
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if i < len(chosen)*64 && chosen.has(i) {
			seq := decodeSeqKey(k)
			if scan.Shuffle != nil {
				seqs = append(seqs, seq)
			} else {
				d, err := readDecision(gens, seq, v, scan)
				if err != nil {
					return err
				}
				if !send(d) {
					return nil
				}
			}
		}
		i++
	}
	if scan.Shuffle == nil {
		return nil
	}
	scan.Shuffle(len(seqs), func(i, j int) { seqs[i], seqs[j] = seqs[j], seqs[i] })
	for _, seq := range seqs {
		v := labels.Get(seqKey(seq))
		if v == nil {
			return fmt.Errorf("label %d: %w", seq, ErrNotFound)
		}
		d, err := readDecision(gens, seq, v, scan)
		if err != nil {
			return err
		}
		if !send(d) {
			return nil
		}
	}
	return nil
}

// readDecision reads the records of the decision stored at seq, whose
// label record is raw. With answers to read, the head is decoded here, for
// the candidates' generation ids; else the worker decodes it.
func readDecision(gens *bolt.Bucket, seq uint64, raw []byte, scan DecisionScan) (StoredDecision, error) {
	d := StoredDecision{raw: raw, seq: seq}
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
