package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
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
			m := mergeTx{ctx: ctx, src: src, dst: dst, rep: MergeReport{File: otherPath}, users: map[string]bool{}, addedDatasets: map[string]int{}}
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
	users         map[string]bool
	steps         int
	added         counters       // what the merge adds, for the counters at its end
	addedDatasets map[string]int // the users it brings, per dataset
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
	if err := addDatasetUsers(m.dst, m.addedDatasets); err != nil {
		return err
	}
	return addCounters(m.dst, m.added)
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
