package store

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// counters are the totals stats reports, kept in the meta bucket and
// changed in the same transaction as the records they count, so that
// stats reads one key instead of scanning millions of index entries and
// summaries. LabelsCurrent counts the current decisions: a label write
// works out what it changed from its item's labels (label_items.go).
type counters struct {
	Users          int    `json:"users"`
	Signals        Counts `json:"signals"`
	Summaries      int    `json:"summaries"`
	SummariesHuman int    `json:"summaries_human"`
	Generations    int    `json:"generations"`
	LabelsCurrent  int    `json:"labels_current"`
}

var keyCounters = []byte("counters")

func (c counters) plus(d counters) counters {
	return counters{Users: c.Users + d.Users, Signals: c.Signals.Plus(d.Signals),
		Summaries: c.Summaries + d.Summaries, SummariesHuman: c.SummariesHuman + d.SummariesHuman,
		Generations: c.Generations + d.Generations, LabelsCurrent: c.LabelsCurrent + d.LabelsCurrent}
}

// readCounters reads the counters; a database without them (a new one)
// holds nothing yet.
func readCounters(tx *bolt.Tx) (counters, error) {
	var c counters
	v := tx.Bucket(bucketMeta).Get(keyCounters)
	if v == nil {
		return c, nil
	}
	if err := json.Unmarshal(v, &c); err != nil {
		return c, fmt.Errorf("counters: %w", err)
	}
	return c, nil
}

// addCounters adds d to the counters, in tx: the transaction that adds
// what d counts.
func addCounters(tx *bolt.Tx, d counters) error {
	if d == (counters{}) { // a write that added nothing leaves meta as it was
		return nil
	}
	c, err := readCounters(tx)
	if err != nil {
		return err
	}
	return writeCounters(tx, c.plus(d))
}

// writeCounters stores the counters, in tx.
func writeCounters(tx *bolt.Tx, c counters) error {
	v, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketMeta).Put(keyCounters, v)
}

// migrateCounters (schema 5 → 6): the counters are computed once, by the
// scan stats used to make on every call.
func migrateCounters(tx *bolt.Tx) error {
	c, err := scanCounters(tx)
	if err != nil {
		return err
	}
	return writeCounters(tx, c)
}

// scanCounters counts everything the counters count, by reading it all.
func scanCounters(tx *bolt.Tx) (counters, error) {
	var c counters
	c.Users = tx.Bucket(bucketUsers).Stats().KeyN
	if b := tx.Bucket(bucketGenerations); b != nil {
		c.Generations = b.Stats().KeyN
	}
	err := tx.Bucket(bucketSignals).ForEach(func(k, v []byte) error {
		_, kind, split, ok := decodeIndexEntry(v)
		if !ok {
			return fmt.Errorf("signal %q: %w", k, errCorruptSignal)
		}
		c.Signals.add(kind, split, 1)
		return nil
	})
	if err != nil {
		return c, err
	}
	err = tx.Bucket(bucketSummaries).ForEach(func(k, v []byte) error {
		var s struct{ Source string }
		if err := json.Unmarshal(v, &s); err != nil {
			return fmt.Errorf("summary %q: %w", k, err)
		}
		c.Summaries++
		if s.Source == SourceHuman {
			c.SummariesHuman++
		}
		return nil
	})
	if err != nil {
		return c, err
	}
	var marks labelMarks
	if tx.Bucket(bucketLabels) != nil {
		err = eachLabelHead(tx, func(h *labelHead) { marks.add(h) })
	}
	c.LabelsCurrent = len(marks.current())
	return c, err
}
