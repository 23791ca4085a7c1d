package store

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// stats counts the current decisions among its counters, kept by every
// label write in its own transaction. A decision is current when it is the
// newest of the live ones (neither taken back nor amended) of its
// annotator and item, so the current decisions are as many as the items
// with a live decision. Three buckets keep what that needs, each write
// changing a few keys whatever the number of labels:
//
//   - label_live: the id of each live decision → its item (a hash);
//   - label_item_live: an item → how many live decisions it has;
//   - label_withdrawn: ids taken back or amended before they were here
//     (a merge can bring a retraction before what it names), so that the
//     decision is not live when it comes.
//
// The rule is labelMarks': a retraction takes back the decision it names
// (what that one amended was taken back when it was amended); a label
// with Amends takes back the one it names; an id once taken back stays so.
// Schema 8 built the buckets from the records.
var (
	bucketLabelLive      = []byte("label_live")
	bucketLabelItemLive  = []byte("label_item_live")
	bucketLabelWithdrawn = []byte("label_withdrawn")
)

// itemHash names an item (annotator, user, prompt, comparison): its
// itemKey hashed (SHA-256, cut to 128 bits: the same in every process,
// unlike the marks' hashes).
func itemHash(annotator, user, promptID string, cands []Candidate) []byte {
	h := sha256.Sum256([]byte(itemKey(annotator, user, promptID, cands)))
	return h[:16]
}

// liveDecisions is where the live decisions are kept: the buckets, or
// maps while a migration builds them.
type liveDecisions interface {
	item(id string) []byte // nil when id is not live
	setLive(id string, item []byte) error
	unsetLive(id string) error
	addToItem(item []byte, n int) (int, error) // returns the item's new count
	withdrawn(id string) bool
	setWithdrawn(id string) error
}

// applyLabel changes live for one more label (h), in storage order, and
// returns how the number of items with a live decision changed.
func applyLabel(live liveDecisions, h *labelHead) (int, error) {
	delta := 0
	withdraw := func(id string) error {
		if id == "" {
			return nil
		}
		item := live.item(id)
		if item == nil {
			if live.withdrawn(id) {
				return nil
			}
			return live.setWithdrawn(id)
		}
		if err := live.unsetLive(id); err != nil {
			return err
		}
		n, err := live.addToItem(item, -1)
		if n == 0 {
			delta--
		}
		return err
	}
	if err := withdraw(h.Amends); err != nil {
		return 0, err
	}
	if h.Kind == LabelRetraction {
		if err := withdraw(h.Retracts); err != nil {
			return 0, err
		}
	}
	if h.Kind != LabelDecision || live.withdrawn(h.ID) || live.item(h.ID) != nil {
		return delta, nil
	}
	item := itemHash(h.Annotator, h.User, h.PromptID, h.Candidates)
	if err := live.setLive(h.ID, item); err != nil {
		return 0, err
	}
	n, err := live.addToItem(item, 1)
	if n == 1 {
		delta++
	}
	return delta, err
}

// liveBuckets keeps the live decisions in the database, in tx.
type liveBuckets struct{ live, items, withdrawnIDs *bolt.Bucket }

func newLiveBuckets(tx *bolt.Tx) liveBuckets {
	return liveBuckets{tx.Bucket(bucketLabelLive), tx.Bucket(bucketLabelItemLive), tx.Bucket(bucketLabelWithdrawn)}
}

func (b liveBuckets) item(id string) []byte { return b.live.Get([]byte(id)) }
func (b liveBuckets) setLive(id string, item []byte) error {
	return b.live.Put([]byte(id), item)
}
func (b liveBuckets) unsetLive(id string) error    { return b.live.Delete([]byte(id)) }
func (b liveBuckets) withdrawn(id string) bool     { return b.withdrawnIDs.Get([]byte(id)) != nil }
func (b liveBuckets) setWithdrawn(id string) error { return b.withdrawnIDs.Put([]byte(id), nil) }
func (b liveBuckets) addToItem(item []byte, n int) (int, error) {
	count := n
	if v := b.items.Get(item); len(v) == 4 {
		count += int(binary.BigEndian.Uint32(v))
	}
	if count <= 0 {
		return 0, b.items.Delete(item)
	}
	return count, b.items.Put(item, binary.BigEndian.AppendUint32(nil, uint32(count)))
}

