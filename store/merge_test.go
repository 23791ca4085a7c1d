package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Helpers of merge_test.go carry an mg prefix, so that they cannot clash
// with the helpers of the package's other test files.

// mgUsers is what both annotators' databases were imported from.
const mgUsers = `{"user":"u1","kind":"pair","id":"h1","prompt":"Q1","chosen":"short","rejected":"long"}
{"user":"u1","kind":"task","id":"t1","prompt":"Explain git rebase."}
{"user":"u1","kind":"task","id":"t2","prompt":"Explain git merge."}
{"user":"u2","kind":"text","id":"x1","text":"I like lists."}
{"user":"u2","kind":"task","id":"t1","prompt":"Plan a trip."}
`

// mgOpen opens (creating) the database name in dir; it is closed when the
// test ends unless the test closes it first.
func mgOpen(t *testing.T, dir, name string) *DB {
	t.Helper()
	db, err := Open(filepath.Join(dir, name))
	if err != nil {
		t.Fatalf("Open(%s): %v", name, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func mgImport(t *testing.T, db *DB, jsonl string) {
	t.Helper()
	if _, err := db.Import(context.Background(), "users.jsonl", strings.NewReader(jsonl), ImportOptions{Format: FormatPopi}); err != nil {
		t.Fatalf("Import: %v", err)
	}
}

func mgDecide(t *testing.T, db *DB, annotator, user, promptID, verdict string) Label {
	t.Helper()
	cands := []Candidate{
		{Pane: "a", Slot: 0, Backend: "b1", Model: "m1", Condition: ConditionSummary, GenerationID: "g-" + promptID + "-a"},
		{Pane: "b", Slot: 1, Backend: "b2", Model: "m2", Condition: ConditionSummary, GenerationID: "g-" + promptID + "-b"},
	}
	l, err := db.AddLabel(Label{Kind: LabelDecision, User: user, PromptID: promptID, Prompt: "prompt " + promptID,
		Candidates: cands, Verdict: verdict, Annotator: annotator, ShownAt: time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC), AppVersion: "test"}, nil)
	if err != nil {
		t.Fatalf("AddLabel: %v", err)
	}
	return l
}

func mgSummary(t *testing.T, db *DB, user, text string, parent int) Summary {
	t.Helper()
	s, err := db.AddSummary(Summary{User: user, Text: text, Source: SourceHuman, Parent: parent})
	if err != nil {
		t.Fatalf("AddSummary: %v", err)
	}
	return s
}

func mgGenerate(t *testing.T, db *DB, user, promptID, backend, text string) Generation {
	t.Helper()
	k := GenerationKey{User: user, PromptID: promptID, Condition: ConditionNone, Backend: backend, Model: "m"}
	g, err := db.PutGeneration(Generation{Key: k.Hash(), User: user, PromptID: promptID, Prompt: "prompt " + promptID,
		Condition: ConditionNone, Backend: backend, Model: "m", Messages: []Message{{"user", "prompt " + promptID}}, Text: text})
	if err != nil {
		t.Fatalf("PutGeneration: %v", err)
	}
	return g
}

func mgMerge(t *testing.T, db *DB, other string) MergeReport {
	t.Helper()
	rep, err := db.Merge(context.Background(), other)
	if err != nil {
		t.Fatalf("Merge(%s): %v", other, err)
	}
	return rep
}

// mgDump is every key, value and bucket sequence of the database, to
// assert that it did not change.
func mgDump(t *testing.T, db *DB) string {
	t.Helper()
	var b strings.Builder
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, bk *bolt.Bucket) error {
			fmt.Fprintf(&b, "bucket %s seq %d\n", name, bk.Sequence())
			return bk.ForEach(func(k, v []byte) error {
				fmt.Fprintf(&b, "%q=%q\n", k, v)
				return nil
			})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// mgPutRaw writes a record into a bucket as it is: how a test makes the
// same id say something else in another database.
func mgPutRaw(t *testing.T, db *DB, bucket, key []byte, v any) {
	t.Helper()
	raw, ok := v.([]byte)
	if !ok {
		var err error
		if raw, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		if key == nil { // the next label, as AddLabel would append it
			seq, err := b.NextSequence()
			if err != nil {
				return err
			}
			key = seqKey(seq)
		}
		return b.Put(key, raw)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// mgCurrent counts the current decisions per annotator.
func mgCurrent(t *testing.T, db *DB) map[string]int {
	t.Helper()
	out := map[string]int{}
	if err := db.CurrentLabels(func(l Label) error { out[l.Annotator]++; return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func mgLabelIDs(t *testing.T, db *DB) []string {
	t.Helper()
	var ids []string
	if err := db.EachLabel(func(l Label) error { ids = append(ids, l.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	return ids
}

func mgVersions(t *testing.T, db *DB, user string) []Summary {
	t.Helper()
	ss, err := db.Summaries(user)
	if err != nil {
		t.Fatal(err)
	}
	return ss
}

// TestMergeTwoAnnotators: two databases of the same users, labeled and
// summarized separately, merge into one that holds both annotators' work;
// merging again adds nothing, and merging the other way round gives the
// same records.
func TestMergeTwoAnnotators(t *testing.T) {
	dir := t.TempDir()
	a, b := mgOpen(t, dir, "ann.db"), mgOpen(t, dir, "bob.db")
	mgImport(t, a, mgUsers)
	mgImport(t, b, mgUsers)

	// ann: two decisions; a summary of u1; one generation.
	mgDecide(t, a, "ann", "u1", "t1", "a")
	mgDecide(t, a, "ann", "u2", "t1", VerdictTie)
	aSum := mgSummary(t, a, "u1", "ann: likes short answers", 0)
	aGen := mgGenerate(t, a, "u1", "t1", "b1", "ann's answer")

	// bob: three decisions, one retracted and one amended; two versions of
	// u1's summary (the second edited from the first), one of u2's; two
	// generations.
	mgDecide(t, b, "bob", "u1", "t1", "b")
	taken := mgDecide(t, b, "bob", "u1", "t2", "a")
	if _, err := b.AddLabel(taken.Retraction(time.Now().UTC(), "test"), nil); err != nil {
		t.Fatal(err)
	}
	first := mgDecide(t, b, "bob", "u2", "t1", "a")
	amended := first
	amended.ID, amended.Amends, amended.Rationale = "", first.ID, "lists win"
	if _, err := b.AddLabel(amended, nil); err != nil {
		t.Fatal(err)
	}
	b1 := mgSummary(t, b, "u1", "bob: wants brevity", 0)
	b2 := mgSummary(t, b, "u1", "bob: wants brevity, no fluff", 1)
	b3 := mgSummary(t, b, "u2", "bob: likes lists", 0)
	bGen1 := mgGenerate(t, b, "u1", "t2", "b1", "bob's answer")
	bGen2 := mgGenerate(t, b, "u2", "t1", "b2", "bob's other answer")
	if err := b.PutSession(Session{Annotator: "bob", Position: 3}); err != nil {
		t.Fatal(err)
	}
	bLabels := mgLabelIDs(t, b)
	bStats, err := b.Stats()
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	bBytes, err := os.ReadFile(b.Path())
	if err != nil {
		t.Fatal(err)
	}

	rep := mgMerge(t, a, b.Path())
	want := MergeReport{File: b.Path(),
		Labels:       MergeCounts{Added: 5},
		Summaries:    MergeCounts{Added: 3},
		Generations:  MergeCounts{Added: 2},
		Renumbered:   2, // bob's u1 versions 1 and 2 follow ann's version 1
		KeptCurrent:  1, // ann's u1 summary stays current
		CacheEntries: 2,
	}
	if fmt.Sprint(rep) != fmt.Sprint(want) {
		t.Errorf("Merge report = %+v\nwant %+v", rep, want)
	}
	if got, err := os.ReadFile(b.Path()); err != nil || string(got) != string(bBytes) {
		t.Errorf("merging changed the other database's file (err %v)", err)
	}

	// Labels: ann's then bob's, every id kept, retraction and amendment
	// applied per annotator.
	aLabels := mgLabelIDs(t, a)
	if !slices.Equal(aLabels[2:], bLabels) || len(aLabels) != 7 {
		t.Errorf("labels after the merge = %v, want ann's two then bob's %v", aLabels, bLabels)
	}
	if got, want := mgCurrent(t, a), map[string]int{"ann": 2, "bob": 2}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("current decisions per annotator = %v, want %v", got, want)
	}
	var rationale string
	a.CurrentLabels(func(l Label) error {
		if l.Annotator == "bob" && l.User == "u2" {
			rationale = l.Rationale
		}
		return nil
	})
	if rationale != "lists win" {
		t.Errorf("bob's amended decision has rationale %q, want %q", rationale, "lists win")
	}

	// Summaries: u1 has ann's version then bob's two, renumbered, the
	// parent following; u2 has bob's as version 1.
	u1 := mgVersions(t, a, "u1")
	type v struct {
		id              string
		version, parent int
		text            string
	}
	var got []v
	for _, s := range u1 {
		got = append(got, v{s.ID, s.Version, s.Parent, s.Text})
	}
	wantU1 := []v{{aSum.ID, 1, 0, aSum.Text}, {b1.ID, 2, 0, b1.Text}, {b2.ID, 3, 2, b2.Text}}
	if !slices.Equal(got, wantU1) {
		t.Errorf("u1's summaries = %v, want %v", got, wantU1)
	}
	if u1[2].CreatedAt.Equal(b2.CreatedAt) == false || u1[2].Source != SourceHuman {
		t.Errorf("u1's merged version lost its time or source: %+v", u1[2])
	}
	if u2 := mgVersions(t, a, "u2"); len(u2) != 1 || u2[0].ID != b3.ID || u2[0].Version != 1 || u2[0].Text != b3.Text {
		t.Errorf("u2's summaries = %+v, want bob's as version 1", u2)
	}
	// What conditions ann's generations does not change under her: u1's
	// current summary is still hers; u2, who had none, gets bob's.
	mgWantCurrent(t, a, "u1", aSum.ID, 1)
	mgWantCurrent(t, a, "u2", b3.ID, 1)

	// Generations and their cache entries.
	for _, g := range []Generation{aGen, bGen1, bGen2} {
		if got, err := a.Generation(g.ID); err != nil || got.Text != g.Text {
			t.Errorf("Generation(%s) = %q, %v; want %q", g.ID, got.Text, err, g.Text)
		}
		if c, ok, err := a.CachedGeneration(g.Key); err != nil || !ok || c.ID != g.ID {
			t.Errorf("cache of %s = %s ok %v err %v", g.Key, c.ID, ok, err)
		}
	}

	// Users and signals as they were; sessions not merged.
	st, err := a.Stats()
	if err != nil {
		t.Fatal(err)
	}
	wantStats := bStats
	wantStats.Summaries, wantStats.SummariesHuman, wantStats.Generations, wantStats.Labels = 4, 4, 3, 4
	if st != wantStats {
		t.Errorf("stats after the merge = %+v, want %+v", st, wantStats)
	}
	if _, ok, _ := a.Session("bob", ""); ok {
		t.Error("bob's session came across; sessions stay on their machine")
	}

	// Again: nothing added, nothing changed.
	before := mgDump(t, a)
	rep = mgMerge(t, a, b.Path())
	want = MergeReport{File: b.Path(), Labels: MergeCounts{Already: 5}, Summaries: MergeCounts{Already: 3}, Generations: MergeCounts{Already: 2}}
	if fmt.Sprint(rep) != fmt.Sprint(want) {
		t.Errorf("second merge report = %+v\nwant %+v", rep, want)
	}
	if mgDump(t, a) != before {
		t.Error("the second merge changed the database")
	}

	// The other way round: bob's database gets ann's records; both then
	// hold the same labels, summaries and generations.
	a.Close()
	b = mgOpen(t, dir, "bob.db")
	rep = mgMerge(t, b, a.Path())
	want = MergeReport{File: a.Path(), Labels: MergeCounts{Added: 2, Already: 5}, Summaries: MergeCounts{Added: 1, Already: 3},
		Generations: MergeCounts{Added: 1, Already: 2}, Renumbered: 1, KeptCurrent: 1, CacheEntries: 1}
	if fmt.Sprint(rep) != fmt.Sprint(want) {
		t.Errorf("reverse merge report = %+v\nwant %+v", rep, want)
	}
	if got := mgVersions(t, b, "u1"); len(got) != 3 || got[2].ID != aSum.ID || got[2].Version != 3 || got[1].Parent != 1 {
		t.Errorf("bob's u1 after the reverse merge = %+v, want bob's two versions then ann's as 3", got)
	}
	if got, want := mgCurrent(t, b), map[string]int{"ann": 2, "bob": 2}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("current decisions in bob's database = %v, want %v", got, want)
	}
	mgWantCurrent(t, b, "u1", b2.ID, 2)

	// A version made here is current again, whatever the merge kept.
	b4 := mgSummary(t, b, "u1", "bob: brevity above all", 2)
	mgWantCurrent(t, b, "u1", b4.ID, 4)
	if ov, err := b.Overviews([]string{"u1"}); err != nil || len(ov) != 1 || ov[0].Summary == nil || ov[0].Summary.ID != b4.ID {
		t.Errorf("Overviews(u1) = %+v, %v; want the summary %s", ov, err, b4.ID)
	}
}

// mgWantCurrent checks the user's current summary, as CurrentSummary and
// SummaryVersions see it.
func mgWantCurrent(t *testing.T, db *DB, user, id string, version int) {
	t.Helper()
	cur, ok, err := db.CurrentSummary(user)
	if err != nil || !ok || cur.ID != id || cur.Version != version {
		t.Errorf("CurrentSummary(%s) = %s v%d (ok %v, %v); want %s v%d", user, cur.ID, cur.Version, ok, err, id, version)
	}
	if _, n, err := db.SummaryVersions(user); err != nil || n != version {
		t.Errorf("SummaryVersions(%s) current = %d (%v); want %d", user, n, err, version)
	}
}

// TestMergeConflicts: an id that is here with other content is reported
// and the record here kept; the rest of the file still merges. An id whose
// record says the same in other words (another field order) is no
// conflict.
func TestMergeConflicts(t *testing.T) {
	tests := []struct {
		name string
		// make writes into other, given here's record, a record under the
		// same id; it returns the record's kind and id.
		make       func(t *testing.T, here, other *DB) (kind, id string)
		reason     string // in the conflict's reason; "" for no conflict
		wantCounts func(r MergeReport) MergeCounts
	}{
		{"label verdict", func(t *testing.T, here, other *DB) (string, string) {
			l := mgDecide(t, here, "ann", "u1", "t1", "a")
			l.Verdict, l.Rationale = "b", "changed my mind"
			mgPutRaw(t, other, bucketLabels, nil, l)
			return "label", l.ID
		}, "differs in rationale, verdict", func(r MergeReport) MergeCounts { return r.Labels }},
		{"label same content other field order", func(t *testing.T, here, other *DB) (string, string) {
			l := mgDecide(t, here, "ann", "u1", "t1", "a")
			var fields map[string]any
			raw, _ := json.Marshal(l)
			json.Unmarshal(raw, &fields)
			raw, _ = json.MarshalIndent(fields, "", "  ") // keys sorted, indented: other bytes, same label
			mgPutRaw(t, other, bucketLabels, nil, raw)
			return "label", l.ID
		}, "", func(r MergeReport) MergeCounts { return r.Labels }},
		{"summary text", func(t *testing.T, here, other *DB) (string, string) {
			s := mgSummary(t, here, "u1", "the text here", 0)
			mgSummary(t, other, "u1", "filler", 0) // so that the same id sits at another version
			s.Version, s.Text = 2, "the text there"
			mgPutRaw(t, other, bucketSummaries, summaryKey("u1", 2), s)
			return "summary", s.ID
		}, "differs in text", func(r MergeReport) MergeCounts { return r.Summaries }},
		{"summary same content other version", func(t *testing.T, here, other *DB) (string, string) {
			s := mgSummary(t, here, "u1", "the text", 0)
			mgSummary(t, other, "u1", "filler", 0)
			s.Version = 2
			mgPutRaw(t, other, bucketSummaries, summaryKey("u1", 2), s)
			return "summary", s.ID
		}, "", func(r MergeReport) MergeCounts { return r.Summaries }},
		{"generation text", func(t *testing.T, here, other *DB) (string, string) {
			g := mgGenerate(t, here, "u1", "t1", "b1", "answer here")
			g.Text = "answer there"
			mgPutRaw(t, other, bucketGenerations, []byte(g.ID), g)
			mgPutRaw(t, other, bucketGenCache, []byte("another-key"), []byte(g.ID))
			return "generation", g.ID
		}, "differs in text", func(r MergeReport) MergeCounts { return r.Generations }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			here, other := mgOpen(t, dir, "here.db"), mgOpen(t, dir, "other.db")
			mgImport(t, here, mgUsers)
			mgImport(t, other, mgUsers)
			kind, id := tt.make(t, here, other)
			extra := mgDecide(t, other, "bob", "u2", "t1", "a") // merges all the same
			other.Close()
			before := mgDump(t, here)

			rep := mgMerge(t, here, other.Path())
			counts := tt.wantCounts(rep)
			if tt.reason == "" {
				if counts.Conflicts != 0 || counts.Already != 1 || len(rep.Conflicts) != 0 {
					t.Errorf("%s %s: counts %+v, conflicts %v; want it already here", kind, id, counts, rep.Conflicts)
				}
			} else {
				if counts.Conflicts != 1 || rep.ConflictCount() != 1 || len(rep.Conflicts) != 1 {
					t.Fatalf("counts %+v, conflicts %v; want one conflict", counts, rep.Conflicts)
				}
				c := rep.Conflicts[0]
				if c.Kind != kind || c.ID != id || !strings.Contains(c.Reason, tt.reason) || !strings.Contains(c.Reason, "kept") {
					t.Errorf("conflict = %+v, want %s %s, reason with %q", c, kind, id, tt.reason)
				}
				if s := c.String(); !strings.HasPrefix(s, kind+" "+id+": ") {
					t.Errorf("conflict reads %q", s)
				}
			}
			if rep.Labels.Added != 1 {
				t.Errorf("labels added = %d, want 1 (bob's other decision)", rep.Labels.Added)
			}
			// Nothing here was overwritten: the database is what it was plus
			// bob's decision.
			ids := mgLabelIDs(t, here)
			if ids[len(ids)-1] != extra.ID {
				t.Errorf("bob's decision %s was not appended: %v", extra.ID, ids)
			}
			after := mgDump(t, here)
			for _, line := range strings.Split(before, "\n") {
				// The counters count what the merge added: they change.
				counters := strings.HasPrefix(line, `"counters"=`)
				if line != "" && !counters && !strings.HasPrefix(line, "bucket ") && !strings.Contains(after, line+"\n") {
					t.Errorf("record changed or removed by the merge: %s", line)
				}
			}
			if kind == "generation" {
				if _, ok, _ := here.CachedGeneration("another-key"); ok {
					t.Error("a cache entry points at the conflicting generation")
				}
			}
		})
	}
}

// TestMergeGenerationCache: for a key cached here the answer here stays;
// keys only the other database has come across.
func TestMergeGenerationCache(t *testing.T) {
	dir := t.TempDir()
	a, b := mgOpen(t, dir, "a.db"), mgOpen(t, dir, "b.db")
	mgImport(t, a, mgUsers)
	mgImport(t, b, mgUsers)
	mine := mgGenerate(t, a, "u1", "t1", "b1", "mine")
	theirs := mgGenerate(t, b, "u1", "t1", "b1", "theirs") // the same key
	if mine.Key != theirs.Key {
		t.Fatal("test setup: the keys differ")
	}
	older := mgGenerate(t, b, "u1", "t2", "b1", "older")
	newer := mgGenerate(t, b, "u1", "t2", "b1", "newer") // the cache points at it
	b.Close()

	rep := mgMerge(t, a, b.Path())
	if rep.Generations.Added != 3 || rep.CacheEntries != 1 {
		t.Errorf("report %+v, want 3 generations and 1 cache entry added", rep)
	}
	for key, want := range map[string]string{mine.Key: mine.ID, newer.Key: newer.ID} {
		if g, ok, err := a.CachedGeneration(key); err != nil || !ok || g.ID != want {
			t.Errorf("cache of %s = %s ok %v err %v, want %s", key, g.ID, ok, err, want)
		}
	}
	for _, g := range []Generation{theirs, older, newer} {
		got, err := a.Generation(g.ID)
		if err != nil || fmt.Sprint(got.Messages, got.Text, got.CreatedAt.UnixNano()) != fmt.Sprint(g.Messages, g.Text, g.CreatedAt.UnixNano()) {
			t.Errorf("Generation(%s) = %+v, %v; want %+v", g.ID, got, err, g)
		}
	}
}

// TestMergeSummaryParents: parents follow renumbering; a parent that did
// not come across (a conflict) leaves Parent 0.
func TestMergeSummaryParents(t *testing.T) {
	dir := t.TempDir()
	a, b := mgOpen(t, dir, "a.db"), mgOpen(t, dir, "b.db")
	mgImport(t, a, mgUsers)
	mgImport(t, b, mgUsers)
	shared := mgSummary(t, a, "u1", "shared", 0)
	annEdit := mgSummary(t, a, "u1", "ann's edit", 1)
	// b holds the shared version (as its version 1), a conflicting one, and
	// edits of each.
	mgPutRaw(t, b, bucketSummaries, summaryKey("u1", 1), shared)
	bad := mgSummary(t, a, "u2", "u2 here", 0)
	bad.Text = "u2 there"
	mgPutRaw(t, b, bucketSummaries, summaryKey("u2", 1), bad)
	e1 := mgSummary(t, b, "u1", "bob's edit of shared", 1)
	e2 := mgSummary(t, b, "u1", "bob's edit of his edit", 2)
	e3 := mgSummary(t, b, "u2", "bob's edit of the conflict", 1)
	b.Close()

	rep := mgMerge(t, a, b.Path())
	// e1 and e2 come after ann's two versions; e3 keeps its number.
	if rep.Summaries != (MergeCounts{Added: 3, Already: 1, Conflicts: 1}) || rep.Renumbered != 2 {
		t.Errorf("report %+v", rep)
	}
	type v struct {
		id              string
		version, parent int
	}
	var got []v
	for _, user := range []string{"u1", "u2"} {
		for _, s := range mgVersions(t, a, user) {
			got = append(got, v{s.ID, s.Version, s.Parent})
		}
	}
	want := []v{{shared.ID, 1, 0}, {annEdit.ID, 2, 1}, {e1.ID, 3, 1}, {e2.ID, 4, 3}, {bad.ID, 1, 0}, {e3.ID, 2, 0}}
	if !slices.Equal(got, want) {
		t.Errorf("summaries after the merge = %v\nwant %v", got, want)
	}
}

// TestMergeBringsMissingUser: records of a user this database lacks bring
// the user across with their signals, once; users without merged records
// stay behind.
func TestMergeBringsMissingUser(t *testing.T) {
	dir := t.TempDir()
	a, b := mgOpen(t, dir, "a.db"), mgOpen(t, dir, "b.db")
	mgImport(t, a, mgUsers)
	u3 := `{"user":"u3","kind":"pair","id":"p1","prompt":"Q","chosen":"yes","rejected":"no","meta":{"lang":"en"}}
{"user":"u3","kind":"pair","id":"p2","split":"heldout","prompt":"Q2","chosen":"a","rejected":"b"}
{"user":"u3","kind":"text","id":"x","text":"I write tersely.","source":"comment"}
{"user":"u3","kind":"task","id":"t1","prompt":"Say hi."}
{"user":"u4","kind":"task","id":"t1","prompt":"Nobody labels me."}
{"user":"u5","kind":"task","id":"t1","prompt":"Only a generation."}
`
	mgImport(t, b, mgUsers+u3)
	mgDecide(t, b, "bob", "u3", "t1", "a")
	mgSummary(t, b, "u3", "terse", 0)
	mgGenerate(t, b, "u5", "t1", "b1", "hi")
	want3, err := b.Signals("u3")
	if err != nil {
		t.Fatal(err)
	}
	wantUser, _ := b.User("u3")
	b.Close()

	rep := mgMerge(t, a, b.Path())
	if rep.Users != 2 || rep.Signals != (Counts{HistoryPairs: 1, HeldoutPairs: 1, Texts: 1, Tasks: 2}) {
		t.Errorf("report: users %d, signals %+v; want u3 and u5 with 5 signals", rep.Users, rep.Signals)
	}
	got3, err := a.Signals("u3")
	if err != nil || len(got3) != len(want3) {
		t.Fatalf("Signals(u3) = %d signals, %v; want %d", len(got3), err, len(want3))
	}
	for i := range got3 {
		g, w := got3[i], want3[i]
		g.Seq, w.Seq = 0, 0 // where it is stored, not what it says
		if !reflect.DeepEqual(g, w) {
			t.Errorf("signal %d of u3 = %+v, want %+v", i, got3[i], want3[i])
		}
	}
	if u, err := a.User("u3"); err != nil || u.Counts != wantUser.Counts || string(u.Meta) != string(wantUser.Meta) {
		t.Errorf("User(u3) = %+v, %v; want %+v", u, err, wantUser)
	}
	if _, err := a.User("u4"); !errors.Is(err, ErrNotFound) {
		t.Errorf("User(u4) err = %v; u4 has no merged records and should stay behind", err)
	}
	// The signals are stored as an import stores them: importing u3's data
	// now adds nothing.
	if r, err := a.Import(context.Background(), "u3.jsonl", strings.NewReader(u3), ImportOptions{Format: FormatPopi}); err != nil || r.Duplicates != 5 || r.Added.Total() != 1 {
		t.Errorf("importing u3..u5 after the merge: %+v, %v; want u3's and u5's 5 signals duplicates, u4's one added", r, err)
	}
	// A later import that fails is rolled back without taking u3 along.
	if _, err := a.Import(context.Background(), "bad.jsonl", strings.NewReader(`{"user":"u3","kind":"task","id":"t9","prompt":"new"}`+"\n{bad\n"), ImportOptions{Format: FormatPopi}); err == nil {
		t.Fatal("a bad import succeeded")
	}
	if _, err := a.User("u3"); err != nil {
		t.Errorf("u3 after a rolled-back import: %v", err)
	}
	before := mgDump(t, a)
	if rep := mgMerge(t, a, b.Path()); rep.Users != 0 || rep.Signals.Total() != 0 || rep.Labels.Added+rep.Summaries.Added+rep.Generations.Added != 0 {
		t.Errorf("second merge: %+v, want nothing added", rep)
	}
	if mgDump(t, a) != before {
		t.Error("the second merge changed the database")
	}
}

// TestMergeRefuses: what cannot be merged is refused with the file named,
// and leaves this database as it was.
func TestMergeRefuses(t *testing.T) {
	tests := []struct {
		name string
		// setup returns the path to merge from, given this database's.
		setup func(t *testing.T, dir, self string) string
		want  string
		is    error
	}{
		{"itself", func(t *testing.T, dir, self string) string { return self }, "cannot be merged into itself", ErrSameDatabase},
		{"itself by another name", func(t *testing.T, dir, self string) string {
			return dir + "/./sub/../" + filepath.Base(self) // sub does not exist: only the names tell
		}, "cannot be merged into itself", ErrSameDatabase},
		{"itself relative", func(t *testing.T, dir, self string) string {
			t.Chdir(dir)
			return filepath.Base(self)
		}, "cannot be merged into itself", ErrSameDatabase},
		{"itself through a link", func(t *testing.T, dir, self string) string {
			link := filepath.Join(dir, "link.db")
			if err := os.Symlink(self, link); err != nil {
				t.Skip(err)
			}
			return link
		}, "cannot be merged into itself", ErrSameDatabase},
		{"missing", func(t *testing.T, dir, _ string) string { return filepath.Join(dir, "nope.db") }, "no such file", os.ErrNotExist},
		{"directory", func(t *testing.T, dir, _ string) string { return dir }, "is a directory", nil},
		{"foreign file", func(t *testing.T, dir, _ string) string {
			p := filepath.Join(dir, "notes.txt")
			os.WriteFile(p, []byte(strings.Repeat("not a database\n", 1000)), 0o600)
			return p
		}, "not a popi-tui database", nil},
		{"newer schema", func(t *testing.T, dir, _ string) string {
			return mgOther(t, dir, func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keySchema, []byte("99")) })
		}, "newer popi-tui (schema 99", nil},
		{"schema 0", func(t *testing.T, dir, _ string) string {
			return mgOther(t, dir, func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keySchema, []byte("0")) })
		}, "unknown schema version 0 (this popi-tui knows 1–", nil},
		{"not popi-tui's bbolt file", func(t *testing.T, dir, _ string) string {
			p := filepath.Join(dir, "plain.bolt")
			bdb, err := bolt.Open(p, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			bdb.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("stuff")); return err })
			bdb.Close()
			return p
		}, "not a popi-tui database (no schema version)", nil},
		{"interrupted import", func(t *testing.T, dir, _ string) string {
			return mgOther(t, dir, func(tx *bolt.Tx) error {
				return tx.Bucket(bucketMeta).Put(keyImportPending, []byte(`{"file":"x","start_seq":1}`))
			})
		}, "an import into it was interrupted", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			self := mgOpen(t, dir, "self.db")
			mgImport(t, self, mgUsers)
			mgDecide(t, self, "ann", "u1", "t1", "a")
			before := mgDump(t, self)
			other := tt.setup(t, dir, self.Path())
			var otherBytes []byte
			if st, err := os.Stat(other); err == nil && st.Mode().IsRegular() && other != self.Path() {
				otherBytes, _ = os.ReadFile(other)
			}
			start := time.Now()
			rep, err := self.Merge(context.Background(), other)
			if err == nil {
				t.Fatalf("Merge(%s) succeeded: %+v", other, rep)
			}
			if time.Since(start) > time.Second {
				t.Errorf("took %v to refuse", time.Since(start))
			}
			if !strings.HasPrefix(err.Error(), "merge "+other+": ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to start with %q and say %q", err, "merge "+other+": ", tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
			if mgDump(t, self) != before {
				t.Error("a refused merge changed the database")
			}
			if otherBytes != nil {
				if got, _ := os.ReadFile(other); string(got) != string(otherBytes) {
					t.Error("a refused merge changed the other file")
				}
			}
		})
	}
}

// mgOther makes a database with a decision in it, changes it with fn,
// and returns its path, closed.
func mgOther(t *testing.T, dir string, fn func(tx *bolt.Tx) error) string {
	t.Helper()
	db := mgOpen(t, dir, "other.db")
	mgImport(t, db, mgUsers)
	mgDecide(t, db, "bob", "u1", "t1", "b")
	if err := db.bolt.Update(fn); err != nil {
		t.Fatal(err)
	}
	db.Close()
	return db.Path()
}

// TestMergeDatabaseInUse: a database another process has open fails
// within the lock timeout, naming it (flock(2) locks belong to the open
// file, so a handle in this process stands for another process).
func TestMergeDatabaseInUse(t *testing.T) {
	dir := t.TempDir()
	a, b := mgOpen(t, dir, "a.db"), mgOpen(t, dir, "b.db")
	mgImport(t, b, mgUsers)
	mgDecide(t, b, "bob", "u1", "t1", "a")
	before := mgDump(t, a)
	start := time.Now()
	_, err := a.Merge(context.Background(), b.Path())
	elapsed := time.Since(start)
	if want := "merge " + b.Path() + ": in use by another popi-tui process"; err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
	if !errors.Is(err, ErrInUse) {
		t.Errorf("error %v is not ErrInUse", err)
	}
	if elapsed > LockTimeout+time.Second {
		t.Errorf("took %v to fail; want about %v", elapsed, LockTimeout)
	}
	if mgDump(t, a) != before {
		t.Error("a failed merge changed the database")
	}
	b.Close()
	if rep := mgMerge(t, a, b.Path()); rep.Labels.Added != 1 {
		t.Errorf("once closed: report %+v, want its label", rep)
	}
}

// mgStopAfter is a context that is done after its Err has been asked n
// times: a Ctrl-C arriving in the middle of a merge.
type mgStopAfter struct {
	context.Context
	n atomic.Int32
}

func (c *mgStopAfter) Err() error {
	if c.n.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

// TestMergeInterrupted: a merge stopped before or while it runs merges
// nothing.
func TestMergeInterrupted(t *testing.T) {
	dir := t.TempDir()
	a, b := mgOpen(t, dir, "a.db"), mgOpen(t, dir, "b.db")
	mgImport(t, b, mgUsers)
	const n = 3 * mergeCheckEvery // so that the merge looks at its context while it runs
	err := b.bolt.Update(func(tx *bolt.Tx) error {
		bk := tx.Bucket(bucketLabels)
		for i := range n {
			l := Label{ID: fmt.Sprintf("L%05d", i), Kind: LabelRetraction, Retracts: "x", User: "u1", PromptID: "t1", Annotator: "bob"}
			v, _ := json.Marshal(l)
			seq, _ := bk.NextSequence()
			if err := bk.Put(seqKey(seq), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	before := mgDump(t, a)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, ctx := range []context.Context{cancelled, &mgStopAfter{Context: context.Background()}} {
		if c, ok := ctx.(*mgStopAfter); ok {
			c.n.Store(2) // the look before starting, and the first inside
		}
		_, err := a.Merge(ctx, b.Path())
		if !errors.Is(err, ErrInterrupted) || !strings.Contains(err.Error(), b.Path()) {
			t.Errorf("error = %v, want ErrInterrupted naming the file", err)
		}
		if mgDump(t, a) != before {
			t.Error("an interrupted merge changed the database")
		}
	}
	if rep := mgMerge(t, a, b.Path()); rep.Labels.Added != n || rep.Users != 1 {
		t.Errorf("the merge after: labels %+v, users %d; want %d labels and u1", rep.Labels, rep.Users, n)
	}
}

// A database last opened by an older build (schema 1, before sessions
// were kept per comparison) merges as it is: the buckets a merge reads
// have not changed since.
func TestMergeReadsAnOlderSchema(t *testing.T) {
	dir := t.TempDir()
	saved := migrations
	t.Cleanup(func() { migrations = saved })
	migrations = nil
	old := mgOpen(t, dir, "old.db")
	mgImport(t, old, `{"user":"u1","kind":"task","id":"t1","prompt":"p"}`+"\n")
	mgDecide(t, old, "ann", "u1", "t1", "a")
	old.Close()
	migrations = saved
	db := mgOpen(t, dir, "this.db")
	rep := mgMerge(t, db, filepath.Join(dir, "old.db"))
	if rep.Labels.Added != 1 || rep.Users != 1 {
		t.Errorf("merged from schema 1: %+v", rep)
	}
}

// Two people labeling under one name (the login name, say) on two
// machines: the merge says so, and which decision counts (the newest) does
// not depend on who merged whom.
func TestMergeReportsOneNameOnTwoMachines(t *testing.T) {
	for _, direction := range []string{"first into second", "second into first"} {
		t.Run(direction, func(t *testing.T) {
			dir := t.TempDir()
			first, second := mgOpen(t, dir, "first.db"), mgOpen(t, dir, "second.db")
			mgImport(t, first, mgUsers)
			mgImport(t, second, mgUsers)
			mgDecide(t, first, "root", "u1", "t1", "a")
			mgDecide(t, first, "root", "u1", "t2", "a") // only here
			time.Sleep(2 * time.Millisecond)
			newest := mgDecide(t, second, "root", "u1", "t1", "b")
			into, from := first, second
			if direction == "second into first" {
				into, from = second, first
			}
			from.Close()
			rep := mgMerge(t, into, from.Path())
			if want := []SharedName{{Annotator: "root", Items: 1}}; !slices.Equal(rep.SharedNames, want) {
				t.Errorf("shared names = %+v, want %+v", rep.SharedNames, want)
			}
			var current []string
			if err := into.CurrentLabels(func(l Label) error {
				if l.PromptID == "t1" {
					current = append(current, l.ID)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(current, []string{newest.ID}) {
				t.Errorf("current decisions on u1/t1 = %v, want the newest, %s", current, newest.ID)
			}
			// Merging again: nothing new, nothing to say.
			if rep := mgMerge(t, into, from.Path()); len(rep.SharedNames) != 0 {
				t.Errorf("second merge: shared names %+v", rep.SharedNames)
			}
		})
	}
}
