package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// UserScan says how ScanUsers visits the users.
type UserScan struct {
	// Summary reads each user's current summary too.
	Summary bool
	// Only, when not nil, reads only the users with a signal of a kind and
	// split it wants (the signal index says, before any record is read):
	// an export of held-out pairs skips the users without one.
	Only func(Kind, Split) bool
	// Shuffle, when not nil, visits the users in a random order without
	// holding every id: the users are cut into pages of ScanPage users in
	// id order, the pages are visited in the order Shuffle gives them and
	// each page's users in the order it gives them (rand.Rand.Shuffle is
	// one). Memory holds one id per page and one page of users.
	Shuffle func(n int, swap func(i, j int))
}

// ScanPage is how many users a page of a shuffled ScanUsers holds: at
// 1,000,000 users, 977 pages, so the first rows of an export come from
// anywhere in the database while it holds 977 ids and a page.
const ScanPage = 1024

// StoredUser is one user as ScanUsers reads them: the records as stored,
// bytes of the database's memory map valid only during the build call they
// are passed to. Its methods decode them.
type StoredUser struct {
	ID     string
	record []byte   // the users record
	seqs   []uint64 // the user's signals' storage order, index order
	bodies [][]byte // their bodies, in the same order
	// pinned and last are the records the current summary is chosen
	// from (currentSummaryRecords), when UserScan.Summary.
	pinned, last []byte
}

// Dataset is the dataset the user was imported from; "" when untagged.
func (u StoredUser) Dataset() (string, error) { return userDataset([]byte(u.ID), u.record) }

// Signals decodes the user's signals, in import order (as Signals).
func (u StoredUser) Signals() ([]Signal, error) {
	out := make([]Signal, len(u.bodies))
	for i, b := range u.bodies {
		s, err := decodeSignal(b, u.seqs[i])
		if err != nil {
			return nil, fmt.Errorf("user %q: %w", u.ID, err)
		}
		out[i] = s
	}
	slices.SortFunc(out, func(a, b Signal) int {
		switch {
		case a.Seq < b.Seq:
			return -1
		case a.Seq > b.Seq:
			return 1
		}
		return 0
	})
	return out, nil
}

// CurrentSummary decodes the user's current summary (as CurrentSummary);
// ok is false when there is none, or the scan did not read it.
func (u StoredUser) CurrentSummary() (Summary, bool) { return decodeCurrentSummary(u.pinned, u.last) }

// ScanUsers reads every user from one snapshot, a page of users at a time
// (in id order, or as scan.Shuffle orders them), and passes each with its
// records to build. build runs on every core, guarded like a transaction;
// emit gets what build returned, in the order read, on one goroutine (as
// ScanDecisions). It stops at the first error from build or emit.
//
// The transaction's goroutine only finds the records (bbolt's cursors
// belong to it), walking the users, the signal index and the summaries
// side by side in key order; decoding them, and whatever build makes of
// them, is the workers'. build must not open a transaction of its own:
// one opened while this one is open can deadlock against a writer.
func ScanUsers[R any](db *DB, scan UserScan, build func(StoredUser) (R, error), emit func(R) error) error {
	return db.bolt.View(func(tx *bolt.Tx) error {
		r := newUserReader(tx, scan)
		produce := r.inOrder
		if scan.Shuffle != nil {
			produce = func(send func(StoredUser) bool) error { return r.shuffled(scan.Shuffle, send) }
		}
		return inOrder(tx.DB().Path(), produce, build, emit)
	})
}

// userReader finds users' records in one transaction, on its goroutine.
type userReader struct {
	scan                     UserScan
	users                    *bolt.Cursor
	index, summaries, pinned *forwardCursor
	bodies, summaryBodies    *bolt.Bucket
}

