package store

import (
	"context"
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

	mgImport(t, b, mgUsers)
	mgImport(t, b, `{"user":"only-b","kind":"text","text":"hi"}`+"\n")
	mgSummary(t, b, "only-b", "b's summary", 0)
	mgGenerate(t, b, "only-b", "t1", "b2", "b's answer")
	b.Close()
	mgMerge(t, a, b.Path())
	c = wantCountersMatchScan(t, a, "after a merge that brought a user across")
	if c.Summaries != 2 || c.Generations != 2 {
		t.Errorf("after the merge: counters %+v, want 2 summaries and 2 generations", c)
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
