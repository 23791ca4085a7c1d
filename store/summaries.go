package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/popi-tui/popi-tui/store/signal"
)

// Summary sources that are not a model.
const (
	SourceHuman     = "human"     // written or edited by a person
	SourceHeuristic = "heuristic" // the offline engine's feature-contrast baseline
)

// Summary is one version of a user's preference summary. Versions are
// never changed or removed; the latest is the current one, and making an
// older one current again adds a new version with its text. The one
// exception is a merge: it adds other databases' versions after this
// one's but leaves this database's current version current (pinned) until
// a new version is added here.
type Summary struct {
	ID      string `json:"id"` // unique across databases (kept by merges)
	User    string `json:"user"`
	Version int    `json:"version"` // 1, 2, … within the user
	Text    string `json:"text"`
	// Source is the backend/model that wrote it, SourceHuman or SourceHeuristic.
	Source  string `json:"source"`
	Backend string `json:"backend,omitempty"`
	Model   string `json:"model,omitempty"`
	Parent  int    `json:"parent,omitempty"` // the version this one was edited from or replaces
	// TemplateVersion is the version of the summarizer prompt template of
	// summaries made before template sets (1); TemplateSet replaces it.
	TemplateVersion int `json:"template_version,omitempty"`
	// TemplateSet is the version of the template set that worded the
	// request (its version key, or a hash of its file), for model summaries.
	TemplateSet string `json:"template_set,omitempty"`
	// Input is exactly what the summarizer was sent, as one user turn, for
	// model summaries made before template sets; Messages replaces it.
	Input string `json:"input,omitempty"`
	// Messages is exactly what the summarizer was sent, for model summaries.
	Messages []Message `json:"messages,omitempty"`
	// Signals are the kinds of signal the summarizer was shown; empty for
	// every kind.
	Signals          []string `json:"signals,omitempty"`
	PromptTokens     int      `json:"prompt_tokens,omitempty"`
	CompletionTokens int      `json:"completion_tokens,omitempty"`
	// HistoryTokens and SummaryTokens measure the context a summary saves:
	// the raw history it replaces, and itself.
	HistoryTokens   int       `json:"history_tokens,omitempty"`
	SummaryTokens   int       `json:"summary_tokens,omitempty"`
	TokensEstimated bool      `json:"tokens_estimated,omitempty"` // counts are estimates, not a tokenizer's
	HistoryCut      bool      `json:"history_cut,omitempty"`      // the history was cut to a token budget
	CreatedAt       time.Time `json:"created_at"`
}

// InputMessages is what the summarizer was sent for a model summary, as
// chat messages; nil when nothing was stored (human and heuristic
// versions).
func (s Summary) InputMessages() []Message {
	if len(s.Messages) > 0 {
		return s.Messages
	}
	if s.Input == "" {
		return nil
	}
	return []Message{{Role: "user", Content: s.Input}}
}

// IsModel reports whether a language model wrote the summary.
func (s Summary) IsModel() bool { return s.Source != SourceHuman && s.Source != SourceHeuristic }

func summaryKey(user string, version int) []byte {
	return binary.BigEndian.AppendUint32(userPrefix(user), uint32(version))
}

// AddSummary stores s as the user's newest version and returns it with
// its new ID and Version, and CreatedAt if unset. It is committed to disk
// on return. s must not carry an ID or a Version: those are the store's.
func (db *DB) AddSummary(s Summary) (Summary, error) {
	if err := s.checkNew(); err != nil {
		return Summary{}, err
	}
	// Batch: summaries arriving together share a commit (and its fsyncs);
	// each is on disk when AddSummary returns all the same.
	err := db.bolt.Batch(func(tx *bolt.Tx) error { return addSummary(tx, &s) })
	if err != nil {
		return Summary{}, fmt.Errorf("add summary for %q: %w", s.User, err)
	}
	return s, nil
}

