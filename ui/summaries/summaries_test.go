package summaries

import (
	"slices"
	"strings"
	"testing"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
	"github.com/popi-tui/popi-tui/ui/screen"
	"github.com/popi-tui/popi-tui/ui/uitest"
)

// fxWriters are two summarizers whose summaries are compared; their names
// and models must never be drawn before a decision (nor after: the
// screen does not reveal them).
var fxWriters = []struct{ backend, model string }{{"alpha", "model-alpha"}, {"beta", "model-beta"}}

// fxSummaries gives some demo users a summary by each writer: a summary
// says which user it is of, and its writer only by its number.
func fxSummaries(t *testing.T, db *store.DB) map[string][]store.Summary {
	t.Helper()
	out := map[string][]store.Summary{}
	for _, user := range []string{"terse-tom", "bullet-ben", "formal-fiona"} {
		for i, w := range fxWriters {
			text := "Summary " + string(rune('A'+i)) + " of " + user + ": prefers short answers.\n\n- one line\n- no greeting"
			out[user] = append(out[user], storetest.AddSummary(t, db, store.Summary{User: user, Text: text,
				Source: w.backend + "/" + w.model, Backend: w.backend, Model: w.model, Input: "sent to " + w.backend}))
		}
	}
	// Nothing to judge: one writer only, and the same text twice.
	storetest.AddSummary(t, db, store.Summary{User: "playful-pia", Text: "Likes jokes.", Source: "alpha/model-alpha", Backend: "alpha"})
	for _, w := range fxWriters {
		storetest.AddSummary(t, db, store.Summary{User: "skeptic-sam", Text: "Wants sources.", Source: w.backend + "/" + w.model, Backend: w.backend})
	}
	return out
}

// openSummaries opens the screen over db with the comparison spec, as
// annotator, and waits for its queue.
func openSummaries(t *testing.T, db *store.DB, spec, annotator string, w, h int) (*uitest.Env, *Screen) {
	t.Helper()
	e := engine.New(db, engine.Config{}, engine.Options{})
	t.Cleanup(e.Close)
	c, err := screen.ParseCompare(spec, e, true)
	if err != nil {
		t.Fatal(err)
	}
	env := uitest.New(t, w, h, uitest.Options{DB: db, Engine: e, Compare: c, Annotator: annotator, AppVersion: "test"})
	s := New(env.Ctx)
	env.Open(s)
	if !s.loaded || s.loadErr != nil {
		t.Fatalf("not loaded: %v", s.loadErr)
	}
	return env, s
}

