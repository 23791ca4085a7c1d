package store

import (
	"context"
	"maps"
	"strconv"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// wantCountersMatchScan fails unless the kept counters say what a scan of
// the database counts.
func wantCountersMatchScan(t *testing.T, db *DB, when string) counters {
	t.Helper()
	var kept, scanned counters
	err := db.bolt.View(func(tx *bolt.Tx) (err error) {
		if kept, err = readCounters(tx); err != nil {
			return err
		}
		scanned, err = scanCounters(tx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if kept != scanned {
		t.Errorf("%s: counters %+v, a scan counts %+v", when, kept, scanned)
	}
	var keptDatasets, scannedDatasets map[string]int
	err = db.bolt.View(func(tx *bolt.Tx) (err error) {
		if keptDatasets, err = readDatasetUsers(tx); err != nil {
			return err
		}
		scannedDatasets, err = scanDatasetUsers(tx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(keptDatasets, scannedDatasets) {
		t.Errorf("%s: users per dataset %v, a scan counts %v", when, keptDatasets, scannedDatasets)
	}
	return kept
}

func TestCountersFollowEveryWrite(t *testing.T) {
	dir := t.TempDir()
	a, b := mgOpen(t, dir, "a.db"), mgOpen(t, dir, "b.db")
	wantCountersMatchScan(t, a, "new database")
	mgImport(t, a, mgUsers)
	c := wantCountersMatchScan(t, a, "after an import")
	if c.Users == 0 || c.Signals.HistoryPairs == 0 {
		t.Errorf("after an import: counters %+v count nothing", c)
	}
	mgImport(t, a, mgUsers) // idempotent: nothing added, nothing counted
	wantCountersMatchScan(t, a, "after importing the same file again")
	bad := `{"user":"new","kind":"pair","prompt":"p","chosen":"c","rejected":"r"}` + "\n{not json\n"
	if _, err := a.Import(context.Background(), "bad.jsonl", strings.NewReader(bad), ImportOptions{}); err == nil {
		t.Fatal("a file with a bad record was imported")
	}
	wantCountersMatchScan(t, a, "after a rejected import")
	mgSummary(t, a, "u1", "likes short answers", 0)
	mgGenerate(t, a, "u1", "t1", "b1", "an answer")
	wantCountersMatchScan(t, a, "after a summary and a generation")

	tagged := `{"user":"t1","kind":"text","text":"hi"}` + "\n" + `{"user":"u1","kind":"text","id":"more","text":"again"}` + "\n"
	if _, err := a.Import(context.Background(), "tagged.jsonl", strings.NewReader(tagged), ImportOptions{Format: FormatPopi, Dataset: "alignx"}); err != nil {
		t.Fatal(err)
	}
	wantCountersMatchScan(t, a, "after an import with a dataset (one user new, one not)")

	mgImport(t, b, mgUsers)
	if _, err := b.Import(context.Background(), "b.jsonl", strings.NewReader(`{"user":"b-tagged","kind":"text","text":"hi"}`+"\n"), ImportOptions{Format: FormatPopi, Dataset: "prism"}); err != nil {
		t.Fatal(err)
	}
	mgSummary(t, b, "b-tagged", "b's tagged summary", 0)
	mgImport(t, b, `{"user":"only-b","kind":"text","text":"hi"}`+"\n")
	mgSummary(t, b, "only-b", "b's summary", 0)
	mgGenerate(t, b, "only-b", "t1", "b2", "b's answer")
	b.Close()
	mgMerge(t, a, b.Path())
	c = wantCountersMatchScan(t, a, "after a merge that brought users across, one of a dataset")
	if c.Summaries != 3 || c.Generations != 2 {
		t.Errorf("after the merge: counters %+v, want 3 summaries and 2 generations", c)
	}
	if got, err := a.DatasetUsers(); err != nil || got["prism"] != 1 || got["alignx"] != 1 {
		t.Errorf("after the merge: users per dataset %v (%v), want one of prism and one of alignx", got, err)
	}
	if n, err := a.UserCount(); err != nil || n != c.Users {
		t.Errorf("UserCount = %d, %v; want %d", n, err, c.Users)
	}
}

// A database of schema 5 has no counters: opening it computes them once.
func TestCountersMigratedOnOpen(t *testing.T) {
	dir := t.TempDir()
	db := mgOpen(t, dir, "old.db")
	mgImport(t, db, mgUsers)
	mgSummary(t, db, "u1", "a summary", 0)
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if err := meta.Delete(keyCounters); err != nil {
			return err
		}
		return meta.Put(keySchema, []byte("5"))
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = mgOpen(t, dir, "old.db")
	if c := wantCountersMatchScan(t, db, "after the upgrade"); c.Users == 0 || c.Summaries != 1 {
		t.Errorf("after the upgrade: counters %+v", c)
	}
}

// mgDowngrade makes the database name in dir look as schema left it (undo
// takes away what later schemas added), then reopens it: the migrations
// from schema on run.
func mgDowngrade(t *testing.T, db *DB, dir, name string, schema int, undo func(tx *bolt.Tx) error) *DB {
	t.Helper()
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		if err := undo(tx); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(keySchema, []byte(strconv.Itoa(schema)))
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	return mgOpen(t, dir, name)
}

// A database of schema 8 does not count the users of each dataset:
// opening it counts them once.
func TestDatasetUsersMigratedOnOpen(t *testing.T) {
	dir := t.TempDir()
	db := mgOpen(t, dir, "old.db")
	mgImport(t, db, mgUsers)
	if _, err := db.Import(context.Background(), "t.jsonl", strings.NewReader(`{"user":"t1","kind":"text","text":"hi"}`+"\n"), ImportOptions{Format: FormatPopi, Dataset: "alignx"}); err != nil {
		t.Fatal(err)
	}
	db = mgDowngrade(t, db, dir, "old.db", 8, func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Delete(keyDatasetUsers) })
	wantCountersMatchScan(t, db, "after the upgrade")
	if got, err := db.DatasetUsers(); err != nil || !maps.Equal(got, map[string]int{"": 2, "alignx": 1}) {
		t.Errorf("after the upgrade: users per dataset %v (%v), want 2 untagged and 1 of alignx", got, err)
	}
}