// AddSummaries stores several new summary versions in one transaction
// (one commit for a bulk run's finished batch), in order, and returns them
// as stored. Either all are stored or none.
func (db *DB) AddSummaries(ss []Summary) ([]Summary, error) {
	out := make([]Summary, len(ss))
	for i, s := range ss {
		if err := s.checkNew(); err != nil {
			return nil, err
		}
		out[i] = s
	}
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		for i := range out {
			out[i].ID, out[i].Version = ss[i].ID, ss[i].Version // a retried transaction starts afresh
			if err := addSummary(tx, &out[i]); err != nil {
				return fmt.Errorf("add summary for %q: %w", out[i].User, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s Summary) checkNew() error {
	switch {
	case s.ID != "" || s.Version != 0:
		return fmt.Errorf("add summary for %q: it already has id %q, version %d (a new version gets its own)", s.User, s.ID, s.Version)
	case s.Parent < 0:
		return fmt.Errorf("add summary for %q: parent version %d", s.User, s.Parent)
	case signal.CheckID(s.User) != "":
		return fmt.Errorf("add summary: user %s", signal.CheckID(s.User))
	case strings.TrimSpace(s.Text) == "":
		return fmt.Errorf("add summary for %q: the text is empty", s.User)
	case s.Source == "":
		return fmt.Errorf("add summary for %q: no source", s.User)
	}
	return nil
}

// addSummary stores s as its user's next version, setting ID, Version and
// CreatedAt.
func addSummary(tx *bolt.Tx, s *Summary) error {
	if tx.Bucket(bucketUsers).Get([]byte(s.User)) == nil {
		return fmt.Errorf("user %q: %w", s.User, ErrNotFound)
	}
	b := tx.Bucket(bucketSummaries)
	s.Version = 1
	if last, ok := lastSummary(b, s.User); ok {
		s.Version = last.Version + 1
	}
	if s.Parent >= s.Version {
		return fmt.Errorf("parent version %d does not exist yet", s.Parent)
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = time.Now().UTC()
	}
	s.ID = newID(s.CreatedAt)
	v, err := json.Marshal(s)
	if err != nil {
		return err
	}
	if err := b.Put(summaryKey(s.User, s.Version), v); err != nil {
		return err
	}
	if err := addCounters(tx, summaryCounters(s.Source)); err != nil {
		return err
	}
	if err := noteHumanSummary(tx, s); err != nil {
		return err
	}
	// A new version here is current, whatever a merge pinned.
	return tx.Bucket(bucketCurrent).Delete([]byte(s.User))
}

// currentSummary is the user's current version: the one a merge pinned,
// else the newest.
func currentSummary(tx *bolt.Tx, user string) (Summary, bool) {
	return decodeCurrentSummary(currentSummaryRecords(tx, user))
}

// currentSummaryRecords are the records currentSummary chooses from, as
// stored: the version a merge pinned (nil when none) and the newest (nil
// when the user has none). They are decoded apart (decodeCurrentSummary),
// so that a scan reads them in its transaction's goroutine and decodes
// them on every core.
func currentSummaryRecords(tx *bolt.Tx, user string) (pinned, last []byte) {
	b := tx.Bucket(bucketSummaries)
	if pin := tx.Bucket(bucketCurrent).Get([]byte(user)); len(pin) == 4 {
		pinned = b.Get(summaryKey(user, int(binary.BigEndian.Uint32(pin))))
	}
	return pinned, lastSummaryRecord(b, user)
}

// decodeCurrentSummary is the current version from its records: the
// pinned one, else (none, or not readable) the newest; ok is false when
// neither is readable.
func decodeCurrentSummary(pinned, last []byte) (Summary, bool) {
	var s Summary
	if pinned != nil && decodeSummary(pinned, &s) == nil {
		return s, true
	}
	if last == nil || decodeSummary(last, &s) != nil {
		return Summary{}, false
	}
	return s, true
}

// pinCurrentSummary keeps the user's current version current while a
// merge adds versions after it, and reports whether the user has one. A
// pin already there stays: it names the version current before any merge.
func pinCurrentSummary(tx *bolt.Tx, user string) (bool, error) {
	pins := tx.Bucket(bucketCurrent)
	if pins.Get([]byte(user)) != nil {
		return true, nil
	}
	last, ok := lastSummary(tx.Bucket(bucketSummaries), user)
	if !ok {
		return false, nil // no version here: the newest that comes in is current
	}
	return true, pins.Put([]byte(user), binary.BigEndian.AppendUint32(nil, uint32(last.Version)))
}

func lastSummary(b *bolt.Bucket, user string) (Summary, bool) {
	var s Summary
	v := lastSummaryRecord(b, user)
	if v == nil || json.Unmarshal(v, &s) != nil {
		return Summary{}, false
	}
	return s, true
}

// lastSummaryRecord is the user's newest version as stored; nil when
// there is none.
func lastSummaryRecord(b *bolt.Bucket, user string) []byte {
	prefix := userPrefix(user)
	c := b.Cursor()
	// Seek past the user's last possible key, then step back.
	k, v := c.Seek(append(append([]byte{}, prefix...), 0xff, 0xff, 0xff, 0xff, 0xff))
	if k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	if k == nil || !bytes.HasPrefix(k, prefix) {
		return nil
	}
	return v
}

// CurrentSummary returns the user's current summary version (the newest,
// unless a merge added versions after it); ok is false when the user has
// none.
func (db *DB) CurrentSummary(user string) (s Summary, ok bool, err error) {
	err = db.bolt.View(func(tx *bolt.Tx) error {
		s, ok = currentSummary(tx, user)
		return nil
	})
	return s, ok, err
}

// Summaries returns every version of a user's summary, oldest first.
func (db *DB) Summaries(user string) ([]Summary, error) {
	out, _, err := db.SummaryVersions(user)
	return out, err
}

// SummaryVersions returns every version of a user's summary, oldest first,
// and the number of the current one (0 when there is none), read together.
func (db *DB) SummaryVersions(user string) (versions []Summary, current int, err error) {
	err = db.bolt.View(func(tx *bolt.Tx) error {
		prefix := userPrefix(user)
		c := tx.Bucket(bucketSummaries).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var s Summary
			if err := json.Unmarshal(v, &s); err != nil {
				return fmt.Errorf("summary %q: %w", k, err)
			}
			versions = append(versions, s)
		}
		if cur, ok := currentSummary(tx, user); ok {
			current = cur.Version
		}
		return nil
	})
	return versions, current, err
}

// EachSummary calls fn for every summary version of every user, user by
// user, oldest version first.
func (db *DB) EachSummary(fn func(Summary) error) error {
	return db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSummaries).ForEach(func(k, v []byte) error {
			var s Summary
			if err := json.Unmarshal(v, &s); err != nil {
				return fmt.Errorf("summary %q: %w", k, err)
			}
			return fn(s)
		})
	})
}

