package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/popi-tui/popi-tui/store/signal"
)

// Merging brings what other annotators did on other machines (labels,
// summary versions, generations) into this database. Every record keeps
// its id, so a record that is already here is recognised by id and merging
// the same file twice adds nothing. Sessions are not merged: they say
// where one annotator is on one machine.

// ErrSameDatabase is returned by Merge when asked to merge a database into
// itself.
var ErrSameDatabase = errors.New("that is this database: a database cannot be merged into itself")

// MergeCounts is what a merge did with one kind of record.
type MergeCounts struct {
	Added     int // new here
	Already   int // already here: the same id with the same content
	Conflicts int // the same id with different content: the record here was kept
	// Skipped summaries belong to a user neither database has, and a
	// summary cannot be stored without its user.
	Skipped int
}

// MergeConflict is one record that was not merged because its id is
// already here with other content.
type MergeConflict struct {
	Kind   string // "label", "summary" or "generation"
	ID     string
	Reason string // what differs, briefly
}

func (c MergeConflict) String() string { return c.Kind + " " + c.ID + ": " + c.Reason }

// MaxReportedConflicts is how many conflicts a MergeReport lists; the rest
// are only counted (in the per-kind Conflicts).
const MaxReportedConflicts = 1000

// MergeReport says what merging one database did.
type MergeReport struct {
	File        string
	Labels      MergeCounts
	Summaries   MergeCounts
	Generations MergeCounts
	// Renumbered counts the summaries added under another version number
	// than they had in File (this database's own versions came first).
	Renumbered int
	// KeptCurrent counts the users whose current summary here stayed
	// current while newer versions came in after it.
	KeptCurrent int
	// CacheEntries counts generation-cache entries added: keys this
	// database had no cached answer for.
	CacheEntries int
	// Users were brought across, with their signals, because merged records
	// belong to them and this database did not have them.
	Users   int
	Signals Counts
	// Conflicts lists the first MaxReportedConflicts conflicts, labels
	// first in File's order, then summaries, then generations.
	Conflicts []MergeConflict
	// SharedNames are annotator names that decided the same items in both
	// databases, each on its own: likely two people under one name (the
	// default is the login name). The newest decision counts, so one
	// person's work drops out of the statistics.
	SharedNames []SharedName
}

// SharedName is an annotator name both databases decided the same items
// under, independently.
type SharedName struct {
	Annotator string
	Items     int
}

// ConflictCount is the number of conflicts of every kind.
func (r MergeReport) ConflictCount() int {
	return r.Labels.Conflicts + r.Summaries.Conflicts + r.Generations.Conflicts
}

// Merge brings the labels, summary versions and generations of the
// database at otherPath into this one, in one transaction (all or nothing,
// on disk when Merge returns). The other database is only read.
//
//   - A label, summary or generation whose id is not here is added, keeping
//     its id. One whose id is here with the same content is skipped; with
//     other content it is a conflict: reported, never overwritten.
//   - Labels are appended in the other database's order, byte for byte, so
//     retractions and amendments, which name label ids, keep working.
//   - Summary versions are numbered per user. A summary that comes across is
//     stored as its user's next version here, so its Version may differ
//     from the one it had (while its ID is kept); its Parent is renumbered
//     to match, or 0 when the parent did not come across. Labels and
//     generations name summaries by id, which does not change. A user's
//     current summary here stays current (it is pinned) until a new
//     version is made here; a user with none here gets the newest that
//     came in.
//   - A generation-cache entry is added only for keys without one here: the
//     answer this database already uses for a key stays its answer.
//   - A merged record whose user this database lacks brings that user
//     across, with all their signals (signals already here are not
//     duplicated). Other users of the other database are not merged: import
//     their data.
//
// Sessions are not merged (they are per machine). ctx stops a merge before
// it commits, leaving this database as it was.
func (db *DB) Merge(ctx context.Context, otherPath string) (MergeReport, error) {
	rep, err := db.merge(ctx, otherPath)
	if err != nil {
		var damaged *DamagedError
		switch {
		case errors.Is(err, ErrInterrupted):
			return MergeReport{File: otherPath}, fmt.Errorf("merge %s: %w; nothing from it was merged", otherPath, err)
		case errors.As(err, &damaged) && damaged.Path == otherPath: // names the file already
			return MergeReport{File: otherPath}, fmt.Errorf("merge: %w; nothing from it was merged", err)
		}
		return MergeReport{File: otherPath}, fmt.Errorf("merge %s: %w", otherPath, err)
	}
	return rep, nil
}

