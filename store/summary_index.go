package store

import (
	"bytes"
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
