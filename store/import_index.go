package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"

	bolt "go.etcd.io/bbolt"
)

// indexFlushEntries bounds the index entries and new users held in memory
// (about 100 and 200 bytes each) before they are spilled, sorted, to a run
// file (import_runs.go). Until the import's batches are all written, the
// index and users buckets are not touched: a file that scatters a million
// users would have every sorted run rewrite most of the index's pages (at
// 1,000,000 users, 92 runs of 2^15 each rewrote most of a 30,000-page
// index). Once every body is in, the runs are merged and written once, in
// key order: into an empty index that is appending whole pages.
// indexRunTx bounds one transaction of that merge: bbolt holds every page
// a transaction touches in memory.
// (A variable so that tests can spill after a few records.)
var indexFlushEntries = 1 << 17

const indexRunTx = 1 << 14

// finishIndex merges the spilled runs and writes the index entries and new
// users. Keys this import holds twice (in two runs) are resolved here: the
// same record again is a duplicate, whose later body is deleted; another
// record under the same id is a bad record, and the import is rejected
// (and rolled back with everything it wrote, index entries included).
func (w *importWriter) finishIndex() error {
	if err := w.spillRun(); err != nil {
		return err
	}
	// Sorted keys into a bucket with keys: fuller pages than bbolt's
	// default, fewer of them. Into an empty one (an empty index has no
	// users either): nothing but appends, so pages are packed full.
	fill, usersFill := 0.9, 0.5
	if w.indexWasEmpty {
		fill, usersFill = 1, 1
	}
	if err := w.writeMerged(bucketUsers, w.runs.users, usersFill, w.putUser); err != nil {
		return fmt.Errorf("write users: %w", err)
	}
	if err := w.writeMerged(bucketSignals, w.runs.index, fill, w.putIndexEntry); err != nil {
		return fmt.Errorf("write index: %w", err)
	}
	return nil
}

// writeMerged writes the merge of the run files paths into bucket,
// indexRunTx keys a transaction, each key by put.
func (w *importWriter) writeMerged(bucket []byte, paths []string, fill float64,
	put func(tx *bolt.Tx, b *bolt.Bucket, key []byte, vals [][]byte) error) error {
	type group struct {
		key  []byte
		vals [][]byte
	}
	var chunk []group
	var arena byteArena
	flush := func() error {
		err := w.db.bolt.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucket)
			b.FillPercent = fill
			for _, g := range chunk {
				if err := put(tx, b, g.key, g.vals); err != nil {
					return err
				}
			}
			return nil
		})
		chunk, arena = chunk[:0], byteArena{}
		return err
	}
	err := mergeRuns(paths, func(key []byte, vals [][]byte) error {
		g := group{key: append(arena.alloc(len(key)), key...), vals: make([][]byte, len(vals))}
		for i, v := range vals {
			g.vals[i] = append(arena.alloc(len(v)), v...)
		}
		chunk = append(chunk, g)
		if len(chunk) >= indexRunTx {
			return flush()
		}
		return nil
	})
	if err == nil && len(chunk) > 0 {
		err = flush()
	}
	return err
}

// putUser writes a user this import created; in two runs, the first run's
// (the user's first record in the file) wins.
func (w *importWriter) putUser(_ *bolt.Tx, b *bolt.Bucket, key []byte, vals [][]byte) error {
	w.users++
	return b.Put(key, vals[0])
}

// putIndexEntry writes an index entry; later ones under the same key are
// the same record again (a duplicate: its body goes) or a conflict.
func (w *importWriter) putIndexEntry(tx *bolt.Tx, b *bolt.Bucket, key []byte, vals [][]byte) error {
	if err := b.Put(key, vals[0][:indexEntrySize]); err != nil {
		return err
	}
	bodies := tx.Bucket(bucketBodies)
	first, _, _, _ := decodeIndexEntry(vals[0][:indexEntrySize])
	for _, v := range vals[1:] {
		seq, kind, split, ok := decodeIndexEntry(v[:indexEntrySize])
		line, n := binary.Uvarint(v[indexEntrySize:])
		if !ok || n <= 0 {
			return fmt.Errorf("import run: %w", errCorruptSignal)
		}
		if !bytes.Equal(bodies.Get(seqKey(first)), bodies.Get(seqKey(seq))) {
			user, id, _ := bytes.Cut(key, []byte{0})
			w.bad(&ImportError{File: w.file, Line: int(line),
				Reason: fmt.Sprintf("id %q of user %q is already taken by a different record", id, user)})
			continue
		}
		if err := bodies.Delete(seqKey(seq)); err != nil {
			return err
		}
		w.dups++
		w.added.add(kind, split, -1)
	}
	return nil
}

// removeRuns deletes the run files.
func (w *importWriter) removeRuns() {
	if w.runs.dir != "" {
		os.RemoveAll(w.runs.dir)
	}
}

// commit makes the import's records part of the database: the counters
// change with the journal entry's deletion, so a rolled-back import never
// counted.
func (w *importWriter) commit() error {
	err := w.db.bolt.Update(func(tx *bolt.Tx) error {
		if err := addCounters(tx, counters{Users: w.users, Signals: w.added}); err != nil {
			return err
		}
		if w.users > 0 {
			if err := addDatasetUsers(tx, map[string]int{w.dataset: w.users}); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Delete(keyImportPending)
	})
	if err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