func (db *DB) merge(ctx context.Context, otherPath string) (MergeReport, error) {
	if err := ctx.Err(); err != nil {
		return MergeReport{}, ErrInterrupted
	}
	// Refused before opening: our own lock would make the read-only open
	// wait out its timeout and then blame "another process".
	if err := db.checkNotSelf(otherPath); err != nil {
		return MergeReport{}, err
	}
	other, err := openMergeSource(otherPath)
	if err != nil {
		return MergeReport{}, err
	}
	defer other.Close()

	// Merging appends signal bodies when it brings users across; an import's
	// rollback removes every body from its start on, so the two must not
	// interleave, and an import this process failed to roll back is rolled
	// back first (as Import does).
	db.importMu.Lock()
	defer db.importMu.Unlock()
	if err := db.recoverImport(); err != nil {
		return MergeReport{}, err
	}

	var rep MergeReport
	err = other.View(func(src *bolt.Tx) error {
		if err := checkMergeSource(src); err != nil {
			return err
		}
		// The records read from src are put into this database straight
		// from src's memory map: they stay valid until src ends, which is
		// after this transaction has committed.
		return db.bolt.Update(func(dst *bolt.Tx) error {
			m := mergeTx{ctx: ctx, src: src, dst: dst, rep: MergeReport{File: otherPath}, users: map[string]bool{}}
			if err := m.run(); err != nil {
				return err
			}
			rep = m.rep
			return nil
		})
	})
	if err != nil {
		return MergeReport{}, err
	}
	return rep, nil
}

// checkNotSelf refuses a path that is this database's file, by name or
// (through links, other spellings of the path) by identity.
func (db *DB) checkNotSelf(otherPath string) error {
	here, err1 := filepath.Abs(db.path)
	there, err2 := filepath.Abs(otherPath)
	if err1 == nil && err2 == nil && filepath.Clean(here) == filepath.Clean(there) {
		return ErrSameDatabase
	}
	st, err := os.Stat(otherPath)
	if err != nil {
		return err // names the file already
	}
	if mine, err := os.Stat(db.path); err == nil && os.SameFile(st, mine) {
		return ErrSameDatabase
	}
	return nil
}

// openMergeSource opens a database to merge from, read-only: it is never
// changed, not even upgraded or recovered.
func openMergeSource(path string) (boltDB, error) {
	st, err := os.Stat(path)
	switch {
	case err != nil:
		return boltDB{}, err
	case st.IsDir():
		return boltDB{}, errors.New("is a directory")
	}
	return openBolt(path, &bolt.Options{ReadOnly: true})
}

// oldestMergeSchema is the oldest layout a merge reads as it is: the
// buckets merged (users, signals, summaries, generations, labels) have not
// changed since. Raise it when a migration changes one of them.
const oldestMergeSchema = 1

// checkMergeSource checks that a database to merge from is in the layout
// this build reads, and whole.
func checkMergeSource(tx *bolt.Tx) error {
	meta := tx.Bucket(bucketMeta)
	version, err := schemaVersion(meta)
	switch target := SchemaVersion(); {
	case err != nil:
		return err
	case version == 0:
		return errors.New("not a popi-tui database (no schema version)")
	case version < oldestMergeSchema:
		// Reading it as it is would misread it, and upgrading it means
		// writing to it: that is for popi-tui opening it, not for a merge.
		return fmt.Errorf("in an older layout (schema %d; a merge reads %d to %d): open it once with this popi-tui (popi-tui stats --db FILE) to upgrade it, then merge it", version, oldestMergeSchema, target)
	}
	for _, name := range [][]byte{bucketUsers, bucketSignals, bucketBodies, bucketSummaries, bucketGenerations, bucketGenCache, bucketLabels} {
		if tx.Bucket(name) == nil {
			return fmt.Errorf("not a popi-tui database (no %s bucket)", name)
		}
	}
	if meta.Get(keyImportPending) != nil {
		// Its journal says some of its signals are not part of it; only
		// opening it for writing rolls them back.
		return errors.New("an import into it was interrupted: open it once with popi-tui (popi-tui stats --db FILE) to roll that back, then merge it")
	}
	return nil
}

