package store_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	. "github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
)

// Helpers shared by labels_test.go, summaries_test.go and
// generations_test.go (more are in package storetest).

var fxIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

// fxCurrentIDs lists the ids CurrentLabels yields, in order.
func fxCurrentIDs(t *testing.T, db *DB) []string {
	t.Helper()
	var ids []string
	if err := db.CurrentLabels(func(l Label) error { ids = append(ids, l.ID); return nil }); err != nil {
		t.Fatalf("CurrentLabels: %v", err)
	}
	return ids
}

// fxAllLabels lists every stored label record, oldest first.
func fxAllLabels(t *testing.T, db *DB) []Label {
	t.Helper()
	var out []Label
	if err := db.EachLabel(func(l Label) error { out = append(out, l); return nil }); err != nil {
		t.Fatalf("EachLabel: %v", err)
	}
	return out
}

func TestAddLabelRejectsInvalidLabels(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(l *Label)
		wantErr string
	}{
		{"no annotator", func(l *Label) { l.Annotator = "" }, "no annotator"},
		{"blank annotator", func(l *Label) { l.Annotator = " \t " }, "no annotator"},
		{"no user", func(l *Label) { l.User = "" }, "no user or prompt"},
		{"no prompt id", func(l *Label) { l.PromptID = "" }, "no user or prompt"},
		{"no candidates", func(l *Label) { l.Candidates = nil }, "0 candidates (want 2 to 4)"},
		{"one candidate", func(l *Label) { l.Candidates = storetest.Candidates(1) }, "1 candidates (want 2 to 4)"},
		{"five candidates", func(l *Label) { l.Candidates = storetest.Candidates(5) }, "5 candidates (want 2 to 4)"},
		{"panes out of order", func(l *Label) {
			l.Candidates[0].Pane, l.Candidates[1].Pane = "b", "a"
		}, `candidate 0 is shown as pane "b" (want "a")`},
		{"pane letter skipped", func(l *Label) { l.Candidates[1].Pane = "c" }, `candidate 1 is shown as pane "c" (want "b")`},
		{"upper-case panes", func(l *Label) { l.Candidates[0].Pane = "A" }, `candidate 0 is shown as pane "A" (want "a")`},
		{"unlettered pane", func(l *Label) { l.Candidates[1].Pane = "" }, `candidate 1 is shown as pane "" (want "b")`},
		{"verdict names no pane", func(l *Label) { l.Verdict = "c" }, `verdict "c" names no pane`},
		{"verdict upper-case", func(l *Label) { l.Verdict = "A" }, `verdict "A" names no pane`},
		{"verdict unknown word", func(l *Label) { l.Verdict = "draw" }, `verdict "draw" names no pane`},
		{"no verdict and no ranking", func(l *Label) { l.Verdict = "" }, "no verdict, and the ranking does not rank every pane"},
		{"ranking too short", func(l *Label) {
			l.Candidates, l.Verdict, l.Ranking = storetest.Candidates(3), "", []string{"a", "b"}
		}, "no verdict, and the ranking does not rank every pane"},
		{"ranking too long", func(l *Label) {
			l.Verdict, l.Ranking = "", []string{"a", "b", "c"}
		}, "no verdict, and the ranking does not rank every pane"},
		{"ranking repeats a pane", func(l *Label) {
			l.Verdict, l.Ranking = "", []string{"a", "a"}
		}, `ranking [a a] is not an order of the panes`},
		{"ranking names no pane", func(l *Label) {
			l.Candidates, l.Verdict, l.Ranking = storetest.Candidates(3), "", []string{"a", "d", "b"}
		}, `ranking [a d b] is not an order of the panes`},
		{"ranking repeats a pane in a tie", func(l *Label) {
			l.Candidates, l.Verdict, l.Ranking = storetest.Candidates(3), "", []string{"a=b", "b"}
		}, `ranking [a=b b] is not an order of the panes`},
		{"ranking of one rank", func(l *Label) {
			l.Candidates, l.Verdict, l.Ranking = storetest.Candidates(3), "", []string{"a=b=c"}
		}, `ranking [a=b=c] ranks every pane equal: that is the verdict "tie"`},
		{"retraction without Retracts", func(l *Label) {
			*l = l.Retraction(time.Now(), "test")
		}, "a retraction must name the decision it takes back"},
		{"empty kind", func(l *Label) { l.Kind = "" }, `unknown label kind ""`},
		{"unknown kind", func(l *Label) { l.Kind = "amendment" }, `unknown label kind "amendment"`},
	}
	db := storetest.Open(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := storetest.Decision("ann", "u1", "task-1", "a")
			tt.edit(&l)
			got, err := db.AddLabel(l, nil)
			if err == nil {
				t.Fatalf("AddLabel accepted %+v (stored as %q)", l, got.ID)
			}
			if !strings.HasPrefix(err.Error(), "add label: ") || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q, want \"add label: …%s…\"", err, tt.wantErr)
			}
			if got.ID != "" {
				t.Errorf("rejected label returned with id %q", got.ID)
			}
		})
	}
	if all := fxAllLabels(t, db); len(all) != 0 {
		t.Errorf("%d label records stored after only rejected labels", len(all))
	}
	if st := storetest.Stats(t, db); st.Labels != 0 {
		t.Errorf("Stats().Labels = %d, want 0", st.Labels)
	}
}

