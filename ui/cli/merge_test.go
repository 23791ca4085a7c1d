package cli

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
	bolt "go.etcd.io/bbolt"
)

// annotate opens the database at path (importing goodPopi into it first)
// and lets fn add records to it through the store API.
func annotate(t *testing.T, e *testEnv, path string, fn func(db *store.DB)) {
	t.Helper()
	e.mustRun(ExitOK, "import", "--db", path, writeFile(t, e.path("users.jsonl"), goodPopi))
	db := storetest.OpenAt(t, path)
	defer func() {
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}()
	fn(db)
}

// mergeDecision is a valid decision of annotator on u1's prompt.
func mergeDecision(annotator, promptID, verdict string) store.Label {
	return store.Label{Kind: store.LabelDecision, User: "u1", PromptID: promptID, Prompt: "prompt " + promptID,
		Candidates: []store.Candidate{
			{Pane: "a", Slot: 0, Backend: "x", Model: "mx", Condition: store.ConditionSummary, GenerationID: "gx"},
			{Pane: "b", Slot: 1, Backend: "y", Model: "my", Condition: store.ConditionSummary, GenerationID: "gy"},
		},
		Verdict: verdict, Annotator: annotator, ShownAt: time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)}
}

// noErr fails the test on a store call's error: noErr(t)(db.AddLabel(…)).
func noErr(t *testing.T) func(any, error) {
	return func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// putRawLabels appends labels to a closed database as they are, ids
// included: the store's API gives every new label a new id, and a conflict
// needs an id that says two different things in two databases.
func putRawLabels(t *testing.T, path string, labels []store.Label) {
	t.Helper()
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	err = b.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket([]byte("labels"))
		for _, l := range labels {
			v, err := json.Marshal(l)
			if err != nil {
				return err
			}
			seq, err := bk.NextSequence()
			if err != nil {
				return err
			}
			if err := bk.Put(binary.BigEndian.AppendUint64(nil, seq), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestMergeCommand(t *testing.T) {
	e := newTestEnv(t)
	main, bob, carol := e.path("main.db"), e.path("bob.db"), e.path("carol.db")
	annotate(t, e, main, func(db *store.DB) {
		noErr(t)(db.AddLabel(mergeDecision("ann", "p", "a"), nil))
		noErr(t)(db.AddSummary(store.Summary{User: "u1", Text: "ann's summary", Source: store.SourceHuman}))
	})
	annotate(t, e, bob, func(db *store.DB) {
		noErr(t)(db.AddLabel(mergeDecision("bob", "p", "b"), nil))
		noErr(t)(db.AddLabel(mergeDecision("bob", "p2", store.VerdictTie), nil))
		s, err := db.AddSummary(store.Summary{User: "u1", Text: "bob's summary", Source: store.SourceHuman})
		if err != nil {
			t.Fatal(err)
		}
		noErr(t)(db.AddSummary(store.Summary{User: "u1", Text: "bob's edit", Source: store.SourceHuman, Parent: s.Version}))
		noErr(t)(db.PutGeneration(store.Generation{Key: "k1", User: "u2", PromptID: "do it", Backend: "y", Model: "my", Text: "done"}))
	})
	annotate(t, e, carol, func(db *store.DB) {
		noErr(t)(db.AddLabel(mergeDecision("carol", "p", "a"), nil))
	})

	r := e.mustRun(ExitOK, "merge", "--db", main, bob, carol)
	want := bob + ": added 2 label(s), 2 summary version(s) (2 renumbered; 1 user(s) keep their current summary), 1 generation(s); already here: 0 label(s), 0 summary version(s), 0 generation(s); 0 conflict(s)\n" +
		carol + ": added 1 label(s), 0 summary version(s), 0 generation(s); already here: 0 label(s), 0 summary version(s), 0 generation(s); 0 conflict(s)\n"
	if r.stdout != want || r.stderr != "" {
		t.Errorf("merge: stdout %q\nwant %q\nstderr %q", r.stdout, want, r.stderr)
	}
	wantStats := map[string]int{}
	for k, v := range goodPopiStats {
		wantStats[k] = v
	}
	wantStats["labels"], wantStats["summaries"], wantStats["summaries_human"], wantStats["generations"] = 4, 3, 3, 1
	if got := e.stats(main); !equalStats(got, wantStats) {
		t.Errorf("stats after the merge = %v, want %v", got, wantStats)
	}

	// Again: nothing added. Flags after the files work as everywhere.
	r = e.mustRun(ExitOK, "merge", bob, carol, "--db", main)
	want = bob + ": added 0 label(s), 0 summary version(s), 0 generation(s); already here: 2 label(s), 2 summary version(s), 1 generation(s); 0 conflict(s)\n" +
		carol + ": added 0 label(s), 0 summary version(s), 0 generation(s); already here: 1 label(s), 0 summary version(s), 0 generation(s); 0 conflict(s)\n"
	if r.stdout != want {
		t.Errorf("merge again: stdout %q\nwant %q", r.stdout, want)
	}
	if got := e.stats(main); !equalStats(got, wantStats) {
		t.Errorf("stats after merging again = %v, want %v", got, wantStats)
	}
}

// TestMergeCommandConflicts: conflicts are listed on stderr, sanitized,
// the first 20 then a count; the rest of the file is merged; exit 1.
func TestMergeCommandConflicts(t *testing.T) {
	e := newTestEnv(t)
	main, other := e.path("main.db"), e.path("other.db")
	annotate(t, e, main, func(*store.DB) {})
	annotate(t, e, other, func(db *store.DB) {
		noErr(t)(db.AddLabel(mergeDecision("bob", "p", "a"), nil))
	})
	var here, there []store.Label
	for i := range 25 {
		l := mergeDecision("ann", fmt.Sprint("q", i), "a")
		l.ID = fmt.Sprintf("L%02d", i)
		if i == 0 {
			l.ID = "L\x1b[2J\x07evil" // an id that would clear the screen
		}
		here = append(here, l)
		l.Verdict = "b"
		there = append(there, l)
	}
	putRawLabels(t, main, here)
	putRawLabels(t, other, there)
	before := e.stats(main)

	r := e.mustRun(ExitFailure, "merge", "--db", main, other)
	wantOut := other + ": added 1 label(s), 0 summary version(s), 0 generation(s); already here: 0 label(s), 0 summary version(s), 0 generation(s); 25 conflict(s)\n"
	if r.stdout != wantOut {
		t.Errorf("stdout %q\nwant %q", r.stdout, wantOut)
	}
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	if len(lines) != 22 {
		t.Fatalf("stderr has %d lines, want 20 conflicts, a count and the failure:\n%s", len(lines), r.stderr)
	}
	if want := other + ": label Levil: already here with other content (differs in verdict); the record here was kept"; lines[0] != want {
		t.Errorf("first conflict %q\nwant %q", lines[0], want)
	}
	if want := other + ": label L19: "; !strings.HasPrefix(lines[19], want) {
		t.Errorf("20th conflict %q, want it to start with %q", lines[19], want)
	}
	if want := other + ": … and 5 more conflict(s)"; lines[20] != want {
		t.Errorf("count line %q, want %q", lines[20], want)
	}
	if want := "popi-tui: conflicts in " + other + " (the records here were kept)"; lines[21] != want {
		t.Errorf("last line %q, want %q", lines[21], want)
	}
	if strings.ContainsAny(r.stderr+r.stdout, "\x1b\x07") {
		t.Errorf("output carries control characters from the database: %q", r.stderr)
	}
	before["labels"]++ // bob's decision; ann's 25 are as they were
	if got := e.stats(main); !equalStats(got, before) {
		t.Errorf("stats after a merge with conflicts = %v, want %v", got, before)
	}
	var verdicts []string
	db := storetest.OpenAt(t, main)
	db.EachLabel(func(l store.Label) error {
		if l.Annotator == "ann" {
			verdicts = append(verdicts, l.Verdict)
		}
		return nil
	})
	db.Close()
	if strings.Join(verdicts, "") != strings.Repeat("a", 25) {
		t.Errorf("ann's verdicts after the merge = %v, want 25 × a (never overwritten)", verdicts)
	}
}

// TestMergeCommandFailures: a file that cannot be merged is reported and
// the others are merged; exit 1. No files is a usage error.
// One annotator name that decided the same item in both databases is
// warned about on stderr (sanitized), and the merge still succeeds.
func TestMergeCommandWarnsOfOneNameOnTwoMachines(t *testing.T) {
	e := newTestEnv(t)
	main, other := e.path("main.db"), e.path("other.db")
	name := "root\x1b[2J"
	annotate(t, e, main, func(db *store.DB) {
		noErr(t)(db.AddLabel(mergeDecision(name, "p", "a"), nil))
	})
	annotate(t, e, other, func(db *store.DB) {
		noErr(t)(db.AddLabel(mergeDecision(name, "p", "b"), nil))
	})
	r := e.mustRun(ExitOK, "merge", "--db", main, other)
	want := other + `: warning: annotator "root" decided 1 item(s) in both databases, each on its own: two people under one name? The newest decision counts; give each person their own --annotator NAME` + "\n"
	if r.stderr != want {
		t.Errorf("stderr %q\nwant %q", r.stderr, want)
	}
}

func TestMergeCommandFailures(t *testing.T) {
	e := newTestEnv(t)
	main, bob := e.path("main.db"), e.path("bob.db")
	annotate(t, e, main, func(*store.DB) {})
	annotate(t, e, bob, func(db *store.DB) {
		noErr(t)(db.AddLabel(mergeDecision("bob", "p", "a"), nil))
	})
	missing := e.path("missing.db")
	notDB := writeFile(t, e.path("notes.txt"), strings.Repeat("not a database\n", 400))

	r := e.mustRun(ExitFailure, "merge", "--db", main, missing, bob, notDB)
	if want := bob + ": added 1 label(s)"; !strings.HasPrefix(r.stdout, want) || strings.Count(r.stdout, "\n") != 1 {
		t.Errorf("stdout %q, want one line starting %q", r.stdout, want)
	}
	for _, want := range []string{
		"popi-tui: merge " + missing + ": stat " + missing + ": no such file or directory\n",
		"popi-tui: merge " + notDB + ": not a popi-tui database",
		"popi-tui: 2 of 3 files not merged: " + missing + ", " + notDB + "\n",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if exists(missing) {
		t.Error("merging a missing file created it")
	}
	if got := e.stats(main)["labels"]; got != 1 {
		t.Errorf("labels after the merge = %d, want bob's 1", got)
	}

	// One file that cannot be merged: its message, once.
	r = e.mustRun(ExitFailure, "merge", "--db", main, main)
	if want := "popi-tui: merge " + main + ": that is this database: a database cannot be merged into itself\n"; r.stderr != want || r.stdout != "" {
		t.Errorf("merging into itself: stdout %q, stderr %q, want %q", r.stdout, r.stderr, want)
	}

	// The default database, and no files at all.
	e2 := newTestEnv(t)
	r = e2.mustRun(ExitUsage, "merge")
	if !strings.Contains(r.stderr, "no databases to merge") || !strings.Contains(r.stderr, "Run 'popi-tui merge --help'") || r.stdout != "" {
		t.Errorf("merge without files: stdout %q, stderr %q", r.stdout, r.stderr)
	}
	if exists(e2.defaultDB()) {
		t.Error("a usage error created the default database")
	}
	r = e2.mustRun(ExitOK, "merge", bob)
	if !strings.HasPrefix(r.stdout, bob+": added 1 label(s)") || !exists(e2.defaultDB()) {
		t.Errorf("merge into the default database: stdout %q, stderr %q", r.stdout, r.stderr)
	}
}

// TestMergeCommandBusy: a database another process holds fails within the
// lock timeout, naming it.
func TestMergeCommandBusy(t *testing.T) {
	e := newTestEnv(t)
	main, bob := e.path("main.db"), e.path("bob.db")
	annotate(t, e, main, func(*store.DB) {})
	annotate(t, e, bob, func(*store.DB) {})
	h := storetest.OpenAt(t, bob)
	defer h.Close()
	start := time.Now()
	r := e.mustRun(ExitFailure, "merge", "--db", main, bob)
	if elapsed := time.Since(start); elapsed > 3500*time.Millisecond {
		t.Errorf("took %v, want about %v", elapsed, store.LockTimeout)
	}
	if want := "popi-tui: merge " + bob + ": in use by another popi-tui process\n"; r.stderr != want {
		t.Errorf("stderr %q, want %q", r.stderr, want)
	}
}

func TestMergeCommandHelp(t *testing.T) {
	e := newTestEnv(t)
	r := e.mustRun(ExitOK, "merge", "--help")
	for _, want := range []string{"Usage: popi-tui merge [flags] OTHER.db...", "conflict", "--db path"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("merge --help lacks %q:\n%s", want, r.stdout)
		}
	}
	r = e.mustRun(ExitOK, "--help")
	if !strings.Contains(r.stdout, "  merge ") {
		t.Errorf("popi-tui --help does not list merge:\n%s", r.stdout)
	}
	if _, err := os.Stat(e.defaultDB()); err == nil {
		t.Error("--help created the default database")
	}
}
