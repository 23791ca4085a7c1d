package store

import (
	"bytes"
	"fmt"

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
// summaries. The others are told apart from their records as stored,
// without decoding them: at a million users with a summary each, a person
// has edited a few. A worker cannot read the transaction, so
// UserSummaries.Signals gives the signals read with the versions.
func ScanUserSummaries[R any](db *DB, judged bool, build func(UserSummaries) (R, error), emit func(R) error) error {
	return db.bolt.View(func(tx *bolt.Tx) error {
		var decisions map[string][]*Decision
		if judged {
			var err error
			if decisions, err = summaryDecisions(tx); err != nil {
				return err
			}
		}
		r := newUserReader(tx, UserScan{})
		produce := func(send func(storedSummaries) bool) error { return r.eachSummaries(decisions, send) }
		decode := func(s storedSummaries) (R, error) {
			u, err := s.decode()
			if err != nil {
				var zero R
				return zero, err
			}
			return build(u)
		}
		return inOrder(tx.DB().Path(), produce, decode, emit)
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

// eachSummaries sends every user with a summary version, in id order.
func (r *userReader) eachSummaries(decisions map[string][]*Decision, send func(storedSummaries) bool) error {
	var s storedSummaries
	flush := func() (bool, error) {
		if len(s.versions) == 0 {
			return true, nil
		}
		s.decisions = decisions[s.user]
		if s.decisions == nil && !hasHumanVersion(s.versions) {
			s = storedSummaries{keys: s.keys[:0], versions: s.versions[:0]}
			return true, nil
		}
		s.pin = r.pinned.c.Bucket().Get([]byte(s.user))
		k := []byte(s.user)
		if v := r.users.Bucket().Get(k); v != nil {
			u, _, err := r.read(k, v)
			if err != nil {
				return false, err
			}
			s.signals = &u
		}
		more := send(s)
		s = storedSummaries{}
		return more, nil
	}
	c := r.summaryBodies.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		i := bytes.IndexByte(k, 0)
		if i < 0 {
			return fmt.Errorf("summary %q: no user in the key", k)
		}
		if len(s.versions) > 0 && s.user != string(k[:i]) {
			if more, err := flush(); err != nil || !more {
				return err
			}
		}
		if len(s.versions) == 0 {
			s.user = string(k[:i])
		}
		s.keys, s.versions = append(s.keys, k), append(s.versions, v)
	}
	_, err := flush()
	return err
}

// hasHumanVersion reports whether a person wrote one of the versions, from
// the records as encoding/json writes them: a string's quotes are escaped
// inside another string, so the member cannot be matched in a text.
func hasHumanVersion(versions [][]byte) bool {
	for _, v := range versions {
		if bytes.Contains(v, []byte(`"source":"human"`)) {
			return true
		}
	}
	return false
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
