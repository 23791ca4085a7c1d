package engine

import (
	"context"
	"testing"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
)

// A summary a merge brought in after this database's current one is not
// this database's work: infer with the same backend still runs, and its
// summary becomes current.
func TestInferIgnoresVersionsMergedAfterTheCurrentOne(t *testing.T) {
	bob := storetest.DemoDB(t)
	be := New(bob, Config{}, Options{})
	if _, err := be.InferAll(context.Background(), InferOptions{Backend: HeuristicName, Users: []string{"terse-tom"}}, nil); err != nil {
		t.Fatal(err)
	}
	be.Close()
	bob.Close()

	ann := storetest.DemoDB(t)
	if _, err := ann.AddSummary(store.Summary{User: "terse-tom", Text: "Ann's own words.", Source: store.SourceHuman}); err != nil {
		t.Fatal(err)
	}
	if _, err := ann.Merge(context.Background(), bob.Path()); err != nil {
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