func newUserReader(tx *bolt.Tx, scan UserScan) *userReader {
	return &userReader{scan: scan, users: tx.Bucket(bucketUsers).Cursor(),
		index: newForwardCursor(tx.Bucket(bucketSignals)), bodies: tx.Bucket(bucketBodies),
		summaries: newForwardCursor(tx.Bucket(bucketSummaries)), summaryBodies: tx.Bucket(bucketSummaries),
		pinned: newForwardCursor(tx.Bucket(bucketCurrent))}
}

// inOrder sends every user, in id order.
func (r *userReader) inOrder(send func(StoredUser) bool) error {
	for k, v := r.users.First(); k != nil; k, v = r.users.Next() {
		u, ok, err := r.read(k, v)
		if err != nil {
			return err
		}
		if ok && !send(u) {
			return nil
		}
	}
	return nil
}

// shuffled sends every user, the pages in a random order and each page's
// users too. A first pass over the keys alone finds where each page
// starts; a page's records are read in key order, then sent shuffled.
func (r *userReader) shuffled(shuffle func(n int, swap func(i, j int)), send func(StoredUser) bool) error {
	var starts [][]byte // the first id of each page
	n := 0
	for k, _ := r.users.First(); k != nil; k, _ = r.users.Next() {
		if n%ScanPage == 0 {
			starts = append(starts, k) // in the memory map: valid while tx is open
		}
		n++
	}
	shuffle(len(starts), func(i, j int) { starts[i], starts[j] = starts[j], starts[i] })
	page := make([]StoredUser, 0, ScanPage)
	// A page read from its start is the ScanPage users from there (the
	// last page, fewer): the snapshot does not change under the scan.
	for _, start := range starts {
		page = page[:0]
		seen := 0
		for k, v := r.users.Seek(start); k != nil && seen < ScanPage; k, v = r.users.Next() {
			seen++
			u, ok, err := r.read(k, v)
			if err != nil {
				return err
			}
			if ok {
				page = append(page, u)
			}
		}
		shuffle(len(page), func(i, j int) { page[i], page[j] = page[j], page[i] })
		for _, u := range page {
			if !send(u) {
				return nil
			}
		}
	}
	return nil
}

// read finds user k's records (v is the users record); ok is false for a
// user scan.Only leaves out.
func (r *userReader) read(k, v []byte) (u StoredUser, ok bool, err error) {
	u = StoredUser{ID: string(k), record: v}
	prefix := userPrefix(u.ID)
	wanted := r.scan.Only == nil
	for r.index.seek(prefix); r.index.k != nil && bytes.HasPrefix(r.index.k, prefix); r.index.next() {
		seq, kind, split, ok := decodeIndexEntry(r.index.v)
		if !ok {
			return StoredUser{}, false, fmt.Errorf("user %q: %w", u.ID, errCorruptSignal)
		}
		wanted = wanted || r.scan.Only(kind, split)
		u.seqs = append(u.seqs, seq)
	}
	if !wanted {
		return StoredUser{}, false, nil
	}
	u.bodies = make([][]byte, len(u.seqs))
	for i, seq := range u.seqs {
		u.bodies[i] = r.bodies.Get(seqKey(seq))
	}
	if r.scan.Summary {
		u.pinned, u.last = r.currentSummary(u.ID, prefix)
	}
	return u, true, nil
}

// currentSummary finds the records the user's current summary is chosen
// from, as currentSummaryRecords does, stepping through the summaries and
// their pins in key order.
func (r *userReader) currentSummary(user string, prefix []byte) (pinned, last []byte) {
	if r.pinned.seek([]byte(user)); r.pinned.k != nil && string(r.pinned.k) == user && len(r.pinned.v) == 4 {
		pinned = r.summaryBodies.Get(summaryKey(user, int(binary.BigEndian.Uint32(r.pinned.v))))
	}
	for r.summaries.seek(prefix); r.summaries.k != nil && bytes.HasPrefix(r.summaries.k, prefix); r.summaries.next() {
		last = r.summaries.v
	}
	return pinned, last
}
