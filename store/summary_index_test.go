package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// summaryIndex is what the lists of summary_index.go hold: the users with
// a person's version, the seqs of the labels judging summaries.
type summaryIndex struct {
	humans []string
	labels []uint64
}

// readSummaryIndex reads the lists as kept.
func readSummaryIndex(tx *bolt.Tx) summaryIndex {
	var ix summaryIndex
	tx.Bucket(bucketHumanSummaries).ForEach(func(k, _ []byte) error {
		ix.humans = append(ix.humans, string(k))
		return nil
	})
	tx.Bucket(bucketSummaryLabels).ForEach(func(k, _ []byte) error {
		ix.labels = append(ix.labels, decodeSeqKey(k))
		return nil
	})
	return ix
}

// scanSummaryIndex works the lists out from every record, with
// encoding/json.
func scanSummaryIndex(tx *bolt.Tx) (summaryIndex, error) {
	var ix summaryIndex
	err := tx.Bucket(bucketSummaries).ForEach(func(k, v []byte) error {
		var s Summary
		if err := json.Unmarshal(v, &s); err != nil {
			return fmt.Errorf("summary %q: %w", k, err)
		}
		if s.Source == SourceHuman && !slices.Contains(ix.humans, s.User) {
			ix.humans = append(ix.humans, s.User)
		}
		return nil
	})
	if err != nil {
		return ix, err
	}
	err = tx.Bucket(bucketLabels).ForEach(func(k, v []byte) error {
		var l Label
		if err := json.Unmarshal(v, &l); err != nil {
			return fmt.Errorf("label %d: %w", decodeSeqKey(k), err)
		}
		if l.JudgesSummaries() || (l.Kind == LabelRetraction && len(l.Candidates) == 0) {
			ix.labels = append(ix.labels, decodeSeqKey(k))
		}
		return nil
	})
	return ix, err
}