// mergeTx is one merge: a read transaction of the other database and the
// write transaction of this one.
type mergeTx struct {
	ctx      context.Context
	src, dst *bolt.Tx
	rep      MergeReport
	// users caches whether a user is here (or has been brought across):
	// false for one that neither database has.
	users map[string]bool
	steps int
}

// mergeCheckEvery is how many records a merge handles between looks at
// its context.
const mergeCheckEvery = 1024

func (m *mergeTx) run() error {
	for _, step := range []func() error{m.summaries, m.generations, m.labels} {
		if err := step(); err != nil {
			return err
		}
	}
	if m.ctx.Err() != nil { // a last look: stopped now, nothing is committed
		return ErrInterrupted
	}
	return nil
}

// tick is called once per record; it stops the merge when ctx is done.
func (m *mergeTx) tick() error {
	if m.steps++; m.steps%mergeCheckEvery == 0 && m.ctx.Err() != nil {
		return ErrInterrupted
	}
	return nil
}

func (m *mergeTx) conflict(counts *MergeCounts, kind, id, reason string) {
	counts.Conflicts++
	if len(m.rep.Conflicts) < MaxReportedConflicts {
		m.rep.Conflicts = append(m.rep.Conflicts, MergeConflict{Kind: kind, ID: id, Reason: reason})
	}
}

// labels appends the other database's labels that are not here, in its
// order, byte for byte.
func (m *mergeTx) labels() error {
	dst := m.dst.Bucket(bucketLabels)
	here := map[string]uint64{} // label id → its Seq here
	err := dst.ForEach(func(k, v []byte) error {
		var l struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(v, &l); err != nil {
			return fmt.Errorf("this database's label %d: %w", decodeSeqKey(k), err)
		}
		here[l.ID] = decodeSeqKey(k)
		return nil
	})
	if err != nil {
		return err
	}
	// An incoming decision on an item this database already has a current
	// decision for, from the same name, where the other database has never
	// seen that decision: two lines of work under one name.
	before, err := currentPerItem(m.dst)
	if err != nil {
		return err
	}
	theirs := map[string]bool{}
	err = m.src.Bucket(bucketLabels).ForEach(func(k, v []byte) error {
		var l struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(v, &l) == nil {
			theirs[l.ID] = true
		}
		return nil
	})
	if err != nil {
		return err
	}
	shared := map[string]map[string]bool{} // annotator → items
	defer func() {
		for _, name := range slices.Sorted(maps.Keys(shared)) {
			m.rep.SharedNames = append(m.rep.SharedNames, SharedName{Annotator: name, Items: len(shared[name])})
		}
	}()
	return m.src.Bucket(bucketLabels).ForEach(func(k, v []byte) error {
		if err := m.tick(); err != nil {
			return err
		}
		var l Label
		if err := json.Unmarshal(v, &l); err != nil {
			return fmt.Errorf("label %d: %w", decodeSeqKey(k), err)
		}
		if l.ID == "" {
			return fmt.Errorf("label %d has no id", decodeSeqKey(k))
		}
		if seq, ok := here[l.ID]; ok {
			differ, err := mergeDiff[Label](dst.Get(seqKey(seq)), v, nil)
			if err != nil {
				return fmt.Errorf("label %s: %w", l.ID, err)
			}
			if differ != "" {
				m.conflict(&m.rep.Labels, "label", l.ID, differ)
			} else {
				m.rep.Labels.Already++
			}
			return nil
		}
		if id, ok := before[l.ItemKey()]; ok && l.Kind == LabelDecision && !theirs[id] {
			if shared[l.Annotator] == nil {
				shared[l.Annotator] = map[string]bool{}
			}
			shared[l.Annotator][l.ItemKey()] = true
		}
		if l.User != "" {
			if _, err := m.ensureUser(l.User); err != nil {
				return err
			}
		}
		seq, err := dst.NextSequence()
		if err != nil {
			return err
		}
		if err := dst.Put(seqKey(seq), v); err != nil {
			return err
		}
		here[l.ID] = seq
		m.rep.Labels.Added++
		return nil
	})
}

