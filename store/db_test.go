package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func openTestDB(t testing.TB) *DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "popi.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// demoTestDB is openTestDB holding the demo users: storetest.DemoDB for
// the package's own tests, which cannot import storetest (it imports
// store).
func demoTestDB(t testing.TB) *DB {
	t.Helper()
	db := openTestDB(t)
	if _, err := db.LoadDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestOpenCreatesDirectoriesAndSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "popi.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database file not created: %v", err)
	}
	var version string
	db.bolt.View(func(tx *bolt.Tx) error {
		version = string(tx.Bucket(bucketMeta).Get(keySchema))
		for _, name := range allBuckets {
			if tx.Bucket(name) == nil {
				t.Errorf("bucket %s missing", name)
			}
		}
		return nil
	})
	if want := strconv.Itoa(SchemaVersion()); version != want {
		t.Errorf("schema version = %q, want %s", version, want)
	}
}

// A second handle on a file that is open must fail quickly and say why;
// flock(2) locks belong to the open file, so two handles in one process
// behave like two processes.
func TestOpenBusyDatabaseFailsWithinLockTimeout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "popi.db")
	first, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	start := time.Now()
	second, err := Open(path)
	elapsed := time.Since(start)
	if err == nil {
		second.Close()
		t.Fatal("second Open succeeded")
	}
	if !errors.Is(err, ErrInUse) {
		t.Errorf("error %v is not ErrInUse", err)
	}
	want := path + " is in use by another popi-tui process"
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if elapsed > LockTimeout+time.Second {
		t.Errorf("took %v to fail; want about %v", elapsed, LockTimeout)
	}
	first.Close()
	third, err := Open(path)
	if err != nil {
		t.Fatalf("open after the first closed: %v", err)
	}
	third.Close()
}

func TestOpenRejectsForeignFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(path, []byte(strings.Repeat("not a database\n", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "not a popi-tui database") {
		t.Fatalf("error = %v; want one naming the file and saying it is not a popi-tui database", err)
	}
	got, _ := os.ReadFile(path)
	if string(got) != strings.Repeat("not a database\n", 1000) {
		t.Error("the foreign file was changed")
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "popi.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	db.bolt.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keySchema, []byte("99")) })
	db.Close()
	_, err = Open(path)
	if err == nil || !strings.Contains(err.Error(), "newer popi-tui (schema 99") {
		t.Fatalf("error = %v; want a refusal naming schema 99", err)
	}
}

// The migration hook runs pending migrations in order, once.
func TestMigrationsRunOnceInOrder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "popi.db")
	saved := migrations
	t.Cleanup(func() { migrations = saved })
	migrations = nil
	db, err := Open(path) // schema 1
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	var ran []int
	migrations = []func(tx *bolt.Tx) error{
		func(tx *bolt.Tx) error {
			ran = append(ran, 1)
			return tx.Bucket(bucketMeta).Put([]byte("migrated"), []byte("yes"))
		},
		func(tx *bolt.Tx) error { ran = append(ran, 2); return nil },
	}
	for i := 0; i < 2; i++ {
		db, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		db.bolt.View(func(tx *bolt.Tx) error {
			if v := string(tx.Bucket(bucketMeta).Get(keySchema)); v != "3" {
				t.Errorf("schema = %s after migrating, want 3", v)
			}
			if tx.Bucket(bucketMeta).Get([]byte("migrated")) == nil {
				t.Error("migration 1 did not write")
			}
			return nil
		})
		db.Close()
	}
	if len(ran) != 2 || ran[0] != 1 || ran[1] != 2 {
		t.Errorf("migrations ran %v, want [1 2] once", ran)
	}
}

// A failing migration leaves the database at its old schema.
func TestFailedMigrationChangesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "popi.db")
	saved := migrations
	t.Cleanup(func() { migrations = saved })
	migrations = nil
	db, err := Open(path) // schema 1
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	migrations = []func(tx *bolt.Tx) error{func(tx *bolt.Tx) error {
		tx.Bucket(bucketMeta).Put([]byte("half"), []byte("done"))
		return errors.New("disk says no")
	}}
	if _, err := Open(path); err == nil || !strings.Contains(err.Error(), "upgrade schema 1 to 2: disk says no") {
		t.Fatalf("error = %v", err)
	}
	migrations = nil
	db, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.bolt.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketMeta).Get([]byte("half")) != nil {
			t.Error("a failed migration's write survived")
		}
		return nil
	})
}

// Schema 1 kept one session per annotator, its --compare spec written
// "mode=…"; schema 2 keeps them per comparison, and has a bucket for
// evaluation runs.
func TestMigrationSessionsPerComparison(t *testing.T) {
	path := filepath.Join(t.TempDir(), "popi.db")
	saved := migrations
	t.Cleanup(func() { migrations = saved })
	migrations = nil
	db, err := Open(path) // schema 1
	if err != nil {
		t.Fatal(err)
	}
	old := `{"annotator":"ann","compare":"replay=replay:chosen,replay:rejected","position":4,"last_item":"u\u0000ho1","seed":42,"updated_at":"2026-01-02T03:04:05Z"}`
	db.bolt.Update(func(tx *bolt.Tx) error {
		tx.DeleteBucket(bucketEvals)
		return tx.Bucket(bucketSessions).Put([]byte("ann"), []byte(old))
	})
	db.Close()
	migrations = saved
	db, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, ok, err := db.Session("ann", "replay:chosen,replay:rejected")
	if err != nil || !ok || s.Position != 4 || s.Seed != 42 || s.LastItem != "u\x00ho1" || s.Compare != "replay:chosen,replay:rejected" {
		t.Errorf("migrated session: %+v ok %v err %v", s, ok, err)
	}
	if _, ok, _ := db.Session("ann", ""); ok {
		t.Error("the old key is still there")
	}
	if _, err := db.AddEvalRun("accuracy", "accuracy vllm", []byte(`{}`)); err != nil {
		t.Errorf("no evaluation bucket after migrating: %v", err)
	}
}

// Schema 3 adds the bucket that pins a user's current summary after a
// merge; a schema 2 database keeps its newest versions current.
func TestMigrationCurrentSummaryPins(t *testing.T) {
	path := filepath.Join(t.TempDir(), "popi.db")
	saved := migrations
	t.Cleanup(func() { migrations = saved })
	migrations = saved[:1]
	db, err := Open(path) // schema 2
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Import(context.Background(), "u.jsonl", strings.NewReader(`{"user":"u","kind":"text","text":"hello"}`+"\n"), ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddSummary(Summary{User: "u", Text: "first", Source: SourceHuman}); err != nil {
		t.Fatal(err)
	}
	db.bolt.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketCurrent) })
	db.Close()
	migrations = saved
	if db, err = Open(path); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	second, err := db.AddSummary(Summary{User: "u", Text: "second", Source: SourceHuman, Parent: 1})
	if err != nil {
		t.Fatalf("AddSummary after migrating: %v", err)
	}
	if cur, ok, err := db.CurrentSummary("u"); err != nil || !ok || cur.ID != second.ID {
		t.Errorf("CurrentSummary = %+v ok %v err %v; want version 2", cur, ok, err)
	}
}

func TestOpenRejectsTooSmallFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "small.db")
	if err := os.WriteFile(path, []byte("tiny"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path); err == nil || !strings.Contains(err.Error(), "not a popi-tui database") {
		t.Fatalf("err = %v", err)
	}
}
