package store

import (
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// indexFlushEntries bounds the index entries and new users held in memory
// (about 100 and 200 bytes each). Each flush rewrites about every page of
// the index it touches, so the number of flushes is what an import of
// scattered users costs beyond appending bodies: at 1,000,000 users (3
// million entries) 2^15 meant 92 flushes, each rewriting most of a
// 30,000-page index; 2^17 (about 40 MiB of heap held) cut that fourfold.
// indexRunTx bounds one transaction of a run: bbolt holds every page a
// transaction touches in memory.
const (
	indexFlushEntries = 1 << 17
	indexRunTx        = 1 << 13
)

// flushIndex writes the unwritten index entries and new users in key
// order, a run of transactions each covering one stretch of keys. With
// commit, the last transaction also closes the journal entry: the import's
// commit point. Users written before it are rolled back with the bodies
// (their FirstSeq is one of this import's).
func (w *importWriter) flushIndex(commit bool) error {
	if err := writeSorted(w.db, bucketUsers, 0.5, w.stagedUsers, func(v []byte) []byte { return v }); err != nil {
		return fmt.Errorf("write users: %w", err)
	}
	clear(w.stagedUsers)
	encode := func(e indexEntry) []byte { return encodeIndexEntry(e.seq, e.kind, e.split) }
	if err := writeSorted(w.db, bucketSignals, 0.9, w.staged, encode); err != nil {
		return fmt.Errorf("write index: %w", err)
	}
	clear(w.staged)
	if !commit {
		return nil
	}
	err := w.db.bolt.Update(func(tx *bolt.Tx) error {
		// The counters change with the commit point: a rolled-back import
		// never counted.
		if err := addCounters(tx, counters{Users: w.users, Signals: w.added}); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Delete(keyImportPending)
	})
	if err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// writeSorted puts staged into bucket in key order, indexRunTx keys a
// transaction. fill is the bucket's FillPercent while it does: sorted
// keys split pages at the right place, so fuller pages stay few (the
// index, whose keys are written this way only); the users bucket keeps
// bbolt's default, since merges put users into it one at a time.
func writeSorted[V any](db *DB, bucket []byte, fill float64, staged map[string]V, encode func(V) []byte) error {
	keys := make([]string, 0, len(staged))
	for k := range staged {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for start := 0; start < len(keys); start += indexRunTx {
		run := keys[start:min(start+indexRunTx, len(keys))]
		err := db.bolt.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucket)
			b.FillPercent = fill
			for _, k := range run {
				if err := b.Put([]byte(k), encode(staged[k])); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// commit writes what is left of the index and makes the import's records
// part of the database.
func (w *importWriter) commit() error {
	return w.flushIndex(true)
}