// UserSummaries is one user's summary versions, as an export reads them.
// It is valid during the call it is passed to.
type UserSummaries struct {
	User     string
	Versions []Summary // oldest first
	Current  int       // the current version's number
	// Decisions are the user's current decisions between summaries, oldest
	// first, when read by EachUserSummariesJudged.
	Decisions []*Decision
	tx        *bolt.Tx
	stored    *StoredUser // the signals ScanUserSummaries read, if it did
}

// Signals reads the user's signals, from the same snapshot.
func (u UserSummaries) Signals() ([]Signal, error) {
	switch {
	case u.stored != nil:
		return u.stored.Signals()
	case u.tx == nil:
		return nil, fmt.Errorf("user %q: the signals were not read with the summaries", u.User)
	}
	return userSignals(u.tx, u.User)
}

// EachUserSummaries calls fn for every user with a summary version, in id
// order, from one snapshot. Summaries are keyed user by user, so one
// user's versions are read together and memory holds one user's versions
// at a time.
func (db *DB) EachUserSummaries(fn func(UserSummaries) error) error {
	return db.bolt.View(func(tx *bolt.Tx) error { return eachUserSummaries(tx, nil, fn) })
}

// eachUserSummaries is EachUserSummaries within tx, each user given the
// decisions listed for them.
func eachUserSummaries(tx *bolt.Tx, decisions map[string][]*Decision, fn func(UserSummaries) error) error {
	u := UserSummaries{tx: tx}
	pins := tx.Bucket(bucketCurrent)
	flush := func() error {
		if len(u.Versions) == 0 {
			return nil
		}
		u.User = u.Versions[0].User
		u.Current = currentVersion(pins.Get([]byte(u.User)), u.Versions)
		u.Decisions = decisions[u.User]
		err := fn(u)
		u.Versions = u.Versions[:0]
		return err
	}
	err := tx.Bucket(bucketSummaries).ForEach(func(k, v []byte) error {
		// Every version of every user is read: with the scanner, as
		// exports read label heads (a test holds it to encoding/json).
		var s Summary
		if err := decodeSummary(v, &s); err != nil {
			return fmt.Errorf("summary %q: %w", k, err)
		}
		if len(u.Versions) > 0 && u.Versions[0].User != s.User {
			if err := flush(); err != nil {
				return err
			}
		}
		u.Versions = append(u.Versions, s)
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

// currentVersion is the number of the current version of a user whose
// versions (every one, oldest first, all readable) are given, and whose
// current_summary record is pin (nil when none): the one a merge pinned
// when it is among them, else the newest, as currentSummary says, without
// reading them again.
func currentVersion(pin []byte, versions []Summary) int {
	if len(pin) == 4 {
		pinned := int(binary.BigEndian.Uint32(pin))
		for _, v := range versions {
			if v.Version == pinned {
				return pinned
			}
		}
	}
	return versions[len(versions)-1].Version
}

// ErrNoHistory is a user with nothing a summarizer may see: no history
// pairs, texts or profile. Summary exports leave such users out.
var ErrNoHistory = errors.New("no history to summarize")

// summaryCounters counts one summary version of the given source.
func summaryCounters(source string) counters {
	c := counters{Summaries: 1}
	if source == SourceHuman {
		c.SummariesHuman = 1
	}
	return c
}
