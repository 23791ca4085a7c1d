package store

import (
	"encoding/json"
	"fmt"
	"os"

	bolt "go.etcd.io/bbolt"
)

// rollbackBatch bounds one rollback transaction, for the same reason
// imports are batched: memory must not grow with the size of the file.
const rollbackBatch = 8192

// rollbackImport removes every record an unfinished import added, batch by
// batch from its first record on. Each batch removes bodies, their index
// entries and the users the import created, together, so that a crash in
// the middle leaves a state the next attempt (at the next Open or Import)
// continues from. The last batch deletes the journal entry.
func (db *DB) rollbackImport(p pendingImport) error {
	for done := false; !done; {
		err := db.bolt.Update(func(tx *bolt.Tx) error {
			bodies, idx := tx.Bucket(bucketBodies), tx.Bucket(bucketSignals)
			users := tx.Bucket(bucketUsers)
			var keys [][]byte
			looked := map[string]bool{} // users looked at by this batch
			c := bodies.Cursor()
			for k, v := c.Seek(seqKey(p.StartSeq)); k != nil && len(keys) < rollbackBatch; k, v = c.Next() {
				seq := decodeSeqKey(k)
				s, err := decodeSignal(v, seq)
				if err != nil {
					return err
				}
				key := signalKey(s.User, s.ID)
				if got, _, _, ok := decodeIndexEntry(idx.Get(key)); ok && got == seq {
					if err := idx.Delete(key); err != nil {
						return err
					}
				}
				if !looked[s.User] {
					looked[s.User] = true
					var u User
					if v := users.Get([]byte(s.User)); v != nil {
						if err := json.Unmarshal(v, &u); err != nil {
							return fmt.Errorf("user %q: %w", s.User, err)
						}
						if u.FirstSeq >= p.StartSeq { // created by this import
							if err := users.Delete([]byte(s.User)); err != nil {
								return err
							}
						}
					}
				}
				keys = append(keys, k)
			}
			for _, k := range keys {
				if err := bodies.Delete(k); err != nil {
					return err
				}
			}
			if len(keys) < rollbackBatch {
				done = true
				if err := bodies.SetSequence(p.StartSeq - 1); err != nil {
					return err
				}
				return tx.Bucket(bucketMeta).Delete(keyImportPending)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("roll back import of %s: %w", p.File, err)
		}
	}
	return nil
}

// recoverImport rolls back an import that a crash or kill interrupted, so
// that its file is wholly out of the database.
func (db *DB) recoverImport() error {
	// The runs of an import a crash interrupted: never read again.
	if err := os.RemoveAll(runsDir(db.path)); err != nil {
		return fmt.Errorf("remove an interrupted import's runs: %w", err)
	}
	var p *pendingImport
	err := db.bolt.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketMeta).Get(keyImportPending)
		if v == nil {
			return nil
		}
		p = new(pendingImport)
		return json.Unmarshal(v, p)
	})
	if err != nil {
		return fmt.Errorf("read import journal: %w", err)
	}
	if p == nil {
		return nil
	}
	if err := db.rollbackImport(*p); err != nil {
		return err
	}
	db.Recovered = append(db.Recovered, fmt.Sprintf("rolled back the interrupted import of %s (started %s): none of it is in the database",
		p.File, p.Started.Local().Format("2006-01-02 15:04:05")))
	return nil
}
