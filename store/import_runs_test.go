package store

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// With runs spilled every few records, a record repeated in another run
// is a duplicate (its second body removed) and another record under a
// taken id is a conflict that rejects the file, as within one run.
func TestImportAcrossSpilledRuns(t *testing.T) {
	defer func(n int) { indexFlushEntries = n }(indexFlushEntries)
	indexFlushEntries = 3
	var b strings.Builder
	for i := 0; i < 20; i++ {
		b.WriteString(`{"user":"u` + string(rune('a'+i%5)) + `","kind":"task","id":"t` + string(rune('a'+i)) + `","prompt":"p"}` + "\n")
	}
	b.WriteString(`{"user":"ua","kind":"task","id":"ta","prompt":"p"}` + "\n") // the first record again
	db := openTestDB(t)
	rep, err := db.Import(context.Background(), "runs.jsonl", strings.NewReader(b.String()), ImportOptions{})
	if err != nil || rep.Users != 5 || rep.Added.Tasks != 20 || rep.Duplicates != 1 {
		t.Fatalf("import: %+v, %v; want 5 users, 20 tasks, 1 duplicate", rep, err)
	}
	wantCountersMatchScan(t, db, "after the import")
	var bodies int
	db.bolt.View(func(tx *bolt.Tx) error { bodies = tx.Bucket(bucketBodies).Stats().KeyN; return nil })
	if bodies != 20 {
		t.Errorf("%d bodies stored, want 20 (the duplicate's removed)", bodies)
	}

	other := openTestDB(t)
	conflict := b.String() + `{"user":"ub","kind":"task","id":"tb","prompt":"another prompt"}` + "\n"
	rep, err = other.Import(context.Background(), "conflict.jsonl", strings.NewReader(conflict), ImportOptions{})
	if !errors.Is(err, ErrRejected) || len(rep.Errors) != 1 || rep.Errors[0].Line != 22 || !strings.Contains(rep.Errors[0].Reason, "already taken") {
		t.Fatalf("import of a file taking an id twice: %v, errors %v; want rejected, line 22 named", err, rep.Errors)
	}
	if st := wantCountersMatchScan(t, other, "after the rejected import"); st.Users != 0 || st.Signals.Tasks != 0 {
		t.Errorf("the rejected import left %+v", st)
	}
	var left int
	other.bolt.View(func(tx *bolt.Tx) error {
		left = tx.Bucket(bucketBodies).Stats().KeyN + tx.Bucket(bucketSignals).Stats().KeyN
		return nil
	})
	if left != 0 {
		t.Errorf("the rejected import left %d bodies and index entries", left)
	}
	for _, d := range []*DB{db, other} {
		if _, err := os.Stat(runsDir(d.Path())); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("the runs of %s are still there (%v)", d.Path(), err)
		}
	}
}

// The runs a killed import left are removed by the next Open.
func TestOpenRemovesRunsOfAKilledImport(t *testing.T) {
	path := filepath.Join(t.TempDir(), "popi.db")
	if err := os.MkdirAll(filepath.Join(runsDir(path)), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(runsDir(path), "index-0"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := os.Stat(runsDir(path)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the runs are still there after Open (%v)", err)
	}
}