func TestAddLabelAcceptsValidLabels(t *testing.T) {
	tests := []struct {
		name       string
		candidates int
		verdict    string
		ranking    []string
	}{
		{"best of 2, a", 2, "a", nil},
		{"best of 2, b", 2, "b", nil},
		{"best of 3, c", 3, "c", nil},
		{"best of 4, d", 4, "d", nil},
		{"tie", 2, VerdictTie, nil},
		{"both bad", 3, VerdictBothBad, nil},
		{"skip", 4, VerdictSkip, nil},
		{"ranking of 2", 2, "", []string{"b", "a"}},
		{"ranking of 3", 3, "", []string{"c", "a", "b"}},
		{"ranking of 4", 4, "", []string{"d", "b", "c", "a"}},
	}
	db := storetest.Open(t)
	seen := map[string]bool{}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := storetest.Decision("ann", "u1", fmt.Sprintf("task-%d", i), tt.verdict)
			l.Candidates, l.Ranking = storetest.Candidates(tt.candidates), tt.ranking
			before := time.Now().UTC()
			got, err := db.AddLabel(l, nil)
			if err != nil {
				t.Fatalf("AddLabel: %v", err)
			}
			if !fxIDPattern.MatchString(got.ID) || seen[got.ID] {
				t.Errorf("id %q: want 32 hex digits, unique", got.ID)
			}
			seen[got.ID] = true
			if got.DecidedAt.Before(before.Add(-time.Second)) || got.DecidedAt.After(time.Now().Add(time.Second)) {
				t.Errorf("DecidedAt %v not set to the time of the call (%v)", got.DecidedAt, before)
			}
			want := l
			want.ID, want.DecidedAt = got.ID, got.DecidedAt
			if storetest.JSON(t, got) != storetest.JSON(t, want) {
				t.Errorf("AddLabel returned\n%s\nwant\n%s", storetest.JSON(t, got), storetest.JSON(t, want))
			}
		})
	}
	if all := fxAllLabels(t, db); len(all) != len(tests) {
		t.Errorf("%d records stored, want %d", len(all), len(tests))
	}
	if st := storetest.Stats(t, db); st.Labels != len(tests) {
		t.Errorf("Stats().Labels = %d, want %d", st.Labels, len(tests))
	}
}