// summaries adds the other database's summary versions that are not here,
// each as its user's next version here.
func (m *mergeTx) summaries() error {
	dst := m.dst.Bucket(bucketSummaries)
	here := map[string][]byte{} // summary id → its key here
	err := dst.ForEach(func(k, v []byte) error {
		var s struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(v, &s); err != nil {
			return fmt.Errorf("this database's summary %q: %w", k, err)
		}
		here[s.ID] = bytes.Clone(k)
		return nil
	})
	if err != nil {
		return err
	}
	// versions maps a summary of the other database (user NUL its version
	// there) to its version here, for the parents of later versions: a
	// user's versions come in order, so a parent is always mapped before
	// its children.
	versions := map[string]int{}
	pinned := map[string]bool{} // users whose current version here is kept current
	ignoreVersions := func(s *Summary) { s.Version, s.Parent = 0, 0 }
	return m.src.Bucket(bucketSummaries).ForEach(func(k, v []byte) error {
		if err := m.tick(); err != nil {
			return err
		}
		var s Summary
		if err := json.Unmarshal(v, &s); err != nil {
			return fmt.Errorf("summary %q: %w", k, err)
		}
		if s.ID == "" || signal.CheckID(s.User) != "" || s.Version <= 0 {
			return fmt.Errorf("summary %q: no id, user or version", k)
		}
		if hk, ok := here[s.ID]; ok {
			hv := dst.Get(hk)
			// Versions are numbered per database: the same summary may
			// carry another number here, and so may its parent.
			differ, err := mergeDiff(hv, v, ignoreVersions)
			if err != nil {
				return fmt.Errorf("summary %s: %w", s.ID, err)
			}
			if differ != "" {
				m.conflict(&m.rep.Summaries, "summary", s.ID, differ)
				return nil
			}
			m.rep.Summaries.Already++
			if len(hk) >= 4 {
				versions[mergeVersionKey(s.User, s.Version)] = int(binary.BigEndian.Uint32(hk[len(hk)-4:]))
			}
			return nil
		}
		ok, err := m.ensureUser(s.User)
		if err != nil {
			return err
		}
		if !ok {
			m.rep.Summaries.Skipped++
			return nil
		}
		if !pinned[s.User] {
			// Before the first version comes in: what is current here
			// stays current.
			kept, err := pinCurrentSummary(m.dst, s.User)
			if err != nil {
				return err
			}
			if kept {
				m.rep.KeptCurrent++
			}
			pinned[s.User] = true
		}
		version := 1
		if last, ok := lastSummary(dst, s.User); ok {
			version = last.Version + 1
		}
		parent := 0
		if s.Parent > 0 {
			parent = versions[mergeVersionKey(s.User, s.Parent)] // 0: the parent did not come across
		}
		if version != s.Version {
			m.rep.Renumbered++
		}
		oldVersion := s.Version
		s.Version, s.Parent = version, parent
		nv, err := json.Marshal(s)
		if err != nil {
			return err
		}
		key := summaryKey(s.User, version)
		if dst.Get(key) != nil {
			// lastSummary reads an undecodable newest version as none: never
			// write over a version here.
			return fmt.Errorf("this database's summaries of %q are unreadable", s.User)
		}
		if err := dst.Put(key, nv); err != nil {
			return err
		}
		here[s.ID] = key
		versions[mergeVersionKey(s.User, oldVersion)] = version
		m.rep.Summaries.Added++
		return nil
	})
}

func mergeVersionKey(user string, version int) string {
	return user + "\x00" + strconv.Itoa(version)
}

// generations adds the other database's generations that are not here,
// then the cache entries for keys that have none here.
func (m *mergeTx) generations() error {
	dst := m.dst.Bucket(bucketGenerations)
	conflicted := map[string]bool{}
	err := m.src.Bucket(bucketGenerations).ForEach(func(k, v []byte) error {
		if err := m.tick(); err != nil {
			return err
		}
		var g Generation
		if err := json.Unmarshal(v, &g); err != nil {
			return fmt.Errorf("generation %q: %w", k, err)
		}
		if len(k) == 0 || g.ID != string(k) {
			return fmt.Errorf("generation %q is stored under another id (%q)", k, g.ID)
		}
		if fillReplayMessages(&g) { // as the migration to schema 4 did here
			var err error
			if v, err = json.Marshal(g); err != nil {
				return fmt.Errorf("generation %s: %w", g.ID, err)
			}
		}
		if hv := dst.Get(k); hv != nil {
			differ, err := mergeDiff[Generation](hv, v, nil)
			if err != nil {
				return fmt.Errorf("generation %s: %w", g.ID, err)
			}
			if differ != "" {
				conflicted[g.ID] = true
				m.conflict(&m.rep.Generations, "generation", g.ID, differ)
			} else {
				m.rep.Generations.Already++
			}
			return nil
		}
		if g.User != "" {
			if _, err := m.ensureUser(g.User); err != nil {
				return err
			}
		}
		if err := dst.Put(k, v); err != nil {
			return err
		}
		m.rep.Generations.Added++
		return nil
	})
	if err != nil {
		return err
	}
	cache := m.dst.Bucket(bucketGenCache)
	return m.src.Bucket(bucketGenCache).ForEach(func(k, id []byte) error {
		if err := m.tick(); err != nil {
			return err
		}
		// A key cached here keeps its answer; an entry must not point at a
		// generation that is not here, or at another one under its id.
		if cache.Get(k) != nil || conflicted[string(id)] || dst.Get(id) == nil {
			return nil
		}
		if err := cache.Put(k, id); err != nil {
			return err
		}
		m.rep.CacheEntries++
		return nil
	})
}