// wantSummaryIndexMatchScan fails unless the lists say what a scan of the
// records finds, and returns them.
func wantSummaryIndexMatchScan(t *testing.T, db *DB, when string) summaryIndex {
	t.Helper()
	var kept, scanned summaryIndex
	err := db.bolt.View(func(tx *bolt.Tx) (err error) {
		kept = readSummaryIndex(tx)
		scanned, err = scanSummaryIndex(tx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(kept) != fmt.Sprint(scanned) {
		t.Errorf("%s: the lists hold %+v, a scan of the records finds %+v", when, kept, scanned)
	}
	return kept
}

// exportedUsers are the users ScanUserSummaries reads.
func exportedUsers(t *testing.T, db *DB, judged bool) []string {
	t.Helper()
	var users []string
	build := func(u UserSummaries) (string, error) { return u.User, nil }
	if err := ScanUserSummaries(db, judged, build, func(u string) error { users = append(users, u); return nil }); err != nil {
		t.Fatal(err)
	}
	return users
}

// usersToExport works out, from every record, whom a summaries export
// writes rows for: the users with a person's version and (judged) those
// with a current decision between summaries, by the rule over every label.
func usersToExport(t *testing.T, db *DB, judged bool) []string {
	t.Helper()
	users := map[string]bool{}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		ix, err := scanSummaryIndex(tx)
		for _, u := range ix.humans {
			users[u] = true
		}
		if err != nil || !judged {
			return err
		}
		byIndex := map[int]Decision{}
		_, current, err := currentMarks(tx, func(i int, d *Decision) { byIndex[i] = *d })
		for _, i := range current {
			if d := byIndex[i]; d.JudgesSummaries() {
				users[d.User] = true
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return slices.Sorted(maps.Keys(users))
}

// wantScreensReadTheLists fails unless what the Compare summaries screen
// reads from the lists is what reading everything finds: the current
// decisions between summaries, and every version of the users a person
// edited.
func wantScreensReadTheLists(t *testing.T, db *DB, when string) {
	t.Helper()
	var got, want []string
	db.CurrentSummaryLabels(func(l Label) error { got = append(got, l.ID+" "+l.Verdict); return nil })
	err := db.CurrentLabels(func(l Label) error {
		if l.JudgesSummaries() {
			want = append(want, l.ID+" "+l.Verdict)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s: current decisions between summaries from the list %q, from every label %q", when, got, want)
	}
	edited, all := map[string]string{}, map[string]string{}
	db.EachEditedUserSummaries(func(u UserSummaries) error { edited[u.User] = fmt.Sprint(u.Versions, u.Current); return nil })
	err = db.EachUserSummaries(func(u UserSummaries) error {
		for _, v := range u.Versions {
			if v.Source == SourceHuman {
				all[u.User] = fmt.Sprint(u.Versions, u.Current)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(edited, all) {
		t.Errorf("%s: edited users from the list %v, from every summary %v", when, edited, all)
	}
}

// summaryDecision stores a decision between two of the user's summaries.
func summaryDecision(t *testing.T, db *DB, annotator, user string, a, b Summary, verdict string) Label {
	t.Helper()
	l, err := db.AddLabel(Label{Kind: LabelDecision, User: user, PromptID: SummaryItemID([]string{a.ID, b.ID}),
		Candidates: summaryCandidates(a.ID, b.ID), Verdict: verdict, Annotator: annotator,
		ShownAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}, nil)
	if err != nil {
		t.Fatalf("AddLabel: %v", err)
	}
	return l
}

// Every writer keeps the lists with the records, and the summaries export
// reads exactly the users the records say it writes rows for.
func TestSummaryIndexFollowsEveryWrite(t *testing.T) {
	dir := t.TempDir()
	a, b := mgOpen(t, dir, "a.db"), mgOpen(t, dir, "b.db")
	mgImport(t, a, mgUsers)
	mgImport(t, a, `{"user":"u3","kind":"text","id":"x3","text":"Hello."}`+"\n")
	check := func(when string) {
		t.Helper()
		wantSummaryIndexMatchScan(t, a, when)
		for _, judged := range []bool{false, true} {
			if got, want := exportedUsers(t, a, judged), usersToExport(t, a, judged); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s (judged %v): the export reads users %q, the records say %q", when, judged, got, want)
			}
		}
		wantScreensReadTheLists(t, a, when)
	}
	check("new database")

	model := func(user, text string) Summary {
		s, err := a.AddSummary(Summary{User: user, Text: text, Source: "vllm", Model: "m"})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	m1, m2 := model("u2", "likes lists"), model("u2", "likes short lists")
	model("u1", "a model's summary")
	check("model summaries only")
	mgSummary(t, a, "u1", "a person's summary", 1)
	check("a person's version")

	d := summaryDecision(t, a, "kim", "u2", m1, m2, "a")
	mgDecide(t, a, "kim", "u1", "t1", "a") // answers: not listed
	check("a decision between summaries")
	if _, err := a.AddLabel(d.Retraction(time.Now().UTC(), "test"), nil); err != nil {
		t.Fatal(err)
	}
	check("the decision taken back")
	d = summaryDecision(t, a, "kim", "u2", m1, m2, "b")
	amended := d
	amended.ID, amended.Verdict, amended.Rationale = "", "a", "on second thought"
	if _, _, err := a.ReplaceDecision(d, amended, "test"); err != nil {
		t.Fatal(err)
	}
	check("a decision replaced")
	model("u3", "says hello")
	bare := Label{Kind: LabelRetraction, Retracts: "no-such-id", User: "u3", PromptID: "p", Annotator: "kim"}
	if _, err := a.AddLabel(bare, nil); err != nil {
		t.Fatal(err)
	}
	check("a retraction without candidates")

	mgImport(t, b, mgUsers)
	mgImport(t, b, `{"user":"only-b","kind":"text","text":"hi"}`+"\n")
	mgSummary(t, b, "only-b", "b's person", 0)
	mgImport(t, b, `{"user":"u3","kind":"text","id":"x3","text":"Hello."}`+"\n")
	var bs []Summary
	for _, text := range []string{"b's model", "b's other model"} {
		s, err := b.AddSummary(Summary{User: "u3", Text: text, Source: "vllm"})
		if err != nil {
			t.Fatal(err)
		}
		bs = append(bs, s)
	}
	summaryDecision(t, b, "lee", "u3", bs[0], bs[1], "tie")
	b.Close()
	mgMerge(t, a, b.Path())
	check("after a merge")
	if ix := wantSummaryIndexMatchScan(t, a, "after a merge"); !slices.Contains(ix.humans, "only-b") {
		t.Errorf("after the merge: %q not listed with a person's version: %+v", "only-b", ix)
	}
}

// A database of schema 6 has no lists: opening it lifts them from the
// records, once.
func TestSummaryIndexMigratedOnOpen(t *testing.T) {
	dir := t.TempDir()
	db := mgOpen(t, dir, "old.db")
	mgImport(t, db, mgUsers)
	s1 := mgSummary(t, db, "u1", "a person's summary", 0)
	s2 := mgSummary(t, db, "u1", "another", 1)
	summaryDecision(t, db, "kim", "u1", s1, s2, "a")
	mgDecide(t, db, "kim", "u2", "t1", "a")
	want := wantSummaryIndexMatchScan(t, db, "before")
	db = mgDowngrade(t, db, dir, "old.db", 6, func(tx *bolt.Tx) error {
		return errors.Join(tx.DeleteBucket(bucketHumanSummaries), tx.DeleteBucket(bucketSummaryLabels))
	})
	got := wantSummaryIndexMatchScan(t, db, "after the upgrade")
	if fmt.Sprint(got) != fmt.Sprint(want) || len(got.humans) != 1 || len(got.labels) != 1 {
		t.Errorf("after the upgrade: %+v, want %+v (one user, one label)", got, want)
	}
}