func TestAddLabelKeepsDecidedAtAndRefusesAnID(t *testing.T) {
	db := storetest.Open(t)
	l := storetest.Decision("ann", "u1", "task-1", "a")
	l.DecidedAt = time.Date(2024, 12, 31, 23, 59, 59, 123456789, time.UTC)
	got := storetest.AddLabel(t, db, l)
	if got.ID == "" || !got.DecidedAt.Equal(l.DecidedAt) {
		t.Errorf("got id %q decided %v, want a new id, decided %v", got.ID, got.DecidedAt, l.DecidedAt)
	}
	// A copy of a stored label (with its id) is refused: it would be a
	// second record under one id, current twice.
	again := got
	again.Verdict, again.Rationale = "b", "b is shorter"
	if _, err := db.AddLabel(again, nil); err == nil || !strings.Contains(err.Error(), "already has id "+got.ID) {
		t.Fatalf("AddLabel of a copy: err = %v", err)
	}
	all := fxAllLabels(t, db)
	if len(all) != 1 || storetest.JSON(t, all[0]) != storetest.JSON(t, got) {
		t.Errorf("stored %v, want exactly %s", all, storetest.JSON(t, got))
	}
}

func TestAddLabelRejectsVerdictWithRanking(t *testing.T) {
	db := storetest.Open(t)
	for _, v := range []string{VerdictTie, VerdictSkip, VerdictBothBad, "a"} {
		l := storetest.Decision("ann", "u1", "task-"+v, v)
		l.Ranking = []string{"b", "a"}
		if _, err := db.AddLabel(l, nil); err == nil || !strings.Contains(err.Error(), "both a verdict") {
			t.Errorf("verdict %q with ranking [b a]: err = %v", v, err)
		}
	}
	if n := len(fxAllLabels(t, db)); n != 0 {
		t.Errorf("%d labels stored", n)
	}
}

func TestLabelsAreAppendOnly(t *testing.T) {
	db := storetest.Open(t)
	first := storetest.AddLabel(t, db, storetest.Decision("ann", "u1", "task-1", "a"))

	type state struct {
		current []string // ids CurrentLabels yields
		records int      // records stored
		stats   int      // Stats().Labels
	}
	check := func(step string, want state) {
		t.Helper()
		if got := fxCurrentIDs(t, db); !slices.Equal(got, want.current) {
			t.Errorf("%s: current labels %q, want %q", step, got, want.current)
		}
		if got := len(fxAllLabels(t, db)); got != want.records {
			t.Errorf("%s: %d records stored, want %d", step, got, want.records)
		}
		if got := storetest.Stats(t, db).Labels; got != want.stats {
			t.Errorf("%s: Stats().Labels = %d, want %d", step, got, want.stats)
		}
	}
	check("decision", state{[]string{first.ID}, 1, 1})

	// Amendment: a newer decision on the same item wins.
	amend := storetest.Decision("ann", "u1", "task-1", "b")
	amend.Amends, amend.Rationale = first.ID, "b is shorter"
	amended := storetest.AddLabel(t, db, amend)
	if amended.ID == first.ID {
		t.Fatalf("amendment got the id of the decision it amends")
	}
	check("amendment", state{[]string{amended.ID}, 2, 1})
	var cur []Label
	db.CurrentLabels(func(l Label) error { cur = append(cur, l); return nil })
	if len(cur) != 1 || cur[0].Verdict != "b" || cur[0].Rationale != "b is shorter" || cur[0].Amends != first.ID {
		t.Errorf("current label after amendment: %+v", cur)
	}

	// Retraction: the item has no current decision, but nothing is deleted.
	retracted := storetest.AddLabel(t, db, amended.Retraction(time.Now().UTC(), "test"))
	if retracted.Kind != LabelRetraction || retracted.Retracts != amended.ID {
		t.Errorf("retraction stored as %+v", retracted)
	}
	check("retraction", state{nil, 3, 0})
	all := fxAllLabels(t, db)
	wantKinds := []string{LabelDecision, LabelDecision, LabelRetraction}
	for i, l := range all {
		if l.Kind != wantKinds[i] {
			t.Errorf("record %d is a %q, want %q", i, l.Kind, wantKinds[i])
		}
	}
	if all[0].ID != first.ID || all[0].Verdict != "a" || all[1].ID != amended.ID || all[2].ID != retracted.ID {
		t.Errorf("records after retraction, oldest first: %q %q %q, want %q %q %q",
			all[0].ID, all[1].ID, all[2].ID, first.ID, amended.ID, retracted.ID)
	}

	// A new decision after the retraction is current again.
	again := storetest.AddLabel(t, db, storetest.Decision("ann", "u1", "task-1", VerdictTie))
	check("decision after retraction", state{[]string{again.ID}, 4, 1})
}

