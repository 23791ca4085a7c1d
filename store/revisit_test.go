package store_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	. "github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/format/trl"
	"github.com/popi-tui/popi-tui/store/storetest"
)

// fxDecisionAt is a decision of annotator on user's prompt decided at
// minute m of a fixed hour.
func fxDecisionAt(annotator, user, prompt, verdict string, m int) Label {
	l := storetest.Decision(annotator, user, prompt, verdict)
	l.DecidedAt = time.Date(2025, 3, 1, 11, m, 0, 0, time.UTC)
	return l
}

// The list is one annotator's current decisions in one comparison,
// newest first: not another annotator's, not another comparison's, not
// one taken back, and an amended decision only as amended.
func TestAnnotatorDecisionsNewestFirstOfOneComparison(t *testing.T) {
	db := storetest.Open(t)
	first := storetest.AddLabel(t, db, fxDecisionAt("kim", "u1", "p1", "a", 1))
	storetest.AddLabel(t, db, fxDecisionAt("lee", "u1", "p2", "a", 2))
	other := fxDecisionAt("kim", "u1", "p3", "b", 3)
	other.Candidates = storetest.Candidates(3) // another comparison
	storetest.AddLabel(t, db, other)
	undone := storetest.AddLabel(t, db, fxDecisionAt("kim", "u2", "p1", "tie", 4))
	storetest.AddLabel(t, db, undone.Retraction(undone.DecidedAt.Add(time.Second), "test"))
	third := storetest.AddLabel(t, db, fxDecisionAt("kim", "u3", "p1", "b", 6))
	// Stored after third but decided before it (a merge's order).
	second := storetest.AddLabel(t, db, fxDecisionAt("kim", "u2", "p2", VerdictSkip, 5))
	amend := first
	amend.ID, amend.Amends, amend.Rationale = "", first.ID, "clearer"
	amend.DecidedAt = first.DecidedAt.Add(30 * time.Second)
	amended := storetest.AddLabel(t, db, amend)

	got, err := db.AnnotatorDecisions("kim", Comparison(storetest.Candidates(2)))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, l := range got {
		ids = append(ids, l.User+"/"+l.PromptID+"="+l.Verdict)
	}
	want := []string{"u3/p1=b", "u2/p2=skip", "u1/p1=a"}
	if strings.Join(ids, " ") != strings.Join(want, " ") {
		t.Fatalf("decisions = %v, want %v", ids, want)
	}
	if got[0].ID != third.ID || got[1].ID != second.ID || got[2].ID != amended.ID || got[2].Rationale != "clearer" || got[2].Prompt != "prompt of p1" {
		t.Errorf("decisions are not the stored records: %+v", got)
	}
	if none, err := db.AnnotatorDecisions("max", Comparison(storetest.Candidates(2))); err != nil || len(none) != 0 {
		t.Errorf("an annotator without decisions: %v, %v", none, err)
	}
}

// A replacement keeps the old decision on record, taken back by a
// retraction stored with the new one; the new one is current, and the
// export writes it instead of the old.
func TestReplaceDecisionRetractsTheOldAndExportsTheNew(t *testing.T) {
	db := storetest.Open(t)
	old := storetest.AddLabel(t, db, fxDecisionAt("kim", "u1", "p1", "a", 1))
	storetest.AddLabel(t, db, fxDecisionAt("kim", "u2", "p1", "b", 2))

	l := old
	l.ID, l.Verdict, l.DecidedAt = "", "b", time.Time{}
	r, stored, err := db.ReplaceDecision(old, l, "test-2")
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind != LabelRetraction || r.Retracts != old.ID || r.AppVersion != "test-2" || stored.ID == "" || stored.Verdict != "b" || stored.DecidedAt.IsZero() {
		t.Errorf("retraction %+v, new decision %+v", r, stored)
	}
	var all []Label
	if err := db.EachLabel(func(l Label) error { all = append(all, l); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(all) != 4 || all[0].ID != old.ID || all[0].Verdict != "a" || all[2].ID != r.ID || all[3].ID != stored.ID {
		t.Fatalf("labels after the replacement: %+v", all)
	}
	if ids := fxCurrentIDs(t, db); len(ids) != 2 || ids[1] != stored.ID {
		t.Errorf("current = %v, want the other decision and %s", ids, stored.ID)
	}

	var out bytes.Buffer
	rep, err := trl.ExportLabels(db, &out, trl.LabelExport{Format: trl.LabelsRaw})
	if err != nil {
		t.Fatal(err)
	}
	rows := storetest.Rows(t, out.Bytes(), 2)
	if rep.Decisions != 2 || rows[0]["id"] == old.ID || rows[1]["id"] != stored.ID || rows[1]["verdict"] != "b" {
		t.Errorf("export after the replacement: %+v\n%s", rep, out.String())
	}

	// Replaced again: the replacement is taken back in turn.
	again := stored
	again.ID, again.Verdict, again.DecidedAt = "", VerdictTie, time.Time{}
	if _, third, err := db.ReplaceDecision(stored, again, "test-2"); err != nil || third.Verdict != VerdictTie {
		t.Fatalf("second replacement: %+v, %v", third, err)
	}
	if got, _ := db.AnnotatorDecisions("kim", Comparison(old.Candidates)); len(got) != 2 || got[0].Verdict != VerdictTie {
		t.Errorf("decisions after two replacements: %+v", got)
	}
}

// A decision that is no longer current (undone or replaced elsewhere) is
// not replaced, and a replacement must judge the same item: nothing is
// written then.
func TestReplaceDecisionRefusesAStaleOrForeignDecision(t *testing.T) {
	db := storetest.Open(t)
	old := storetest.AddLabel(t, db, fxDecisionAt("kim", "u1", "p1", "a", 1))
	next := old
	next.ID, next.Verdict = "", "b"

	foreign := next
	foreign.PromptID = "p2"
	withID := next
	withID.ID = "x"
	invalid := next
	invalid.Verdict = "z"
	for name, l := range map[string]Label{"another item": foreign, "an id": withID, "a verdict naming no pane": invalid} {
		if _, _, err := db.ReplaceDecision(old, l, "t"); err == nil {
			t.Errorf("%s: replaced", name)
		}
	}
	storetest.AddLabel(t, db, old.Retraction(old.DecidedAt.Add(time.Second), "t"))
	if _, _, err := db.ReplaceDecision(old, next, "t"); err == nil || !strings.Contains(err.Error(), "no longer the current decision") {
		t.Errorf("replacing an undone decision: %v", err)
	}
	n := 0
	db.EachLabel(func(Label) error { n++; return nil })
	if n != 2 {
		t.Errorf("%d labels stored, want the decision and its retraction", n)
	}
}
