// Package storetest makes databases for tests: a temporary database, the
// demo users loaded into one, and the labels and summaries tests add.
// Every database it opens is closed when the test ends.
package storetest

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/store"
)

// DemoDB is a new database in the test's temporary directory holding the
// demo users (store.LoadDemo).
func DemoDB(t testing.TB) *store.DB {
	t.Helper()
	return DemoDBAt(t, filepath.Join(t.TempDir(), "popi.db"))
}

// DemoDBAt is DemoDB at path, for tests that reopen the file (a command
// run on it, a merge from it): close it first, which the test's end does
// again harmlessly.
func DemoDBAt(t testing.TB, path string) *store.DB {
	t.Helper()
	db := OpenAt(t, path)
	if _, err := db.LoadDemo(context.Background()); err != nil {
		t.Fatalf("LoadDemo: %v", err)
	}
	return db
}

// Open opens a new database in the test's temporary directory.
func Open(t testing.TB) *store.DB {
	t.Helper()
	return OpenAt(t, filepath.Join(t.TempDir(), "popi.db"))
}

// OpenAt opens (creating) the database at path.
func OpenAt(t testing.TB, path string) *store.DB {
	t.Helper()
	db, err := store.Open(path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Import imports popi JSONL and fails the test on any error.
func Import(t testing.TB, db *store.DB, jsonl string) store.ImportReport {
	t.Helper()
	rep, err := db.Import(context.Background(), "test.jsonl", strings.NewReader(jsonl), store.ImportOptions{Format: store.FormatPopi})
	if err != nil {
		t.Fatalf("Import: %v (report %+v)", err, rep)
	}
	return rep
}

// JSON is the JSON encoding of v, for comparing records field by field
// (times included, whatever their location pointer).
func JSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %T: %v", v, err)
	}
	return string(b)
}

// Candidates returns n candidates lettered a, b, … with distinct
// backends, models and generation ids.
func Candidates(n int) []store.Candidate {
	out := make([]store.Candidate, n)
	for i := range out {
		p := store.PaneLetter(i)
		out[i] = store.Candidate{Pane: p, Slot: i, Backend: "backend-" + p, Model: "model-" + p,
			Condition: store.ConditionSummary, GenerationID: "gen-" + p}
	}
	return out
}

// Decision is a valid best-of-2 decision of annotator on (user, promptID).
func Decision(annotator, user, promptID, verdict string) store.Label {
	shown := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	return store.Label{
		Kind: store.LabelDecision, User: user, PromptID: promptID, Prompt: "prompt of " + promptID,
		Candidates: Candidates(2), Verdict: verdict, Annotator: annotator,
		ShownAt: shown, AppVersion: "test",
	}
}

// AddLabel adds a label and fails the test on any error.
func AddLabel(t testing.TB, db *store.DB, l store.Label) store.Label {
	t.Helper()
	got, err := db.AddLabel(l, nil)
	if err != nil {
		t.Fatalf("AddLabel(%s/%s/%s %s): %v", l.Annotator, l.User, l.PromptID, l.Kind, err)
	}
	return got
}

// AddSummary adds a summary version and fails the test on any error.
func AddSummary(t testing.TB, db *store.DB, s store.Summary) store.Summary {
	t.Helper()
	got, err := db.AddSummary(s)
	if err != nil {
		t.Fatalf("AddSummary(%q, %q): %v", s.User, s.Text, err)
	}
	return got
}

// Stats counts what db holds and fails the test on any error.
func Stats(t testing.TB, db *store.DB) store.Stats {
	t.Helper()
	st, err := db.Stats()
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	return st
}
