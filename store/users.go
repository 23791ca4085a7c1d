package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	bolt "go.etcd.io/bbolt"
)

// ErrNotFound is returned for a user, summary, generation or session that
// is not in the database.
var ErrNotFound = errors.New("not found")

// User returns one user.
func (db *DB) User(id string) (User, error) {
	var u User
	err := db.bolt.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketUsers).Get([]byte(id))
		if v == nil {
			return fmt.Errorf("user %q: %w", id, ErrNotFound)
		}
		if err := json.Unmarshal(v, &u); err != nil {
			return fmt.Errorf("user %q: %w", id, err)
		}
		counts, err := userCounts(tx, id)
		u.Counts = counts
		return err
	})
	return u, err
}

// userCounts tallies a user's signals from the index alone.
func userCounts(tx *bolt.Tx, user string) (Counts, error) {
	var n Counts
	prefix := userPrefix(user)
	c := tx.Bucket(bucketSignals).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		_, kind, split, ok := decodeIndexEntry(v)
		if !ok {
			return Counts{}, fmt.Errorf("user %q: %w", user, errCorruptSignal)
		}
		n.add(kind, split, 1)
	}
	return n, nil
}

// EachUser calls fn for every user, in id order, from after (exclusive;
// "" for the start) until fn returns false or an error. The users are
// read in one consistent snapshot.
func (db *DB) EachUser(after string, fn func(User) (bool, error)) error {
	return db.bolt.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketUsers).Cursor()
		k, v := c.First()
		if after != "" {
			if k, v = c.Seek([]byte(after)); k != nil && string(k) == after {
				k, v = c.Next()
			}
		}
		for ; k != nil; k, v = c.Next() {
			var u User
			if err := json.Unmarshal(v, &u); err != nil {
				return fmt.Errorf("user %q: %w", k, err)
			}
			var err error
			if u.Counts, err = userCounts(tx, u.ID); err != nil {
				return err
			}
			more, err := fn(u)
			if err != nil || !more {
				return err
			}
		}
		return nil
	})
}

// Signals returns everything known about a user, in import order.
func (db *DB) Signals(user string) ([]Signal, error) {
	var out []Signal
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		out, err = userSignals(tx, user)
		return err
	})
	return out, err
}

func userSignals(tx *bolt.Tx, user string) ([]Signal, error) {
	bodies := tx.Bucket(bucketBodies)
	prefix := userPrefix(user)
	var out []Signal
	c := tx.Bucket(bucketSignals).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		seq, _, _, ok := decodeIndexEntry(v)
		if !ok {
			return nil, fmt.Errorf("user %q: %w", user, errCorruptSignal)
		}
		s, err := decodeSignal(bodies.Get(seqKey(seq)), seq)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out, nil
}

// EachSignal calls fn for every signal of every user, user by user in id
// order and in import order within a user, from one snapshot.
func (db *DB) EachSignal(fn func(Signal) error) error {
	return db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketUsers).ForEach(func(k, _ []byte) error { return eachSignalOf(tx, string(k), fn) })
	})
}

// eachSignalOf calls fn for every signal of one user, in import order.
func eachSignalOf(tx *bolt.Tx, user string, fn func(Signal) error) error {
	signals, err := userSignals(tx, user)
	if err != nil {
		return err
	}
	for _, s := range signals {
		if err := fn(s); err != nil {
			return err
		}
	}
	return nil
}

// UserIDs lists every user id in order, reading keys alone: the Users
// screen starts with 100,000 users without decoding them.
func (db *DB) UserIDs() ([]string, error) {
	var ids []string
	err := db.bolt.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketUsers)
		c, err := readCounters(tx) // the count without walking the bucket twice
		if err != nil {
			return err
		}
		ids = make([]string, 0, c.Users)
		return b.ForEach(func(k, _ []byte) error {
			ids = append(ids, string(k))
			return nil
		})
	})
	return ids, err
}

// Overview is what a list shows of one user: the user (with counts) and
// the current summary, when there is one.
type Overview struct {
	User    User
	Summary *Summary
}

// Overviews reads the overviews of the given users, from one snapshot;
// unknown ids are left out.
func (db *DB) Overviews(ids []string) ([]Overview, error) {
	out := make([]Overview, 0, len(ids))
	err := db.bolt.View(func(tx *bolt.Tx) error {
		users := tx.Bucket(bucketUsers)
		for _, id := range ids {
			v := users.Get([]byte(id))
			if v == nil {
				continue
			}
			var o Overview
			if err := json.Unmarshal(v, &o.User); err != nil {
				return fmt.Errorf("user %q: %w", id, err)
			}
			var err error
			if o.User.Counts, err = userCounts(tx, id); err != nil {
				return err
			}
			if s, ok := currentSummary(tx, id); ok {
				o.Summary = &s
			}
			out = append(out, o)
		}
		return nil
	})
	return out, err
}