// noteLabel lists the label just stored at seq (v its record) in
// summary_labels when it judges summaries, and counts what it changed of
// the current decisions.
func noteLabel(tx *bolt.Tx, seq uint64, v []byte) error {
	h := labelHead{seq: seq}
	if err := h.decode(v); err != nil {
		return fmt.Errorf("label %d: %w", seq, err)
	}
	if err := noteSummaryLabel(tx, seq, h.Kind, h.Candidates); err != nil {
		return err
	}
	delta, err := applyLabel(newLiveBuckets(tx), &h)
	if err != nil {
		return err
	}
	return addCounters(tx, counters{LabelsCurrent: delta})
}

// isCurrent reports whether the decision d is its item's current one:
// live, and the only live one there (else, rarely, the rule over every
// label says).
func isCurrent(tx *bolt.Tx, d Label) (bool, error) {
	b := newLiveBuckets(tx)
	item := b.item(d.ID)
	if item == nil {
		return false, nil
	}
	if v := b.items.Get(item); len(v) == 4 && binary.BigEndian.Uint32(v) == 1 {
		return true, nil
	}
	current, err := currentPerItem(tx)
	return current[d.ItemKey()] == d.ID, err
}

// liveMaps keeps the live decisions in memory, for migrateLabelLive.
type liveMaps struct {
	liveIDs      map[string][]byte
	itemCounts   map[string]int
	withdrawnIDs map[string]bool
}

func (m *liveMaps) item(id string) []byte { return m.liveIDs[id] }
func (m *liveMaps) setLive(id string, item []byte) error {
	m.liveIDs[id] = item
	return nil
}
func (m *liveMaps) unsetLive(id string) error {
	delete(m.liveIDs, id)
	return nil
}
func (m *liveMaps) withdrawn(id string) bool { return m.withdrawnIDs[id] }
func (m *liveMaps) setWithdrawn(id string) error {
	m.withdrawnIDs[id] = true
	return nil
}
func (m *liveMaps) addToItem(item []byte, n int) (int, error) {
	c := m.itemCounts[string(item)] + n
	if c <= 0 {
		delete(m.itemCounts, string(item))
		return 0, nil
	}
	m.itemCounts[string(item)] = c
	return c, nil
}

// migrateLabelLive (schema 7 → 8): the live decisions are worked out from
// the records, in memory, and written in key order (put in the labels'
// order, a million keys land on random pages of growing trees).
func migrateLabelLive(tx *bolt.Tx) error {
	m := &liveMaps{liveIDs: map[string][]byte{}, itemCounts: map[string]int{}, withdrawnIDs: map[string]bool{}}
	current := 0
	var applyErr error
	err := eachLabelHead(tx, func(h *labelHead) {
		if applyErr == nil {
			var d int
			d, applyErr = applyLabel(m, h)
			current += d
		}
	})
	if err != nil || applyErr != nil {
		return fmt.Errorf("current decisions: %w", errors.Join(err, applyErr))
	}
	if err := putSorted(tx, bucketLabelLive, m.liveIDs); err != nil {
		return err
	}
	counts := make(map[string][]byte, len(m.itemCounts))
	for item, n := range m.itemCounts {
		counts[item] = binary.BigEndian.AppendUint32(nil, uint32(n))
	}
	if err := putSorted(tx, bucketLabelItemLive, counts); err != nil {
		return err
	}
	withdrawn := make(map[string][]byte, len(m.withdrawnIDs))
	for id := range m.withdrawnIDs {
		withdrawn[id] = nil
	}
	if err := putSorted(tx, bucketLabelWithdrawn, withdrawn); err != nil {
		return err
	}
	c, err := readCounters(tx)
	if err != nil {
		return err
	}
	c.LabelsCurrent = current
	return writeCounters(tx, c)
}

// putSorted creates the bucket name and puts kv in key order.
func putSorted(tx *bolt.Tx, name []byte, kv map[string][]byte) error {
	b, err := tx.CreateBucketIfNotExists(name)
	if err != nil {
		return err
	}
	b.FillPercent = 1 // appended in key order
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := b.Put([]byte(k), kv[k]); err != nil {
			return err
		}
	}
	return nil
}

// RebuildLabelIndex works the live decisions out again from the records:
// for tools that write labels straight into the file's buckets (the
// benchmarks' generator), which the writers of this package would
// otherwise have kept.
func (db *DB) RebuildLabelIndex() error {
	return db.bolt.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketLabelLive, bucketLabelItemLive, bucketLabelWithdrawn} {
			if tx.Bucket(name) != nil {
				if err := tx.DeleteBucket(name); err != nil {
					return err
				}
			}
		}
		return migrateLabelLive(tx)
	})
}
