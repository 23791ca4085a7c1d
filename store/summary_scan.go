package store

import (
	"bytes"
	"fmt"
	"maps"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// ScanUserSummaries is EachUserSummaries (with judged,
// EachUserSummariesJudged) with the work on every core: each user's
// versions are decoded, and build run on them, on a worker; emit gets what
// build made, in id order, on one goroutine (as ScanUsers). The
// transaction's goroutine only finds the records.
//
// Only the users a summaries export writes rows for are read: those
// with a version a person wrote, or (judged) with decisions between
// summaries, which lists kept beside the records name
// (summary_index.go): at a million users with a summary each, a person
// has edited a few, and nobody else's records are read. A worker cannot read the transaction, so
// UserSummaries.Signals gives the signals read with the versions.
func ScanUserSummaries[R any](db *DB, judged bool, build func(UserSummaries) (R, error), emit func(R) error) error {
	return scanSummaries(db, func(tx *bolt.Tx, r *userReader, send func(storedSummaries) bool) error {
		var decisions map[string][]*Decision
		if judged {
			var err error
			if decisions, err = summaryDecisions(tx); err != nil {
				return err
			}
		}
		return r.eachSummaries(tx, decisions, send)
	}, build, emit)
}

// ScanEveryUserSummaries is ScanUserSummaries over every user with a
// summary version, in id order (EachUserSummaries on every core, with the
// signals read too): what a report over all the summaries reads.
func ScanEveryUserSummaries[R any](db *DB, build func(UserSummaries) (R, error), emit func(R) error) error {
	return scanSummaries(db, func(_ *bolt.Tx, r *userReader, send func(storedSummaries) bool) error {
		for k, v := r.users.First(); k != nil; k, v = r.users.Next() {
			s, err := r.userSummaries(string(k), v, nil)
			if err != nil {
				return err
			}
			if len(s.versions) > 0 && !send(s) {
				return nil
			}
		}
		return nil
	}, build, emit)
}

// scanSummaries runs produce in a read transaction and build on every
// core over what it sends, passing the results to emit in order.
func scanSummaries[R any](db *DB, produce func(*bolt.Tx, *userReader, func(storedSummaries) bool) error,
	build func(UserSummaries) (R, error), emit func(R) error) error {
	return db.bolt.View(func(tx *bolt.Tx) error {
		r := newUserReader(tx, UserScan{})
		run := func(send func(storedSummaries) bool) error { return produce(tx, r, send) }
		decode := func(s storedSummaries) (R, error) {
			u, err := s.decode()
			if err != nil {
				var zero R
				return zero, err
			}
			return build(u)
		}
		return inOrder(tx.DB().Path(), run, decode, emit)
	})
}

// storedSummaries is one user's summary records as stored, for a worker
// to decode.
type storedSummaries struct {
	user      string
	keys      [][]byte // for errors
	versions  [][]byte
	pin       []byte // the current_summary record, nil when none
	decisions []*Decision
	signals   *StoredUser // nil when not read
}

// eachSummaries sends, in id order, every user the summaries export
// writes rows for: those listed with a version a person wrote, and those
// with decisions between summaries (given). The lists say who they are;
// nobody else's records are read.
func (r *userReader) eachSummaries(tx *bolt.Tx, decisions map[string][]*Decision, send func(storedSummaries) bool) error {
	judged := slices.Sorted(maps.Keys(decisions))
	humans := tx.Bucket(bucketHumanSummaries).Cursor()
	h, _ := humans.First()
	for h != nil || len(judged) > 0 {
		var user string
		switch {
		case h != nil && (len(judged) == 0 || string(h) <= judged[0]):
			user = string(h)
			if len(judged) > 0 && judged[0] == user {
				judged = judged[1:]
			}
			h, _ = humans.Next()
		default:
			user, judged = judged[0], judged[1:]
		}
		s, err := r.userSummaries(user, nil, decisions[user])
		if err != nil {
			return err
		}
		if len(s.versions) > 0 && !send(s) {
			return nil
		}
	}
	return nil
}

// userSummaries reads one user's summary records, stepping through the
// summaries in key order, with the user's signals (record is the users
// record, nil to look it up) and pin.
func (r *userReader) userSummaries(user string, record []byte, decisions []*Decision) (storedSummaries, error) {
	s := storedSummaries{user: user, decisions: decisions}
	prefix := userPrefix(user)
	for r.summaries.seek(prefix); r.summaries.k != nil && bytes.HasPrefix(r.summaries.k, prefix); r.summaries.next() {
		s.keys, s.versions = append(s.keys, r.summaries.k), append(s.versions, r.summaries.v)
	}
	if len(s.versions) == 0 {
		return s, nil // listed, but nothing to write
	}
	s.pin = r.pinned.c.Bucket().Get([]byte(user))
	k := []byte(user)
	if record == nil {
		record = r.users.Bucket().Get(k)
	}
	if record != nil {
		u, _, err := r.read(k, record)
		if err != nil {
			return s, err
		}
		s.signals = &u
	}
	return s, nil
}

// decode is the user's UserSummaries, on a worker.
func (s storedSummaries) decode() (UserSummaries, error) {
	u := UserSummaries{User: s.user, Versions: make([]Summary, len(s.versions)), Decisions: s.decisions, stored: s.signals}
	for i, v := range s.versions {
		if err := decodeSummary(v, &u.Versions[i]); err != nil {
			return u, fmt.Errorf("summary %q: %w", s.keys[i], err)
		}
	}
	u.Current = currentVersion(s.pin, u.Versions)
	return u, nil
}
