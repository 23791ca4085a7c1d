package store

import (
	"context"
	"errors"
	"maps"
	"path/filepath"
	"strings"
	"testing"
)

// A dataset tags the users an import creates; a user who is already there
// keeps the tag they came with, a rejected import tags no one, and a merge
// brings a user's tag across with them.
func TestImportDatasets(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(filepath.Join(dir, "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	imp := func(dataset, jsonl string) error {
		_, err := db.Import(ctx, dataset+".jsonl", strings.NewReader(jsonl), ImportOptions{Dataset: dataset})
		return err
	}
	pair := func(user, prompt string) string {
		return `{"user":"` + user + `","kind":"pair","prompt":"` + prompt + `","chosen":"a","rejected":"b"}` + "\n"
	}
	if err := imp("", pair("old", "q0")); err != nil { // as before datasets
		t.Fatal(err)
	}
	if err := imp("elix", pair("ann", "q1")+pair("bob", "q1")); err != nil {
		t.Fatal(err)
	}
	if err := imp("review", pair("bob", "q2")+pair("cy", "q2")); err != nil { // bob keeps elix
		t.Fatal(err)
	}
	bad := pair("dee", "q3") + `{"user":"dee","kind":"pair"}` + "\n"
	if err := imp("roleplay", bad); !errors.Is(err, ErrRejected) {
		t.Fatalf("a bad file: %v", err)
	}
	want := map[string]int{"": 1, "elix": 2, "review": 1}
	if got, err := db.DatasetUsers(); err != nil || !maps.Equal(got, want) {
		t.Errorf("DatasetUsers = %v, %v; want %v", got, err, want)
	}
	for user, dataset := range map[string]string{"old": "", "ann": "elix", "bob": "elix", "cy": "review"} {
		if u, err := db.User(user); err != nil || u.Dataset != dataset {
			t.Errorf("user %s: dataset %q, %v; want %q", user, u.Dataset, err, dataset)
		}
	}
	for _, name := range []string{"a\x1b[31m", "x\ny", strings.Repeat("d", 129)} {
		if err := imp(name, pair("eve", "q4")); err == nil || !strings.Contains(err.Error(), "dataset") {
			t.Errorf("dataset %q: %v, want it refused", name, err)
		}
	}

	// A user merged in from another database keeps their dataset.
	other, err := Open(filepath.Join(dir, "b.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Import(ctx, "x.jsonl", strings.NewReader(pair("fay", "q5")), ImportOptions{Dataset: "alignx"}); err != nil {
		t.Fatal(err)
	}
	label := Label{Kind: LabelDecision, User: "fay", PromptID: "p", Prompt: "q5", Verdict: "tie", Annotator: "kim",
		Candidates: []Candidate{{Pane: "a", Backend: "x", Condition: "none"}, {Pane: "b", Slot: 1, Backend: "y", Condition: "none"}}}
	if _, err := other.AddLabel(label, nil); err != nil {
		t.Fatal(err)
	}
	other.Close()
	if _, err := db.Merge(ctx, filepath.Join(dir, "b.db")); err != nil {
		t.Fatal(err)
	}
	if u, err := db.User("fay"); err != nil || u.Dataset != "alignx" {
		t.Errorf("merged user: dataset %q, %v; want alignx", u.Dataset, err)
	}
}
