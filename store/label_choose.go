package store

import (
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"time"

	bolt "go.etcd.io/bbolt"
)

// CurrentDecision is a current decision as an export's Resolve sees it.
type CurrentDecision struct {
	Index     int    // among the labels, in storage order (Note's i)
	Note      uint64 // what Note returned for it
	DecidedAt time.Time
	Chosen    bool // set by Resolve: the export reads this decision
}

// chosenSet is a bit per label: whether the export reads it.
type chosenSet []uint64

func (c chosenSet) set(i int)      { c[i/64] |= 1 << (i % 64) }
func (c chosenSet) has(i int) bool { return c[i/64]&(1<<(i%64)) != 0 }

// chooseDecisions works out which labels an export reads: every label's
// head is read once (a chunk at a time) into an entry of a sorted run
// (labelRuns), the runs are merged an item at a time, and each item's
// current decisions that Note kept are given to Resolve. Memory holds a
// run of entries, one item, and a bit per label; the run files are removed
// however this returns.
func chooseDecisions(tx *bolt.Tx, scan DecisionScan, runSize int) (chosen chosenSet, err error) {
	runs := newLabelRuns(runSize)
	defer func() { err = errors.Join(err, runs.remove()) }()
	n, withdrawals, err := writeLabelRuns(tx, scan.Note, runs)
	if err != nil {
		return nil, err
	}
	runs.finish()
	var orphans map[hash128]bool
	if withdrawals { // a first pass, for those that name a decision of another item
		orphans = map[hash128]bool{}
		err := runs.eachGroup(func(g []labelEntry) error { orphansOf(g, orphans); return nil })
		if err != nil {
			return nil, err
		}
	}
	chosen = make(chosenSet, (n+63)/64)
	var pos []int
	var item []CurrentDecision
	err = runs.eachGroup(func(g []labelEntry) error {
		item = item[:0]
		pos = currentIn(g, orphans, pos[:0])
		for _, p := range pos {
			e := &g[p]
			if int(e.index) >= n {
				return fmt.Errorf("label runs: an entry names label %d of %d (a damaged file)", e.index, n)
			}
			if e.note != 0 {
				item = append(item, CurrentDecision{Index: int(e.index), Note: e.note,
					DecidedAt: time.Unix(e.sec, int64(e.nsec)), Chosen: scan.Resolve == nil})
			}
		}
		if len(item) > 0 && scan.Resolve != nil {
			scan.Resolve(item)
		}
		for _, d := range item {
			if d.Chosen {
				chosen.set(d.Index)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return chosen, nil
}

// writeLabelRuns reads every label's head into runs, shows each decision
// to note, and returns how many labels there are and whether any names a
// decision it takes back or amends.
func writeLabelRuns(tx *bolt.Tx, note func(int, *Decision) uint64, runs *labelRuns) (n int, withdrawals bool, err error) {
	var spillErr error
	err = eachLabelHead(tx, func(h *labelHead) {
		i := n
		n++
		if spillErr != nil || i > math.MaxUint32 {
			return
		}
		e, ok := entryOf(h, uint32(i))
		if !ok {
			return
		}
		if e.kind == markDecision {
			e.note = 1
			if note != nil {
				e.note = note(i, &h.Decision)
			}
		}
		withdrawals = withdrawals || e.target != (hash128{})
		spillErr = runs.add(e)
	})
	switch {
	case err != nil:
		return 0, false, err
	case spillErr != nil:
		return 0, false, spillErr
	case n > math.MaxUint32+1:
		return 0, false, fmt.Errorf("%d labels: an export reads at most %d", n, uint64(math.MaxUint32)+1)
	}
	return n, withdrawals, nil
}

// entryOf is label i's entry; ok is false for a label the rule can ignore
// (neither a decision nor naming one).
func entryOf(h *labelHead, i uint32) (e labelEntry, ok bool) {
	e = labelEntry{id: hashOf(h.ID), sec: h.DecidedAt.Unix(), nsec: int32(h.DecidedAt.Nanosecond()), index: i}
	switch h.Kind {
	case LabelDecision:
		e.kind, e.target = markDecision, hashOf(h.Amends)
	case LabelRetraction:
		e.kind, e.target = markRetraction, hashOf(h.Retracts)
	default: // a kind this version does not know: only what it amends counts
		e.kind, e.target = markOther, hashOf(h.Amends)
	}
	if e.kind != markDecision && e.target == (hash128{}) {
		return e, false
	}
	e.group = hashOf(h.User + "\x00" + h.PromptID + "\x00" + Comparison(h.Candidates))
	e.annotator = maphash.String(markSeeds[0], h.Annotator)
	return e, true
}