func TestLabelRetractionCopiesTheItem(t *testing.T) {
	l := storetest.Decision("ann", "u1", "task-1", "a")
	l.ID, l.Rationale, l.SummaryID = "L1", "why", "S1"
	at := time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)
	r := l.Retraction(at, "v9")
	want := Label{Kind: LabelRetraction, Retracts: "L1", User: "u1", PromptID: "task-1", Prompt: l.Prompt,
		Candidates: l.Candidates, Annotator: "ann", ShownAt: l.ShownAt, DecidedAt: at, AppVersion: "v9"}
	if storetest.JSON(t, r) != storetest.JSON(t, want) {
		t.Errorf("Retraction = %s\nwant %s", storetest.JSON(t, r), storetest.JSON(t, want))
	}
	if r.ItemKey() != l.ItemKey() {
		t.Errorf("retraction item %q, decision item %q", r.ItemKey(), l.ItemKey())
	}
}

func TestComparisonIgnoresTheOrderShown(t *testing.T) {
	replay := []Candidate{{Pane: "a", Slot: 1, Backend: "replay", Replay: "rejected"}, {Pane: "b", Slot: 0, Backend: "replay", Replay: "chosen"}}
	tests := []struct {
		name  string
		cands []Candidate
		want  string
	}{
		{"in slot order", storetest.Candidates(3), "backend-a:summary,backend-b:summary,backend-c:summary"},
		{"shuffled replay", replay, "replay:chosen,replay:rejected"},
		{"conditions", []Candidate{{Slot: 2, Backend: "g", Condition: ConditionNone}, {Slot: 0, Backend: "g", Condition: ConditionSummary},
			{Slot: 1, Backend: "g", Condition: ConditionRaw}}, "g:summary,g:raw,g:none"},
		{"none", nil, ""},
	}
	for _, tt := range tests {
		if got := Comparison(tt.cands); got != tt.want {
			t.Errorf("%s: Comparison = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// The same prompt judged between other candidates is another item: both
// decisions are current, and taking one back leaves the other.
func TestLabelsAreKeptPerComparison(t *testing.T) {
	db := storetest.Open(t)
	first := storetest.AddLabel(t, db, storetest.Decision("ann", "u1", "task-1", "a"))
	other := storetest.Decision("ann", "u1", "task-1", "b")
	other.Candidates[0].Condition, other.Candidates[1].Condition = ConditionNone, ConditionNone
	second := storetest.AddLabel(t, db, other)
	if got, want := fxCurrentIDs(t, db), []string{first.ID, second.ID}; !slices.Equal(got, want) {
		t.Fatalf("current %q, want both %q", got, want)
	}
	storetest.AddLabel(t, db, second.Retraction(time.Now().UTC(), "test"))
	if got, want := fxCurrentIDs(t, db), []string{first.ID}; !slices.Equal(got, want) {
		t.Errorf("after taking the second back: current %q, want %q", got, want)
	}
}

func TestLabelsAreKeptPerAnnotatorAndItem(t *testing.T) {
	db := storetest.Open(t)
	ann1 := storetest.AddLabel(t, db, storetest.Decision("ann1", "u1", "task-1", "a"))
	ann2 := storetest.AddLabel(t, db, storetest.Decision("ann2", "u1", "task-1", "b"))
	otherPrompt := storetest.AddLabel(t, db, storetest.Decision("ann1", "u1", "task-2", "b"))
	otherUser := storetest.AddLabel(t, db, storetest.Decision("ann1", "u2", "task-1", "a"))
	if got, want := fxCurrentIDs(t, db), []string{ann1.ID, ann2.ID, otherPrompt.ID, otherUser.ID}; !slices.Equal(got, want) {
		t.Fatalf("current %q, want %q", got, want)
	}
	if got := storetest.Stats(t, db).Labels; got != 4 {
		t.Errorf("Stats().Labels = %d, want 4", got)
	}

	// ann1 takes back their label on (u1, task-1): ann2's stays.
	storetest.AddLabel(t, db, ann1.Retraction(time.Now().UTC(), "test"))
	if got, want := fxCurrentIDs(t, db), []string{ann2.ID, otherPrompt.ID, otherUser.ID}; !slices.Equal(got, want) {
		t.Errorf("after ann1's retraction: current %q, want %q", got, want)
	}
	// ann2 amends theirs: ann1's items are untouched.
	amend := storetest.Decision("ann2", "u1", "task-1", "a")
	amend.Amends = ann2.ID
	amended := storetest.AddLabel(t, db, amend)
	if got, want := fxCurrentIDs(t, db), []string{otherPrompt.ID, otherUser.ID, amended.ID}; !slices.Equal(got, want) {
		t.Errorf("after ann2's amendment: current %q, want %q", got, want)
	}
	if got := storetest.Stats(t, db).Labels; got != 3 {
		t.Errorf("Stats().Labels = %d, want 3", got)
	}
}

func TestCurrentLabelsOrderAndContent(t *testing.T) {
	db := storetest.Open(t)
	// Items interleaved: x1 (item x), y1 (item y), x2 amends x1, z1 (item z),
	// y2 retracts y1, w1 (item w, ranked).
	x1 := storetest.AddLabel(t, db, storetest.Decision("ann", "u1", "x", "a"))
	y1 := storetest.AddLabel(t, db, storetest.Decision("ann", "u1", "y", "b"))
	ax := storetest.Decision("ann", "u1", "x", "b")
	ax.Amends, ax.Rationale = x1.ID, "on second thought"
	ax.SummaryID, ax.SummaryVersion, ax.SummaryHash = "S1", 2, TextHash("likes short answers")
	x2 := storetest.AddLabel(t, db, ax)
	z := storetest.Decision("ann", "u2", "z", VerdictBothBad)
	z.Candidates = storetest.Candidates(3)
	z.Candidates[2].Replay = "chosen"
	z1 := storetest.AddLabel(t, db, z)
	storetest.AddLabel(t, db, y1.Retraction(time.Now().UTC(), "test"))
	w := storetest.Decision("ann", "u2", "w", "")
	w.Candidates, w.Ranking = storetest.Candidates(4), []string{"c", "a", "d", "b"}
	w1 := storetest.AddLabel(t, db, w)

	var got []Label
	if err := db.CurrentLabels(func(l Label) error { got = append(got, l); return nil }); err != nil {
		t.Fatal(err)
	}
	want := []Label{x2, z1, w1}
	if len(got) != len(want) {
		t.Fatalf("CurrentLabels gave %d labels, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if g, w := storetest.JSON(t, got[i]), storetest.JSON(t, want[i]); g != w {
			t.Errorf("current label %d:\n got %s\nwant %s", i, g, w)
		}
	}

	// fn's error stops the walk and is returned as is.
	stop := errors.New("stop")
	calls := 0
	err := db.CurrentLabels(func(Label) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("CurrentLabels with a failing fn: err %v after %d calls, want stop after 1", err, calls)
	}
}

func TestAddLabelSavesSessionInTheSameCall(t *testing.T) {
	path := filepath.Join(t.TempDir(), "popi.db")
	db := storetest.OpenAt(t, path)

	if _, ok, err := db.Session("ann", "summary-vs-none"); err != nil || ok {
		t.Fatalf("Session of a new annotator: ok %v err %v, want false nil", ok, err)
	}
	s1 := Session{Annotator: "ann", Compare: "summary-vs-none", Position: 1, LastItem: "u1/task-1", Seed: 42}
	l1, err := db.AddLabel(storetest.Decision("ann", "u1", "task-1", "a"), &s1)
	if err != nil {
		t.Fatal(err)
	}
	got, ok, err := db.Session("ann", "summary-vs-none")
	if err != nil || !ok {
		t.Fatalf("Session after AddLabel: ok %v err %v", ok, err)
	}
	if got.UpdatedAt.IsZero() {
		t.Errorf("saved session has no UpdatedAt")
	}
	want := s1
	want.UpdatedAt = got.UpdatedAt
	if storetest.JSON(t, got) != storetest.JSON(t, want) {
		t.Errorf("Session = %s, want %s", storetest.JSON(t, got), storetest.JSON(t, want))
	}

	s2 := Session{Annotator: "ann", Compare: "summary-vs-none", Position: 2, LastItem: "u1/task-2", Seed: 42,
		UpdatedAt: time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)}
	if _, err := db.AddLabel(storetest.Decision("ann", "u1", "task-2", "b"), &s2); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := db.Session("ann", "summary-vs-none"); storetest.JSON(t, got) != storetest.JSON(t, s2) {
		t.Errorf("Session after the second label = %s, want %s", storetest.JSON(t, got), storetest.JSON(t, s2))
	}

	// All or nothing: a bad session fails the call and stores no label, a
	// bad label saves no session.
	if _, err := db.AddLabel(storetest.Decision("ann", "u1", "task-3", "a"), &Session{Position: 3}); err == nil ||
		!strings.Contains(err.Error(), "session without an annotator") {
		t.Errorf("AddLabel with a session without annotator: err %v", err)
	}
	bad := storetest.Decision("ann", "u1", "task-3", "z")
	if _, err := db.AddLabel(bad, &Session{Annotator: "ann", Position: 99}); err == nil {
		t.Errorf("AddLabel accepted verdict z")
	}
	if got, _, _ := db.Session("ann", "summary-vs-none"); got.Position != 2 {
		t.Errorf("session position %d after failed calls, want 2", got.Position)
	}
	if all := fxAllLabels(t, db); len(all) != 2 {
		t.Errorf("%d labels stored, want 2", len(all))
	}

	// Both are on disk: reopen and read them back.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db2 := storetest.OpenAt(t, path)
	if got, ok, err := db2.Session("ann", "summary-vs-none"); err != nil || !ok || storetest.JSON(t, got) != storetest.JSON(t, s2) {
		t.Errorf("after reopening: Session = %s ok %v err %v, want %s", storetest.JSON(t, got), ok, err, storetest.JSON(t, s2))
	}
	if all := fxAllLabels(t, db2); len(all) != 2 || all[0].ID != l1.ID {
		t.Errorf("after reopening: %d labels, first %q; want 2, first %q", len(all), all[0].ID, l1.ID)
	}
}

func TestPutSessionRoundTrip(t *testing.T) {
	at := time.Date(2025, 6, 7, 8, 9, 10, 11, time.UTC)
	tests := []struct {
		name    string
		put     Session
		wantErr string
	}{
		{"full", Session{Annotator: "alice", Compare: "raw-vs-summary", Position: 17, LastItem: "u3/t9", Seed: -5, UpdatedAt: at}, ""},
		{"minimal", Session{Annotator: "bob"}, ""},
		{"unicode annotator", Session{Annotator: "zoë 🐙", Position: 1, UpdatedAt: at}, ""},
		{"overwrite", Session{Annotator: "alice", Compare: "raw-vs-summary", Position: 18, UpdatedAt: at.Add(time.Minute)}, ""},
		{"no annotator", Session{Position: 1}, "session without an annotator"},
		{"blank annotator", Session{Annotator: "  ", Position: 1}, "session without an annotator"},
	}
	db := storetest.Open(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := time.Now().UTC()
			err := db.PutSession(tt.put)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("PutSession: err %v, want %q", err, tt.wantErr)
				}
				if _, ok, _ := db.Session(tt.put.Annotator, tt.put.Compare); ok {
					t.Errorf("rejected session was saved")
				}
				return
			}
			if err != nil {
				t.Fatalf("PutSession: %v", err)
			}
			got, ok, err := db.Session(tt.put.Annotator, tt.put.Compare)
			if err != nil || !ok {
				t.Fatalf("Session: ok %v err %v", ok, err)
			}
			want := tt.put
			if want.UpdatedAt.IsZero() {
				if got.UpdatedAt.Before(before.Add(-time.Second)) || got.UpdatedAt.After(time.Now().Add(time.Second)) {
					t.Errorf("UpdatedAt %v not set to now", got.UpdatedAt)
				}
				want.UpdatedAt = got.UpdatedAt
			}
			if storetest.JSON(t, got) != storetest.JSON(t, want) {
				t.Errorf("Session = %s, want %s", storetest.JSON(t, got), storetest.JSON(t, want))
			}
		})
	}
	if _, ok, err := db.Session("carol", ""); ok || err != nil {
		t.Errorf("Session of an unknown annotator: ok %v err %v", ok, err)
	}
}

