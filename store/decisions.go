package store

import (
	"runtime"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// StoredDecision is a current decision with its records as stored: JSON
// bytes of the database's memory map, valid only during the call they are
// passed to (copy what is kept).
type StoredDecision struct {
	*Decision
	Record  []byte   // the label record, when DecisionScan.Records
	Answers [][]byte // per candidate, its generation record (nil when not in the database), when DecisionScan.Answers
}

// DecisionScan says which current decisions ScanDecisions reads, and what
// of them.
type DecisionScan struct {
	// Choose is given the current decisions, oldest first, and returns
	// the indexes of those to read, in the order to read them; nil reads
	// them all in that order.
	Choose  func(current []*Decision) []int
	Records bool // read each decision's label record
	Answers bool // read the generation records of its candidates
}

// ScanDecisions reads the current decisions (for each annotator and item,
// the newest decision neither taken back nor amended) from one snapshot,
// and passes each one chosen, with its records, to build. build runs on
// every core, guarded like a transaction (a damaged page is an error
// naming the file); emit gets what build returned, in the chosen order, on
// one goroutine. It stops at the first error from build or emit.
//
// Building an export's rows is mostly JSON work, which runs on every
// core; the records are read by the transaction's goroutine (a bbolt
// transaction belongs to one goroutine), and their bytes are valid while
// it is open.
func ScanDecisions[R any](db *DB, scan DecisionScan, build func(StoredDecision) (R, error), emit func(R) error) error {
	return db.bolt.View(func(tx *bolt.Tx) error {
		heads, err := labelHeads(tx)
		if err != nil {
			return err
		}
		cur := currentDecisions(heads)
		current := make([]*Decision, len(cur))
		for i, h := range cur {
			current[i] = &heads[h].Decision
		}
		chosen := make([]int, len(cur))
		if scan.Choose != nil {
			chosen = scan.Choose(current)
		} else {
			for i := range chosen {
				chosen[i] = i
			}
		}
		labels, gens := tx.Bucket(bucketLabels), tx.Bucket(bucketGenerations)
		read := func(i int) StoredDecision {
			d := StoredDecision{Decision: current[i]}
			if scan.Records {
				d.Record = labels.Get(seqKey(heads[cur[i]].seq))
			}
			if scan.Answers {
				d.Answers = make([][]byte, len(d.Candidates))
				for j, c := range d.Candidates {
					d.Answers[j] = gens.Get([]byte(c.GenerationID))
				}
			}
			return d
		}
		produce := func(send func(StoredDecision) bool) error {
			for _, i := range chosen {
				if !send(read(i)) {
					break
				}
			}
			return nil
		}
		return inOrder(tx.DB().Path(), produce, build, emit)
	})
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
	type result struct {
		index int
		r     R
		err   error
	}
	workers := runtime.GOMAXPROCS(0)
	jobs := make(chan job, 4*workers)
	results := make(chan result, 4*workers)
	stop := make(chan struct{})
	var stopOnce sync.Once
	halt := func() { stopOnce.Do(func() { close(stop) }) }

	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for jb := range jobs {
				res := result{index: jb.index}
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
	// The collector puts results back in order and emits them.
	collected := make(chan error, 1)
	go func() {
		pending := map[int]result{}
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
		collected <- err
	}()

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
