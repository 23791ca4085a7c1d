package decisions

import (
	"bytes"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/format/trl"
	"github.com/popi-tui/popi-tui/store/storetest"
	"github.com/popi-tui/popi-tui/ui/compare"
	"github.com/popi-tui/popi-tui/ui/screen"
	"github.com/popi-tui/popi-tui/ui/uitest"
)

// labeled is the demo in the program's frame with the demo's comparison
// (replayed held-out pairs), after keys were pressed on Compare, which is
// then closed.
func labeled(t *testing.T, w, h int, keys ...string) *uitest.Env {
	t.Helper()
	env := uitest.Replay(t, w, h, uitest.Options{AppVersion: "test-1"})
	env.Open(compare.New(env.Ctx))
	env.Press(keys...)
	env.Press("esc")
	return env
}

func allLabels(t *testing.T, db *store.DB) []store.Label {
	t.Helper()
	var out []store.Label
	if err := db.EachLabel(func(l store.Label) error { out = append(out, l); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// The list is this annotator's decisions in this comparison, newest
// first, with user, prompt and verdict; / filters it as one types.
func TestDecisionsListNewestFirstAndFiltered(t *testing.T) {
	env := labeled(t, 120, 30, "1", "t", "x", "2")
	s := New(env.Ctx)
	env.Open(s)
	v := env.View()
	uitest.WantIn(t, v, "Decisions", "tester", "4 of 4", "decided", "verdict")
	want := []string{"b best", "all bad", "tie", "a best"}
	// The demo's queue: beginner-bea/ho1, bullet-ben/ho1, bullet-ben/ho2,
	// code-first-kai/ho1; the newest is on top.
	users := []string{"code-first-kai", "bullet-ben", "bullet-ben", "beginner-bea"}
	lines := strings.Split(v, "\n")
	top := 3 // title, hint, column heads
	for i := range users {
		l := lines[top+i]
		if !strings.Contains(l, users[i]) || !strings.Contains(l, want[i]) {
			t.Errorf("row %d = %q, want %s … %s", i, l, users[i], want[i])
		}
	}
	if !strings.HasPrefix(lines[top], "▸") {
		t.Errorf("the cursor is not on the newest: %q", lines[top])
	}

	env.Press("/", "b", "u", "l")
	uitest.WantIn(t, env.View(), "2 of 4", "/bul")
	uitest.WantNotIn(t, env.View(), "code-first-kai", "beginner-bea")
	env.Press("esc")
	uitest.WantIn(t, env.View(), "4 of 4")
	env.Press("/", "t", "i", "e", "enter")
	uitest.WantIn(t, env.View(), "1 of 4")
	if l, _ := s.current(); l.Verdict != store.VerdictTie {
		t.Errorf("after filtering on tie the cursor is on %+v", l)
	}
	env.Press("/", "n", "o", "t", "h", "i", "n", "g")
	uitest.WantIn(t, env.View(), "0 of 4", "no decision matches the filter")
}

// Opening a decision shows the stored answers under the letters they were
// shown with, the verdict marked, and no backend name (still blind).
func TestDecisionOpensWithItsAnswersAndVerdict(t *testing.T) {
	env := labeled(t, 140, 40, "1")
	env.Open(New(env.Ctx))
	env.Press("enter")
	it, ok := env.Top().(*Item)
	if !ok {
		t.Fatalf("enter opened %T", env.Top())
	}
	l := allLabels(t, env.DB)[0]
	v := env.View()
	uitest.WantIn(t, v, "Decision beginner-bea", "ho1", "Your verdict: a best", "▸a · ★ best", "b", "Prompt:")
	for i, c := range l.Candidates {
		g, err := env.DB.Generation(c.GenerationID)
		if err != nil {
			t.Fatal(err)
		}
		first := strings.Fields(g.Text)[:3]
		uitest.WantIn(t, v, strings.Join(first, " "))
		if it.panes[i].text != g.Text {
			t.Errorf("pane %d shows another text", i)
		}
	}
	for _, leak := range []string{"replay", "chosen", "rejected"} {
		if strings.Contains(strings.ToLower(v), leak) {
			t.Errorf("the opened decision names %q:\n%s", leak, v)
		}
	}
	env.Press("tab")
	uitest.WantIn(t, env.View(), "▸b")
	uitest.CheckFrame(t, env.View(), 140, 40)

	// Stacked below 100 columns: one pane, with tabs naming the marks.
	env.Send(tea.WindowSizeMsg{Width: 80, Height: 24})
	env.Settle()
	uitest.WantIn(t, env.View(), "a · ★ best", "[b]")
	uitest.CheckFrame(t, env.View(), 80, 24)
}

// A verdict key replaces the decision: the old one is kept, retracted by
// a record stored with the new one, on disk before the screen shows the
// new verdict; the list and the export then have the new one.
func TestDecisionReplacedKeepsTheOldRetracted(t *testing.T) {
	env := labeled(t, 120, 30, "1", "1")
	list := New(env.Ctx)
	env.Open(list)
	env.Press("down", "enter") // the older: beginner-bea
	if _, ok := env.Top().(*Item); !ok {
		t.Fatalf("enter opened %T", env.Top())
	}
	old := allLabels(t, env.DB)[0]
	env.Press("1")
	uitest.WantIn(t, env.View(), "that is the verdict already")
	if n := len(allLabels(t, env.DB)); n != 2 {
		t.Fatalf("the same verdict stored %d labels", n)
	}
	env.Press("2")
	ls := allLabels(t, env.DB)
	if len(ls) != 4 {
		t.Fatalf("%d labels after the replacement, want the 2 decisions, a retraction and the new one", len(ls))
	}
	r, repl := ls[2], ls[3]
	if r.Kind != store.LabelRetraction || r.Retracts != old.ID || repl.Kind != store.LabelDecision || repl.Verdict != "b" ||
		repl.User != old.User || repl.PromptID != old.PromptID || repl.AppVersion != "test-1" || repl.Prompt != old.Prompt {
		t.Fatalf("retraction %+v\nreplacement %+v", r, repl)
	}
	for i, c := range repl.Candidates {
		if c != old.Candidates[i] {
			t.Errorf("candidate %d: %+v, was %+v", i, c, old.Candidates[i])
		}
	}
	v := env.View()
	uitest.WantIn(t, v, "Your verdict: b best", "▸a", "b · ★ best", "replaced a best with b best on beginner-bea · ho1")

	env.Press("esc")
	if env.Top() != list {
		t.Fatalf("esc: top %T", env.Top())
	}
	uitest.WantIn(t, env.View(), "2 of 2")
	if l, _ := list.current(); l.ID != repl.ID {
		t.Errorf("the list's cursor is on %s/%s, want the replaced decision (now the newest)", l.User, l.PromptID)
	}
	if !strings.Contains(strings.Split(env.View(), "\n")[3], "b best") {
		t.Errorf("the newest row is not the replacement:\n%s", env.View())
	}

	var out bytes.Buffer
	rep, err := trl.ExportLabels(env.DB, &out, trl.LabelExport{Format: trl.LabelsDPO})
	if err != nil || rep.Decisions != 2 {
		t.Fatalf("export: %+v, %v", rep, err)
	}
	b, _ := repl.Pane("b")
	g, err := env.DB.Generation(b.GenerationID)
	if err != nil {
		t.Fatal(err)
	}
	rows := storetest.Rows(t, out.Bytes(), 2)
	found := false
	for _, row := range rows {
		if row["user"] == "beginner-bea" {
			found = strings.Contains(storetest.JSON(t, row["chosen"]), storetest.JSON(t, g.Text))
		}
	}
	if !found {
		t.Errorf("the dpo row of beginner-bea does not choose pane b's answer:\n%s", out.String())
	}
}

// What the database holds reaches the terminal sanitized (any --db may
// hold anything); a missing answer says so in its pane; a long answer
// scrolls.
func TestDecisionUntrustedTextMissingAnswerAndScrolling(t *testing.T) {
	const evil = "\x1b]52;c;eA==\x07\x1b[2J"
	env := uitest.Replay(t, 100, 24, uitest.Options{})
	long := "first" + evil + " line\n" + strings.Repeat("more words here\n", 60) + "the very end"
	g, err := env.DB.PutGeneration(store.Generation{Key: "k-evil", User: "terse-tom", PromptID: "ho1", Backend: "b", Text: long})
	if err != nil {
		t.Fatal(err)
	}
	l := storetest.Decision(env.Ctx.Annotator, "terse-tom"+evil, "ho1", "b")
	l.Prompt = "a prompt" + evil
	l.Candidates = []store.Candidate{
		{Pane: "a", Slot: 0, Backend: "replay", Replay: "chosen", Condition: "none", GenerationID: g.ID},
		{Pane: "b", Slot: 1, Backend: "replay", Replay: "rejected", Condition: "none", GenerationID: "gone"},
	}
	storetest.AddLabel(t, env.DB, l)
	env.Open(New(env.Ctx))
	v := env.View()
	env.Press("enter")
	v += env.View()
	uitest.WantIn(t, v, "terse-tom", "a prompt", "first", "line", "1–")
	for _, bad := range []string{"\x1b]", "\x07", "\x1b[2J"} {
		if strings.Contains(v, bad) {
			t.Fatalf("the view carries %q", bad)
		}
	}
	uitest.WantNotIn(t, env.View(), "the very end")
	env.Press("end")
	uitest.WantIn(t, env.View(), "the very end")
	env.Press("tab")
	uitest.WantIn(t, env.View(), "▸b · ★ best", "this answer is not in the database")
	uitest.CheckFrame(t, env.View(), 100, 24)
}

// A ranking is marked per pane, panes ranked equal sharing a rank, and a
// verdict key replaces it as it replaces any decision.
func TestDecisionRankedIsMarkedAndReplaced(t *testing.T) {
	env := uitest.Replay(t, 140, 30, uitest.Options{})
	l := storetest.Decision(env.Ctx.Annotator, "terse-tom", "ho1", "")
	l.Candidates = storetest.Candidates(3)
	l.Ranking = []string{"b", "a" + store.RankTie + "c"}
	old := storetest.AddLabel(t, env.DB, l)
	env.Ctx.Compare = screen.CompareSpec{Candidates: []screen.CandidateSpec{
		{Backend: "backend-a", Condition: store.ConditionSummary}, {Backend: "backend-b", Condition: store.ConditionSummary},
		{Backend: "backend-c", Condition: store.ConditionSummary}}}
	if env.Ctx.Compare.Comparison() != store.Comparison(old.Candidates) {
		t.Fatalf("comparison %q, the label's %q", env.Ctx.Compare.Comparison(), store.Comparison(old.Candidates))
	}
	env.Open(New(env.Ctx))
	uitest.WantIn(t, env.View(), "b > a=c")
	env.Press("enter")
	uitest.WantIn(t, env.View(), "a · rank 2", "b · rank 1", "c · rank 2")
	env.Press("3")
	cur, err := env.DB.AnnotatorDecisions(env.Ctx.Annotator, store.Comparison(old.Candidates))
	if err != nil || len(cur) != 1 || cur[0].Verdict != "c" || len(cur[0].Ranking) != 0 {
		t.Fatalf("after replacing the ranking: %+v, %v", cur, err)
	}
	uitest.WantIn(t, env.View(), "c · ★ best", "replaced b > a=c with c best")
}

// A decision between summaries opens with the summaries' texts.
func TestDecisionBetweenSummariesShowsThem(t *testing.T) {
	env := uitest.New(t, 120, 40, uitest.Options{})
	s1 := storetest.AddSummary(t, env.DB, store.Summary{User: "terse-tom", Source: store.SourceHeuristic, Text: "Wants one command and nothing else."})
	s2 := storetest.AddSummary(t, env.DB, store.Summary{User: "terse-tom", Source: store.SourceHuman, Parent: s1.Version, Text: "Short answers; no greetings at all."})
	l, err := env.DB.AddLabel(store.Label{Kind: store.LabelDecision, User: "terse-tom", PromptID: "summaries:test", Verdict: "b", Annotator: "tester",
		Candidates: []store.Candidate{
			{Pane: "a", Slot: 0, Backend: "heuristic", Condition: "summarizer", SummaryID: s1.ID},
			{Pane: "b", Slot: 1, Backend: "human", Condition: "summarizer", SummaryID: s2.ID}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	it := NewItem(env.Ctx, l)
	env.Open(it)
	uitest.WantIn(t, env.View(), "Wants one command", "Short answers; no greetings")
	uitest.WantNotIn(t, env.View(), "no answer was stored")
}