// Each comparison is its own queue: an annotator's session of one is not
// resumed under another.
func TestSessionsArePerComparison(t *testing.T) {
	db := storetest.Open(t)
	for i, compare := range []string{"replay:chosen,replay:rejected", "alpha:none,beta:none"} {
		if err := db.PutSession(Session{Annotator: "ann", Compare: compare, Position: 10 * (i + 1), LastItem: compare}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		compare string
		ok      bool
		pos     int
	}{
		{"replay:chosen,replay:rejected", true, 10},
		{"alpha:none,beta:none", true, 20},
		{"alpha:summary,beta:summary", false, 0},
		{"", false, 0},
	}
	for _, tt := range tests {
		got, ok, err := db.Session("ann", tt.compare)
		if err != nil || ok != tt.ok || got.Position != tt.pos || (ok && got.LastItem != tt.compare) {
			t.Errorf("Session(ann, %q) = %+v ok %v err %v; want ok %v position %d", tt.compare, got, ok, err, tt.ok, tt.pos)
		}
	}
}

// A retraction takes back the decision it names (and what that decision
// amended), not whatever is newest.
func TestRetractionTakesBackWhatItNames(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		// steps: "d" a new decision, "a" a decision amending the previous
		// one, "rN" a retraction of the N-th decision (1-based).
		steps []string
		want  int // the decision current at the end (1-based), 0 for none
	}{
		{"retract the only decision", []string{"d", "r1"}, 0},
		{"retract an older decision", []string{"d", "d", "r1"}, 2},
		{"retract the newer decision", []string{"d", "d", "r2"}, 1},
		{"retract an amendment", []string{"d", "a", "r2"}, 0},
		{"retract a chain of amendments", []string{"d", "a", "a", "r3"}, 0},
		{"decide again after a retraction", []string{"d", "r1", "d"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := storetest.Open(t)
			var decisions []Label
			for _, step := range tt.steps {
				var l Label
				switch {
				case step == "d":
					l = storetest.Decision("ann", "u1", "task-1", "a")
				case step == "a":
					l = storetest.Decision("ann", "u1", "task-1", "b")
					l.Amends = decisions[len(decisions)-1].ID
				default:
					var n int
					fmt.Sscanf(step, "r%d", &n)
					l = decisions[n-1].Retraction(at, "test")
				}
				got := storetest.AddLabel(t, db, l)
				if got.Kind == LabelDecision {
					decisions = append(decisions, got)
				}
			}
			cur := fxCurrentIDs(t, db)
			switch {
			case tt.want == 0 && len(cur) != 0:
				t.Errorf("current = %v, want none", cur)
			case tt.want > 0 && (len(cur) != 1 || cur[0] != decisions[tt.want-1].ID):
				t.Errorf("current = %v, want decision %d (%s)", cur, tt.want, decisions[tt.want-1].ID)
			}
			want := 0
			if tt.want > 0 {
				want = 1
			}
			if st := storetest.Stats(t, db); st.Labels != want {
				t.Errorf("Stats().Labels = %d, want %d", st.Labels, want)
			}
		})
	}
}

func TestRankOf(t *testing.T) {
	tests := []struct {
		ranking []string
		pane    string
		want    int
	}{
		{[]string{"b", "a", "c"}, "a", 2},
		{[]string{"c", "a=b"}, "b", 2},
		{[]string{"c=a", "b"}, "a", 1},
		{[]string{"c", "a=b"}, "d", 0},
		{nil, "a", 0},
	}
	for _, tt := range tests {
		if got := RankOf(tt.ranking, tt.pane); got != tt.want {
			t.Errorf("RankOf(%q, %q) = %d, want %d", tt.ranking, tt.pane, got, tt.want)
		}
	}
}
