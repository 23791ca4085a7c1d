package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// migrations[i] upgrades a database from schema i+1 to i+2, inside the same
// transaction that records the new version, so an upgrade is all or nothing.
// Append to it when the layout changes; never edit one that has shipped.
var migrations = []func(tx *bolt.Tx) error{
	migrateSessionsPerComparison,
	migrateCurrentSummaryPins,
	migrateReplayMessages,
	migrateLiftedFields,
	migrateCounters,
	migrateSummaryIndex,
	migrateLabelLive,
	migrateDatasetUsers,
}

// migrateSessionsPerComparison (schema 1 → 2): sessions were kept per
// annotator with the --compare spec written as "mode=NAME:CONDITION,…";
// they are kept per annotator and comparison (the part after "="), and
// evaluation runs get a bucket.
func migrateSessionsPerComparison(tx *bolt.Tx) error {
	if _, err := tx.CreateBucketIfNotExists(bucketEvals); err != nil {
		return err
	}
	b := tx.Bucket(bucketSessions)
	if b == nil {
		return nil
	}
	type old struct {
		key []byte
		s   Session
	}
	var moves []old
	err := b.ForEach(func(k, v []byte) error {
		if bytes.IndexByte(k, 0) >= 0 {
			return nil // kept per comparison already
		}
		var s Session
		if err := json.Unmarshal(v, &s); err != nil {
			return fmt.Errorf("session of %q: %w", k, err)
		}
		if _, after, ok := strings.Cut(s.Compare, "="); ok {
			s.Compare = after
		}
		moves = append(moves, old{bytes.Clone(k), s})
		return nil
	})
	if err != nil {
		return err
	}
	for _, m := range moves {
		if err := b.Delete(m.key); err != nil {
			return err
		}
		if err := putSession(tx, m.s); err != nil {
			return err
		}
	}
	return nil
}

// migrateCurrentSummaryPins (schema 2 → 3): a bucket pins a user's current
// summary version when it is not the newest (after a merge). Nothing is
// pinned yet, so every user's newest version stays current.
func migrateCurrentSummaryPins(tx *bolt.Tx) error {
	_, err := tx.CreateBucketIfNotExists(bucketCurrent)
	return err
}

// SchemaVersion is the layout this build reads and writes: schema 1 plus one
// per migration.
func SchemaVersion() int { return len(migrations) + 1 }

// schemaVersion reads the layout version in a database's meta bucket: 0
// for a database without one yet (a new file), else a version this build
// knows, 1 to SchemaVersion. Anything else is an error: not a number, not
// a version there ever was, or a newer one this build would misread.
func schemaVersion(meta *bolt.Bucket) (int, error) {
	if meta == nil || meta.Get(keySchema) == nil {
		return 0, nil
	}
	v := meta.Get(keySchema)
	version, err := strconv.Atoi(string(v))
	switch target := SchemaVersion(); {
	case err != nil:
		return 0, fmt.Errorf("unknown schema version %q (this popi-tui knows 1–%d)", v, target)
	case version < 1:
		return 0, fmt.Errorf("unknown schema version %d (this popi-tui knows 1–%d)", version, target)
	case version > target:
		return 0, fmt.Errorf("written by a newer popi-tui (schema %d; this build knows 1–%d)", version, target)
	}
	return version, nil
}

// migrate creates the buckets of a new database and brings an old one up to
// SchemaVersion. A database already in this layout is only read: opening
// it does not write to it.
func (db *DB) migrate() error {
	var version int
	err := db.bolt.View(func(tx *bolt.Tx) (err error) {
		version, err = schemaVersion(tx.Bucket(bucketMeta))
		return err
	})
	if err != nil || version == SchemaVersion() {
		return err
	}
	return db.bolt.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		version, err := schemaVersion(meta)
		if err != nil {
			return err
		}
		target := SchemaVersion()
		switch {
		case version == target:
			return nil
		case version == 0: // new file
			version = target
		default:
			for ; version < target; version++ {
				if err := migrations[version-1](tx); err != nil {
					return fmt.Errorf("upgrade schema %d to %d: %w", version, version+1, err)
				}
			}
		}
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return meta.Put(keySchema, []byte(strconv.Itoa(version)))
	})
}
