package store

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Revisiting decisions: the list of one annotator's current decisions in
// one comparison, and replacing any of them (not only the last, which is
// all undo reaches) while keeping the old one on record as retracted.

// AnnotatorDecisions returns annotator's current decisions on items of
// comparison (Comparison of their candidates), newest first: by DecidedAt,
// then by storage order. Only those labels are decoded whole; the rest are
// read as heads, as the exports read them.
func (db *DB) AnnotatorDecisions(annotator, comparison string) ([]Label, error) {
	var out []Label
	err := db.bolt.View(func(tx *bolt.Tx) error {
		heads, err := labelHeads(tx)
		if err != nil {
			return err
		}
		b := tx.Bucket(bucketLabels)
		for _, i := range currentDecisions(heads) {
			h := &heads[i]
			if h.Annotator != annotator || Comparison(h.Candidates) != comparison {
				continue
			}
			var l Label
			if err := json.Unmarshal(b.Get(seqKey(h.seq)), &l); err != nil {
				return fmt.Errorf("label %d: %w", h.seq, err)
			}
			out = append(out, l)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("decisions of %q: %w", annotator, err)
	}
	// currentDecisions lists in storage order: reversed, then sorted
	// stably by time, newest first, the later stored of equal times first.
	slices.Reverse(out)
	slices.SortStableFunc(out, func(a, b Label) int { return b.DecidedAt.Compare(a.DecidedAt) })
	return out, nil
}

// ReplaceDecision takes old back and records l in its place: a retraction
// naming old and the decision l, appended in one transaction that is on
// disk (fsync'd) when it returns, so that there is never a moment with
// neither or both current. l must judge the same item as old (the same
// annotator, user, prompt and candidates) and carry no id; old must still
// be its item's current decision (a decision replaced or undone meanwhile,
// in another screen, is not replaced twice). It returns the retraction and
// l as stored.
func (db *DB) ReplaceDecision(old, l Label, appVersion string) (retraction, stored Label, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("replace decision %s: %w", old.ID, err)
		}
	}()
	switch {
	case old.ID == "" || old.Kind != LabelDecision:
		return Label{}, Label{}, fmt.Errorf("not a stored decision")
	case l.ID != "":
		return Label{}, Label{}, fmt.Errorf("the new decision already has id %s", l.ID)
	case l.ItemKey() != old.ItemKey():
		return Label{}, Label{}, fmt.Errorf("the new decision judges another item")
	}
	if l.DecidedAt.IsZero() {
		l.DecidedAt = time.Now().UTC()
	}
	if err := l.validate(); err != nil {
		return Label{}, Label{}, err
	}
	r := old.Retraction(l.DecidedAt, appVersion)
	r.ID, l.ID = newID(r.DecidedAt), newID(l.DecidedAt)
	rv, err := json.Marshal(r)
	if err != nil {
		return Label{}, Label{}, err
	}
	lv, err := json.Marshal(l)
	if err != nil {
		return Label{}, Label{}, err
	}
	err = db.bolt.Update(func(tx *bolt.Tx) error {
		current, err := isCurrent(tx, old)
		if err != nil {
			return err
		}
		if !current {
			return fmt.Errorf("it is no longer the current decision on %s · %s (changed meanwhile)", old.User, old.PromptID)
		}
		b := tx.Bucket(bucketLabels)
		for _, v := range [][]byte{rv, lv} {
			seq, err := b.NextSequence()
			if err != nil {
				return err
			}
			if err := b.Put(seqKey(seq), v); err != nil {
				return err
			}
			if err := noteLabel(tx, seq, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Label{}, Label{}, err
	}
	return r, l, nil
}
