package store

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// AnnotatorLabels calls fn, oldest first, for an annotator's decisions in
// one comparison and every retraction of theirs, each whole, saying
// whether it is a current decision: what a labeling screen needs to
// resume a queue and count its skips. Every label is read as far as its
// head (the scanner, on every core, a chunk at a time) to work out which
// decisions are current; only the annotator's are decoded whole. Reading
// every label whole (CurrentLabels, EachLabel) took seconds a hundred
// thousand labels, and the screen did it twice.
func (db *DB) AnnotatorLabels(annotator, comparison string, fn func(l Label, current bool) error) error {
	return db.bolt.View(func(tx *bolt.Tx) error {
		var (
			marks labelMarks
			mine  []int    // label indexes
			seqs  []uint64 // of mine
		)
		err := eachLabelHead(tx, func(h *labelHead) {
			if h.Annotator == annotator && (h.Kind == LabelRetraction || (h.Kind == LabelDecision && Comparison(h.Candidates) == comparison)) {
				mine, seqs = append(mine, len(marks.marks)), append(seqs, h.seq)
			}
			marks.add(h)
		})
		if err != nil {
			return err
		}
		current := marks.current() // ascending, as mine
		labels := tx.Bucket(bucketLabels)
		for j, i := range mine {
			for len(current) > 0 && current[0] < i {
				current = current[1:]
			}
			var l Label
			if err := json.Unmarshal(labels.Get(seqKey(seqs[j])), &l); err != nil {
				return fmt.Errorf("label %d: %w", seqs[j], err)
			}
			if err := fn(l, len(current) > 0 && current[0] == i); err != nil {
				return err
			}
		}
		return nil
	})
}
