package store

import (
	"bytes"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// The summaries export writes rows for few users: those with a version a
// person wrote, and those with decisions between summaries. At a million
// users with a model's summary each, finding them by reading every
// summary and every label costs more than writing their rows, so two
// buckets list them, kept with the records they point at (in the same
// transaction, by every writer: addSummary, a merge, AddLabel, Revisit)
// and lifted from the records once by migrateSummaryIndex.
var (
	bucketHumanSummaries = []byte("human_summaries") // user → nothing: the user has a version a person wrote
	bucketSummaryLabels  = []byte("summary_labels")  // label seq → nothing: the label judges summaries
)

// noteHumanSummary lists the user of s when a person wrote it.
func noteHumanSummary(tx *bolt.Tx, s *Summary) error {
	if s.Source != SourceHuman {
		return nil
	}
	return tx.Bucket(bucketHumanSummaries).Put([]byte(s.User), nil)
}

// noteSummaryLabel lists the label stored at seq when it judges
// summaries. A retraction without candidates names its item only through
// the decision it takes back, which may be one between summaries: it is
// listed too (Label.Retraction carries the candidates, so these are
// records written by hand, and few).
func noteSummaryLabel(tx *bolt.Tx, seq uint64, kind string, cands []Candidate) error {
	if !judgesSummaries(cands) && (kind != LabelRetraction || len(cands) > 0) {
		return nil
	}
	return tx.Bucket(bucketSummaryLabels).Put(seqKey(seq), nil)
}

// migrateSummaryIndex (schema 6 → 7): the users with a person's version
// and the labels judging summaries are listed, from the records.
func migrateSummaryIndex(tx *bolt.Tx) error {
	for _, name := range [][]byte{bucketHumanSummaries, bucketSummaryLabels} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	err := tx.Bucket(bucketSummaries).ForEach(func(k, v []byte) error {
		// encoding/json writes the member this way; a record without it
		// is not a person's, and most are not, so few are decoded.
		if !bytes.Contains(v, []byte(`"source":"human"`)) {
			return nil
		}
		var s Summary
		if err := decodeSummary(v, &s); err != nil {
			return fmt.Errorf("summary %q: %w", k, err)
		}
		return noteHumanSummary(tx, &s)
	})
	if err != nil {
		return err
	}
	var seqs []uint64 // bbolt forbids writing while eachLabelHead reads
	err = eachLabelHead(tx, func(h *labelHead) {
		if judgesSummaries(h.Candidates) || (h.Kind == LabelRetraction && len(h.Candidates) == 0) {
			seqs = append(seqs, h.seq)
		}
	})
	if err != nil {
		return err
	}
	for _, seq := range seqs {
		if err := tx.Bucket(bucketSummaryLabels).Put(seqKey(seq), nil); err != nil {
			return err
		}
	}
	return nil
}

// EachEditedUserSummaries is EachUserSummaries for the users with a
// version a person wrote only, read from the list of them: a screen that
// compares a model's version with a person's edit of it reads a tenth of
// a million users, not all of them.
func (db *DB) EachEditedUserSummaries(fn func(UserSummaries) error) error {
	return db.bolt.View(func(tx *bolt.Tx) error {
		summaries, pins := tx.Bucket(bucketSummaries).Cursor(), tx.Bucket(bucketCurrent)
		u := UserSummaries{tx: tx}
		c := tx.Bucket(bucketHumanSummaries).Cursor()
		for user, _ := c.First(); user != nil; user, _ = c.Next() {
			u.User, u.Versions = string(user), u.Versions[:0]
			prefix := userPrefix(u.User)
			for k, v := summaries.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = summaries.Next() {
				var s Summary
				if err := decodeSummary(v, &s); err != nil {
					return fmt.Errorf("summary %q: %w", k, err)
				}
				u.Versions = append(u.Versions, s)
			}
			if len(u.Versions) == 0 {
				continue // listed, but nothing to read
			}
			u.Current = currentVersion(pins.Get(user), u.Versions)
			if err := fn(u); err != nil {
				return err
			}
		}
		return nil
	})
}

// CurrentSummaryLabels calls fn for every current decision between
// summaries, oldest first (as CurrentLabels, which reads every label), from
// the list of the labels judging summaries.
func (db *DB) CurrentSummaryLabels(fn func(Label) error) error {
	return db.bolt.View(func(tx *bolt.Tx) error {
		heads, records, current, err := listedSummaryLabels(tx)
		if err != nil {
			return err
		}
		for _, i := range current {
			if !heads[i].JudgesSummaries() {
				continue
			}
			var l Label
			if err := json.Unmarshal(records[i], &l); err != nil {
				return fmt.Errorf("label %d: %w", heads[i].seq, err)
			}
			if err := fn(l); err != nil {
				return err
			}
		}
		return nil
	})
}

// listedSummaryLabels reads the labels listed as judging summaries, oldest
// first: their heads, their records (valid while tx is open) and the
// indexes of the current decisions among them. The rule of current
// decisions needs, of an item, its own labels only (a retraction and an
// amendment name the same item as the decision they replace), so the
// listed labels are enough.
func listedSummaryLabels(tx *bolt.Tx) (heads []*labelHead, records [][]byte, current []int, err error) {
	var m labelMarks
	labels := tx.Bucket(bucketLabels)
	c := tx.Bucket(bucketSummaryLabels).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		h := &labelHead{seq: decodeSeqKey(k)}
		v := labels.Get(k)
		if v == nil {
			return nil, nil, nil, fmt.Errorf("label %d is listed as judging summaries: %w", h.seq, ErrNotFound)
		}
		if err := h.decode(v); err != nil {
			return nil, nil, nil, fmt.Errorf("label %d: %w", h.seq, err)
		}
		m.add(h)
		heads, records = append(heads, h), append(records, v)
	}
	return heads, records, m.current(), nil
}
