package engine

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/popi-tui/popi-tui/store"
)

// A summary a merge brought in after this database's current one is not
// this database's work: infer with the same backend still runs, and its
// summary becomes current.
func TestInferIgnoresVersionsMergedAfterTheCurrentOne(t *testing.T) {
	dir := t.TempDir()
	open := func(name string) *store.DB {
		db, err := store.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.LoadDemo(context.Background()); err != nil {
			t.Fatal(err)
		}
		return db
	}
	bob := open("bob.db")
	be := New(bob, Config{}, Options{})
	if _, err := be.InferAll(context.Background(), InferOptions{Backend: HeuristicName, Users: []string{"terse-tom"}}, nil); err != nil {
		t.Fatal(err)
	}
	be.Close()
	bob.Close()

	ann := open("ann.db")
	defer ann.Close()
	if _, err := ann.AddSummary(store.Summary{User: "terse-tom", Text: "Ann's own words.", Source: store.SourceHuman}); err != nil {
		t.Fatal(err)
	}
	if _, err := ann.Merge(context.Background(), filepath.Join(dir, "bob.db")); err != nil {
		t.Fatal(err)
	}
	e := New(ann, Config{}, Options{})
	defer e.Close()
	rep, err := e.InferAll(context.Background(), InferOptions{Backend: HeuristicName, Users: []string{"terse-tom"}}, nil)
	if err != nil || rep.Done != 1 || rep.Skipped != 0 {
		t.Fatalf("infer after the merge: %+v, %v; want it done, not skipped", rep, err)
	}
	cur, _, err := ann.CurrentSummary("terse-tom")
	if err != nil || cur.Version != 3 || cur.Source != store.SourceHeuristic {
		t.Errorf("current = v%d %s (%v); want the new heuristic summary, v3", cur.Version, cur.Source, err)
	}
	// And again: now it is done.
	if rep, err := e.InferAll(context.Background(), InferOptions{Backend: HeuristicName, Users: []string{"terse-tom"}}, nil); err != nil || rep.Skipped != 1 {
		t.Errorf("infer again: %+v, %v; want it skipped", rep, err)
	}
}