// ensureUser reports whether user is here, first bringing them across
// with their signals when only the other database has them.
func (m *mergeTx) ensureUser(user string) (bool, error) {
	if ok, seen := m.users[user]; seen {
		return ok, nil
	}
	users := m.dst.Bucket(bucketUsers)
	if users.Get([]byte(user)) != nil {
		m.users[user] = true
		return true, nil
	}
	uv := m.src.Bucket(bucketUsers).Get([]byte(user))
	if uv == nil || signal.CheckID(user) != "" {
		m.users[user] = false
		return false, nil
	}
	var u User
	if err := json.Unmarshal(uv, &u); err != nil {
		return false, fmt.Errorf("user %q: %w", user, err)
	}
	signals, err := userSignals(m.src, user)
	if err != nil {
		return false, err
	}
	bodies, idx := m.dst.Bucket(bucketBodies), m.dst.Bucket(bucketSignals)
	// FirstSeq is the first body appended for the user, or the last body
	// there is when none is: below every later import's bodies either way,
	// so that rolling one of those back cannot remove this user.
	var first uint64
	for i := range signals {
		s := &signals[i]
		key := signalKey(user, s.ID)
		if idx.Get(key) != nil {
			continue // already here
		}
		seq, err := bodies.NextSequence()
		if err != nil {
			return false, err
		}
		if first == 0 {
			first = seq
		}
		if err := bodies.Put(seqKey(seq), encodeSignal(make([]byte, 0, encodedSignalSize(s)), s)); err != nil {
			return false, err
		}
		if err := idx.Put(key, encodeIndexEntry(seq, s.Kind, s.Split)); err != nil {
			return false, err
		}
		m.rep.Signals.add(s.Kind, s.Split, 1)
	}
	if first == 0 {
		first = bodies.Sequence()
	}
	nu := User{ID: user, Meta: u.Meta, FirstSeq: first}
	v, err := json.Marshal(nu)
	if err != nil {
		return false, err
	}
	if err := users.Put([]byte(user), v); err != nil {
		return false, err
	}
	m.users[user] = true
	m.rep.Users++
	return true, nil
}

// mergeDiff compares two stored records of one type by content: both are
// decoded (and normalized, when normalize is given) and encoded again, so
// that records that say the same thing compare equal however they were
// written. It returns "" for the same content, else which fields differ.
func mergeDiff[T any](here, there []byte, normalize func(*T)) (string, error) {
	if normalize == nil && bytes.Equal(here, there) {
		return "", nil
	}
	var fields [2]map[string]json.RawMessage
	for i, raw := range [2][]byte{here, there} {
		var rec T
		if err := json.Unmarshal(raw, &rec); err != nil {
			return "", err
		}
		if normalize != nil {
			normalize(&rec)
		}
		canonical, err := json.Marshal(rec)
		if err != nil {
			return "", err
		}
		if err := json.Unmarshal(canonical, &fields[i]); err != nil {
			return "", err
		}
	}
	var differ []string
	for name, v := range fields[0] {
		if w, ok := fields[1][name]; !ok || !bytes.Equal(v, w) {
			differ = append(differ, name)
		}
	}
	for name := range fields[1] {
		if _, ok := fields[0][name]; !ok {
			differ = append(differ, name)
		}
	}
	if len(differ) == 0 {
		return "", nil
	}
	slices.Sort(differ)
	return "already here with other content (differs in " + strings.Join(differ, ", ") + "); the record here was kept", nil
}
