package store

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// EachSignalWhere calls fn for every signal of a kind and split only wants
// (EachSignal, for all), user by user in id order and in import order
// within a user, from one snapshot. The signal index says which signals
// are wanted, so only their records are read: a labeling queue of a
// million users' held-out pairs reads those, not every history pair.
func (db *DB) EachSignalWhere(only func(Kind, Split) bool, fn func(Signal) error) error {
	return db.bolt.View(func(tx *bolt.Tx) error {
		bodies := tx.Bucket(bucketBodies)
		var (
			user    []byte
			signals []Signal
		)
		flush := func() error {
			slices.SortFunc(signals, func(a, b Signal) int { return cmp.Compare(a.Seq, b.Seq) })
			for _, s := range signals {
				if err := fn(s); err != nil {
					return err
				}
			}
			signals = signals[:0]
			return nil
		}
		c := tx.Bucket(bucketSignals).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			i := bytes.IndexByte(k, 0)
			if i < 0 {
				return fmt.Errorf("signal %q: no user in the key", k)
			}
			if !bytes.Equal(k[:i], user) {
				if err := flush(); err != nil {
					return err
				}
				user = append(user[:0], k[:i]...)
			}
			seq, kind, split, ok := decodeIndexEntry(v)
			if !ok {
				return fmt.Errorf("user %q: %w", k[:i], errCorruptSignal)
			}
			if !only(kind, split) {
				continue
			}
			s, err := decodeSignal(bodies.Get(seqKey(seq)), seq)
			if err != nil {
				return err
			}
			signals = append(signals, s)
		}
		return flush()
	})
}
