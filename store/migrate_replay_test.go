package store

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// A database from before schema 4 has replayed answers without messages;
// opening it records the bare prompt they answer, so their labels export
// with it (trl's tests: no row without its prompt). A merge does the same
// for what an older database brings in.
func TestMigrationReplayMessages(t *testing.T) {
	path := filepath.Join(t.TempDir(), "popi.db")
	saved := migrations
	t.Cleanup(func() { migrations = saved })
	migrations = saved[:2]
	old, err := Open(path) // schema 3
	if err != nil {
		t.Fatal(err)
	}
	users := `{"user": "u1", "kind": "pair", "id": "h1", "prompt": "How do I reverse a list?", "chosen": "xs[::-1]", "rejected": "Great question! …"}` + "\n"
	if _, err := old.Import(context.Background(), "u.jsonl", strings.NewReader(users), ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, which := range []string{"chosen", "rejected"} {
		k := GenerationKey{User: "u1", PromptID: "h1", Condition: "replay:" + which, Backend: "replay", Model: "replay"}
		g, err := old.PutGeneration(Generation{Key: k.Hash(), User: "u1", PromptID: "h1", Prompt: "How do I reverse a list?",
			Condition: k.Condition, Backend: "replay", Model: "replay", Text: which + " answer"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, g.ID)
	}
	want := []Message{{Role: "user", Content: "How do I reverse a list?"}}
	messagesOf := func(db *DB) [][]Message {
		t.Helper()
		var out [][]Message
		for _, id := range ids {
			g, err := db.Generation(id)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, g.Messages)
		}
		return out
	}
	if got := messagesOf(old); len(got[0]) != 0 || len(got[1]) != 0 {
		t.Fatalf("before the migration: messages %v; want none", got)
	}
	old.Close()
	oldCopy := filepath.Join(t.TempDir(), "old.db")
	fxCopyFile(t, path, oldCopy)

	migrations = saved
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := messagesOf(db); !reflect.DeepEqual(got, [][]Message{want, want}) {
		t.Errorf("after the migration: messages %v, want %v", got, want)
	}

	// Merging the old file into a database that has the same answers,
	// migrated: no conflict, nothing added twice.
	mrep, err := db.Merge(context.Background(), oldCopy)
	if err != nil || mrep.ConflictCount() != 0 || mrep.Generations.Already != 2 {
		t.Errorf("merge of the old copy: %+v, err %v; want the 2 answers already here, no conflict", mrep, err)
	}
	// Into a fresh database: the answers come with their prompt.
	fresh := openTestDB(t)
	if _, err := fresh.Merge(context.Background(), oldCopy); err != nil {
		t.Fatal(err)
	}
	if got := messagesOf(fresh); !reflect.DeepEqual(got, [][]Message{want, want}) {
		t.Errorf("after merging the old file: messages %v, want %v", got, want)
	}
}

func fxCopyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
