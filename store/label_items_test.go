package store

import (
	"fmt"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// liveDump is what the live-decision buckets hold, as text.
func liveDump(t *testing.T, db *DB) string {
	t.Helper()
	var out []string
	err := db.bolt.View(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketLabelLive, bucketLabelItemLive, bucketLabelWithdrawn} {
			err := tx.Bucket(name).ForEach(func(k, v []byte) error {
				out = append(out, fmt.Sprintf("%s %x %x", name, k, v))
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(out, "\n")
}

// Every label writer keeps the count of current decisions and the items'
// lists: decisions, a second annotator, a retraction, an amendment, a
// replacement, a retraction without candidates, a merge.
func TestLabelCountersFollowEveryWrite(t *testing.T) {
	dir := t.TempDir()
	a, b := mgOpen(t, dir, "a.db"), mgOpen(t, dir, "b.db")
	mgImport(t, a, mgUsers)
	check := func(when string, wantCurrent int) {
		t.Helper()
		c := wantCountersMatchScan(t, a, when)
		if c.LabelsCurrent != wantCurrent {
			t.Errorf("%s: %d current decisions, want %d", when, c.LabelsCurrent, wantCurrent)
		}
		if st, err := a.Stats(); err != nil || st.Labels != wantCurrent {
			t.Errorf("%s: stats says %d labels (%v), want %d", when, st.Labels, err, wantCurrent)
		}
	}
	at := time.Date(2025, 3, 2, 0, 0, 0, 0, time.UTC)
	check("no labels", 0)
	d1 := mgDecide(t, a, "kim", "u1", "t1", "a")
	mgDecide(t, a, "lee", "u1", "t1", "b")
	check("two annotators on one item", 2)
	d2 := mgDecide(t, a, "kim", "u1", "t1", "b") // kim again: replaces d1 as current
	check("a newer decision on the same item", 2)
	if _, err := a.AddLabel(d2.Retraction(at, "test"), nil); err != nil {
		t.Fatal(err)
	}
	check("the newer one taken back: the older is current again", 2)
	if _, err := a.AddLabel(d1.Retraction(at, "test"), nil); err != nil {
		t.Fatal(err)
	}
	check("both of kim's taken back", 1)
	d3 := mgDecide(t, a, "kim", "u2", "t1", "a")
	amended := d3
	amended.ID, amended.Amends, amended.Rationale = "", d3.ID, "because"
	if _, err := a.AddLabel(amended, nil); err != nil {
		t.Fatal(err)
	}
	check("an amendment", 2)
	var current Label
	err := a.CurrentLabels(func(l Label) error {
		if l.User == "u2" {
			current = l
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	next := current
	next.ID, next.Amends, next.Verdict = "", "", "b"
	if _, _, err = a.ReplaceDecision(current, next, "test"); err != nil {
		t.Fatal(err)
	}
	check("a replacement", 2)
	if _, _, err = a.ReplaceDecision(current, next, "test"); err == nil {
		t.Error("a decision no longer current was replaced")
	}
	bare := Label{Kind: LabelRetraction, Retracts: d3.ID, User: "u2", PromptID: "t1", Annotator: "kim"}
	if _, err := a.AddLabel(bare, nil); err != nil {
		t.Fatal(err)
	}
	check("a retraction without candidates of a decision already replaced", 2)

	mgImport(t, b, mgUsers)
	mgDecide(t, b, "max", "u2", "t2", "a")
	bl := mgDecide(t, b, "max", "u1", "t2", "a")
	if _, err := b.AddLabel(Label{Kind: LabelRetraction, Retracts: bl.ID, User: "u1", PromptID: "t2", Annotator: "max"}, nil); err != nil {
		t.Fatal(err)
	}
	b.Close()
	mgMerge(t, a, b.Path())
	check("after a merge", 3)
}

// A database of schema 7 does not keep the live decisions: opening it
// works them out from the records, once, as the writers would have.
func TestLabelLiveMigratedOnOpen(t *testing.T) {
	dir := t.TempDir()
	db := mgOpen(t, dir, "old.db")
	mgImport(t, db, mgUsers)
	var first Label
	for i := range 6 {
		l := mgDecide(t, db, fmt.Sprint("ann", i%2), "u1", fmt.Sprint("t", i%3), "a")
		if i == 0 {
			first = l
		}
	}
	if _, err := db.AddLabel(first.Retraction(time.Now().UTC(), "test"), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddLabel(Label{Kind: LabelRetraction, Retracts: "not-here-yet", User: "u1", PromptID: "t9", Annotator: "kim"}, nil); err != nil {
		t.Fatal(err)
	}
	want := liveDump(t, db)
	db = mgDowngrade(t, db, dir, "old.db", 7, func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketLabelLive, bucketLabelItemLive, bucketLabelWithdrawn} {
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
		}
		c, err := readCounters(tx)
		if err != nil {
			return err
		}
		c.LabelsCurrent = 0
		return writeCounters(tx, c)
	})
	if c := wantCountersMatchScan(t, db, "after the upgrade"); c.LabelsCurrent != 5 {
		t.Errorf("after the upgrade: %d current decisions, want 5", c.LabelsCurrent)
	}
	if got := liveDump(t, db); got != want {
		t.Errorf("after the upgrade the live decisions are\n%s\nwhere the writers kept\n%s", got, want)
	}
}