func allLabels(t *testing.T, db *store.DB) []store.Label {
	t.Helper()
	var out []store.Label
	if err := db.EachLabel(func(l store.Label) error { out = append(out, l); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// The screen shows a user's summaries blind, asks the question, and a
// decision is on disk, naming the summaries shown in each pane, before the
// next user shows; u takes it back and shows the user again.
func TestSummariesDecisionIsBlindAndRecorded(t *testing.T) {
	db := storetest.DemoDB(t)
	sums := fxSummaries(t, db)
	env, s := openSummaries(t, db, "summaries:alpha,beta", "kim", 140, 40)

	users := make([]string, len(s.q.items))
	for i, it := range s.q.items {
		users[i] = it.User
	}
	if want := []string{"bullet-ben", "formal-fiona", "terse-tom"}; !slices.Equal(users, want) {
		t.Fatalf("queue %v, want %v", users, want)
	}
	v := env.View()
	for _, want := range []string{Question, "bullet-ben", "0/3 users judged", "Summary A of bullet-ben", "Summary B of bullet-ben"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
	for _, leak := range []string{"alpha", "beta", "model-", "sent to"} {
		if strings.Contains(v, leak) {
			t.Errorf("view names a writer (%q):\n%s", leak, v)
		}
	}

	order := slices.Clone(s.order)
	env.Press("2")
	labels := allLabels(t, db)
	if len(labels) != 1 {
		t.Fatalf("%d labels on disk, want 1", len(labels))
	}
	l := labels[0]
	ben := sums["bullet-ben"]
	if l.User != "bullet-ben" || l.Verdict != "b" || l.Annotator != "kim" || l.PromptID != store.SummaryItemID([]string{ben[0].ID, ben[1].ID}) || !l.JudgesSummaries() {
		t.Errorf("label %+v", l)
	}
	for pane, c := range l.Candidates {
		slot := order[pane]
		want := store.Candidate{Pane: store.PaneLetter(pane), Slot: slot, Backend: fxWriters[slot].backend, Model: fxWriters[slot].model,
			Condition: store.CandidateSummarizer, SummaryID: ben[slot].ID}
		if c != want {
			t.Errorf("pane %d: %+v, want %+v", pane, c, want)
		}
	}
	if got := s.current(); got == nil || got.User != "formal-fiona" {
		t.Fatalf("after the decision the item is %+v, want formal-fiona's", got)
	}
	v = env.View()
	if !strings.Contains(v, "1/3 users judged") || strings.Contains(v, "alpha") || strings.Contains(v, "beta") {
		t.Errorf("after the decision:\n%s", v)
	}
	if sess, ok, err := db.Session("kim", "alpha:summarizer,beta:summarizer"); !ok || err != nil || sess.Position != 1 {
		t.Errorf("session %+v (%v, %v)", sess, ok, err)
	}

	env.Press("u")
	labels = allLabels(t, db)
	if len(labels) != 2 || labels[1].Kind != store.LabelRetraction || labels[1].Retracts != l.ID {
		t.Fatalf("after u: %+v", labels)
	}
	if got := s.current(); got == nil || got.User != "bullet-ben" || !slices.Equal(s.order, order) {
		t.Errorf("after u the item is %+v (order %v, was %v), want bullet-ben's in the same order", got, s.order, order)
	}
	// Reopened, the session resumes after the last decision kept.
	env.Press("t", "x")
	_, s2 := openSummaries(t, db, "summaries:alpha,beta", "kim", 140, 40)
	if got := s2.current(); got == nil || got.User != "terse-tom" || s2.q.doneCount() != 2 {
		t.Errorf("reopened at %+v with %d done, want terse-tom, 2", got, s2.q.doneCount())
	}
}

// h shows the user's history and held-out pairs over the panes (not the
// persona), esc closes it, and the item is still the one shown.
func TestSummariesHistoryOverlay(t *testing.T) {
	db := storetest.DemoDB(t)
	fxSummaries(t, db)
	env, s := openSummaries(t, db, "summaries:alpha,beta", "kim", 100, 30)
	for s.current().User != "terse-tom" {
		env.Press("s")
	}
	env.Press("h")
	v := env.View()
	for _, want := range []string{"History of terse-tom", "What the summarizer may see", "How do I reverse a string in Python?", "Software engineer in his 40s"} {
		if !strings.Contains(v, want) {
			t.Errorf("history lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "Tom is a busy senior engineer") {
		t.Errorf("the history shows the persona:\n%s", v)
	}
	env.Press("end")
	if v := env.View(); !strings.Contains(v, "port 8080") || !strings.Contains(v, "Held-out pairs") {
		t.Errorf("scrolled to the end, the held-out pair does not show:\n%s", v)
	}
	env.Press("esc")
	if v := env.View(); s.overlay || !strings.Contains(v, "Summary A of terse-tom") || env.Top() != s {
		t.Errorf("esc did not close the history only:\n%s", v)
	}
}

// summaries:versions shows a model's summary against the human edit of
// it; an empty queue says what the database holds.
func TestSummariesVersionsAndEmptyQueue(t *testing.T) {
	db := storetest.DemoDB(t)
	m := storetest.AddSummary(t, db, store.Summary{User: "terse-tom", Text: "Likes brevity.", Source: "alpha/model-alpha", Backend: "alpha"})
	h := storetest.AddSummary(t, db, store.Summary{User: "terse-tom", Text: "Wants one line, no greeting.", Source: store.SourceHuman, Parent: m.Version})
	env, s := openSummaries(t, db, "summaries:versions", "kim", 80, 24)
	if len(s.q.items) != 1 || s.q.items[0].Summaries[0].ID != m.ID || s.q.items[0].Summaries[1].ID != h.ID {
		t.Fatalf("queue %+v", s.q.items)
	}
	env.Press("1")
	l := allLabels(t, db)[0]
	winner, _ := l.Pane("a")
	if winner.SummaryID != s.q.items[0].Summaries[winner.Slot].ID || winner.Condition != store.CandidateVersion {
		t.Errorf("label %+v", l)
	}
	if v := env.View(); !strings.Contains(v, "Judged: all 1 user.") || strings.Contains(v, "1-4 best") || !strings.Contains(v, "u undo last") {
		t.Errorf("end of queue:\n%s", v)
	}

	env, _ = openSummaries(t, db, "summaries:gamma,delta", "kim", 80, 24)
	if v := env.View(); !strings.Contains(v, "no user has a summary by each of gamma,delta") || !strings.Contains(v, "alpha (1 user), human (1 user)") {
		t.Errorf("empty queue:\n%s", v)
	}
}
