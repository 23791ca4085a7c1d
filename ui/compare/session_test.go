package compare

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
	"github.com/popi-tui/popi-tui/ui/screen"
	"github.com/popi-tui/popi-tui/ui/uitest"
)

// The tests of issue 11's labeling session: the question, the overlays,
// the folded prompt, the end of the queue, rankings.

func TestCompareQuestion(t *testing.T) {
	tests := []struct {
		name string
		spec string // the spec's own question
		ui   engine.UIConfig
		want string
	}{
		{"default", "", engine.UIConfig{}, DefaultQuestion},
		{"configured for all", "", engine.UIConfig{Question: "Which is kinder?"}, "Which is kinder?"},
		{"configured for this mode", "", engine.UIConfig{Question: "Which is kinder?", Questions: map[string]string{"replay": "Which did the user pick?"}}, "Which did the user pick?"},
		{"configured for these candidates", "", engine.UIConfig{Questions: map[string]string{"replay:chosen,replay:rejected": "Which one, \x1b[2Jreally?"}}, "Which one, really?"},
		{"the spec's own", "Which summary describes this user better?", engine.UIConfig{Question: "Which is kinder?"}, "Which summary describes this user better?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := storetest.DemoDB(t)
			e := engine.New(db, engine.Config{UI: tt.ui}, engine.Options{})
			t.Cleanup(e.Close)
			spec, _ := screen.ParseCompare("", e, true)
			spec.Question = tt.spec
			hs, _ := openCompare(t, uitest.Options{DB: db, Engine: e, Compare: spec}, 120, 40)
			v := hs.View()
			if !strings.Contains(v, "Question: "+tt.want) || strings.Contains(v, "\x1b") {
				t.Errorf("want the question %q:\n%s", tt.want, v)
			}
		})
	}
}

// r on a replayed pane says why nothing happens.
func TestCompareRegenerateReplayedPaneSaysItCannot(t *testing.T) {
	hs, s := openReplay(t, storetest.DemoDB(t), 120, 40)
	before := s.current().panes[0].gen
	hs.Press("r")
	if v := hs.View(); !strings.Contains(v, "pane a cannot be regenerated") || strings.Contains(v, "regenerating") {
		t.Errorf("r on a replayed pane:\n%s", v)
	}
	if s.current().panes[0].gen != before {
		t.Error("the replayed pane was asked again")
	}
}

// The rate is shown from the fifth label of a session on.
func TestCompareRateFromTheFifthLabel(t *testing.T) {
	hs, s := openReplay(t, storetest.DemoDB(t), 120, 40)
	for i := range rateFrom {
		if got := strings.Contains(hs.View(), "– labels/h"); got != (i < rateFrom) {
			t.Errorf("after %d labels: rate hidden %v\n%s", i, got, hs.View())
		}
		hs.Press("s")
	}
	if s.sessionN != rateFrom || strings.Contains(hs.View(), "– labels/h") || !strings.Contains(hs.View(), " labels/h") {
		t.Errorf("after %d labels the rate is not shown:\n%s", s.sessionN, hs.View())
	}
}

// The end of the queue sums the session up, names the export command and
// lists no decision key.
func TestCompareEndOfQueueSummary(t *testing.T) {
	db := storetest.DemoDB(t)
	hs, s := openReplay(t, db, 120, 40)
	hs.Press("1", "2", "t", "x", "s", "1", "2", "1", "2", "1", "2")
	if got := compareCurrentItem(s); got != compareDemoQueue[4] {
		t.Fatalf("after 11 decisions: at %s, want the skipped %s back", got, compareDemoQueue[4])
	}
	hs.Press("s") // skipped again: final
	if s.current() != nil {
		t.Fatalf("items left after 12 decisions: at %s", compareCurrentItem(s))
	}
	v := hs.View()
	uitest.CheckFrame(t, v, 120, 40)
	flat := strings.Join(strings.Fields(v), " ")
	for _, want := range []string{"All 11 items are decided", "labeled", "8  (8 with a best answer, 0 ranked)", "ties", "all bad", "skipped",
		"labels per hour", "(this session: 12 labels)", "export labels --format dpo --annotators tester -o labels-tester.jsonl", "--db "} {
		if !strings.Contains(flat, strings.Join(strings.Fields(want), " ")) {
			t.Errorf("the end of the queue lacks %q:\n%s", want, v)
		}
	}
	help := v[strings.LastIndex(v, "\n"):]
	for _, key := range []string{"1-4", "t tie", "x all", "s skip", "tab", "R rank"} {
		if strings.Contains(help, key) {
			t.Errorf("the help line lists %q at the end of the queue: %s", key, help)
		}
	}
	if !strings.Contains(help, "? help") || !strings.Contains(help, "q back") || !strings.Contains(help, "u undo") {
		t.Errorf("help line: %s", help)
	}
}

// p and h open the user's persona and history over the panes, on the
// same item; they scroll, and esc closes them. The history never shows
// held-out pairs: the item may be one of them.
func TestCompareOverlays(t *testing.T) {
	hs, s := openReplay(t, storetest.DemoDB(t), 80, 24)
	item := compareCurrentItem(s)
	hs.Press("p")
	v := hs.View()
	uitest.CheckFrame(t, v, 80, 24)
	if !strings.Contains(v, "Persona of beginner-bea") || !strings.Contains(v, "Bea is returning to study") || !strings.Contains(v, "Profile") {
		t.Errorf("p does not show the persona:\n%s", v)
	}
	if !strings.Contains(v, "Question:") || strings.Contains(v, "a · done") {
		t.Errorf("the persona is not over the panes, under the item's head:\n%s", v)
	}
	hs.Press("h")
	v = hs.View()
	if !strings.Contains(v, "History of beginner-bea") || !strings.Contains(v, "Pair 1") || !strings.Contains(v, "▲ preferred") || !strings.Contains(v, " 1–") {
		t.Errorf("h does not show the history, scrollable:\n%s", v)
	}
	hs.Press("end")
	v = hs.View()
	if strings.Contains(v, "What is Wi-Fi") && strings.Count(v, "What is Wi-Fi") > 1 {
		t.Errorf("the history shows the held-out pair being judged:\n%s", v)
	}
	for _, sig := range s.overlay.signals {
		if sig.Split == store.SplitHeldout && strings.Contains(strings.Join(s.overlay.lines, "\n"), sig.Chosen[:20]) {
			t.Errorf("held-out pair %s in the history", sig.ID)
		}
	}
	if s.overlay.offset == 0 {
		t.Error("end did not scroll the history")
	}
	end := s.overlay.offset
	hs.Send(tea.MouseMsg{X: 5, Y: 15, Button: tea.MouseButtonWheelUp, Action: tea.MouseActionPress})
	hs.Settle()
	hs.View()
	if s.overlay.offset != end-3 {
		t.Errorf("the wheel scrolled the history from %d to %d, want %d", end, s.overlay.offset, end-3)
	}
	hs.Press("esc")
	if s.overlay != nil || compareCurrentItem(s) != item || !strings.Contains(hs.View(), "a · done") || hs.Top() != s {
		t.Errorf("esc did not close the overlay back to the item:\n%s", hs.View())
	}
	// A verdict from the overlay decides the item, and the overlay closes.
	hs.Press("p", "1")
	if s.overlay != nil || compareCurrentItem(s) == item {
		t.Errorf("a verdict from the overlay: overlay %v, item %s", s.overlay != nil, compareCurrentItem(s))
	}
}

// A long prompt is folded to a few lines; e opens the whole of it.
func TestCompareLongPromptFoldsAndExpands(t *testing.T) {
	db := storetest.DemoDB(t)
	var lines []string
	for i := range 12 {
		lines = append(lines, "Line "+string(rune('A'+i))+" of a long prompt that keeps going.")
	}
	long := strings.Join(lines, "\n")
	storetest.Import(t, db, `{"user":"aaa-long","kind":"pair","id":"ho1","split":"heldout","prompt":`+jsonString(long)+`,"chosen":"yes","rejected":"no"}`)
	for _, sz := range [][2]int{{80, 24}, {60, 20}} {
		hs, s := openReplay(t, db, sz[0], sz[1])
		if compareCurrentItem(s) != "aaa-long/ho1" {
			t.Fatalf("first item %s", compareCurrentItem(s))
		}
		v := hs.View()
		uitest.CheckFrame(t, v, sz[0], sz[1])
		if !strings.Contains(v, "Line A") || strings.Contains(v, "Line D") || !strings.Contains(v, "(e expands)") {
			t.Errorf("%v: the prompt is not folded:\n%s", sz, v)
		}
		hs.Press("e", "end")
		v = hs.View()
		uitest.CheckFrame(t, v, sz[0], sz[1])
		if !strings.Contains(v, "The prompt") || !strings.Contains(v, "Line L of a long prompt") {
			t.Errorf("%v: e does not show the whole prompt, to its end:\n%s", sz, v)
		}
		hs.Press("e")
		if s.overlay != nil {
			t.Errorf("e again does not close it")
		}
		hs.Press("q")
	}
}

func jsonString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

// fakeModels is two generators, alpha and beta, on a fake server that
// streams pieces, and the comparison spec makes of them.
func fakeModels(t *testing.T, db *store.DB, spec string, pieces func(model string) []string) (*engine.Engine, screen.CompareSpec) {
	t.Helper()
	f := newCompareFakeServer(t, func(w http.ResponseWriter, r *http.Request, model string) {
		compareSSE(w, model, pieces(model)...)
	})
	e := engine.New(db, engine.Config{MaxAttempts: 1, Backends: []engine.BackendConfig{
		compareGenerator("alpha", f.srv.URL, "model-alpha"), compareGenerator("beta", f.srv.URL, "model-beta")}}, engine.Options{})
	t.Cleanup(e.Close)
	c, err := screen.ParseCompare(spec, e, false)
	if err != nil {
		t.Fatal(err)
	}
	return e, c
}

func anAnswer(string) []string { return []string{"An answer."} }

// openThree is three panes from a fake server over the demo users.
func openThree(t *testing.T, w, h int) (*uitest.Env, *Screen, *store.DB) {
	t.Helper()
	db := storetest.DemoDB(t)
	e, spec := fakeModels(t, db, "alpha:none,beta:none,alpha:raw", anAnswer)
	hs, s := openCompare(t, uitest.Options{DB: db, Engine: e, Compare: spec}, w, h)
	return hs, s, db
}

// Ranking mode: R, then the panes best first; t makes the next one rank
// equal to the last; backspace takes one back; the ranking is committed
// when every pane has a rank.
func TestCompareRanking(t *testing.T) {
	tests := []struct {
		name    string
		keys    []string
		verdict string
		ranking []string
	}{
		{"strict", []string{"R", "2", "3", "1"}, "", []string{"b", "c", "a"}},
		{"last two equal", []string{"R", "3", "1", "t", "2"}, "", []string{"c", "a=b"}},
		{"first two equal, = as the tie key", []string{"R", "2", "=", "1", "3"}, "", []string{"a=b", "c"}},
		{"taken back", []string{"R", "1", "2", "backspace", "3", "2"}, "", []string{"a", "c", "b"}},
		{"every pane equal is a tie", []string{"R", "1", "t", "2", "t", "3"}, store.VerdictTie, nil},
		{"a verdict key in ranking mode", []string{"R", "1", "x"}, store.VerdictBothBad, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs, s, db := openThree(t, 120, 40)
			item := compareCurrentItem(s)
			hs.Press(tt.keys...)
			ls := compareAllLabels(t, db)
			if len(ls) != 1 {
				t.Fatalf("%d labels:\n%s", len(ls), hs.View())
			}
			l := ls[0]
			if l.Verdict != tt.verdict || strings.Join(l.Ranking, " ") != strings.Join(tt.ranking, " ") || l.User+"/"+l.PromptID != item {
				t.Errorf("label: verdict %q ranking %v on %s/%s; want %q %v on %s", l.Verdict, l.Ranking, l.User, l.PromptID, tt.verdict, tt.ranking, item)
			}
			if s.rank != nil || compareCurrentItem(s) == item {
				t.Errorf("still ranking, or still on the item")
			}
		})
	}
}

func TestCompareRankingShowsAndLeaves(t *testing.T) {
	hs, s, db := openThree(t, 120, 40)
	hs.Press("R", "2", "t")
	v := hs.View()
	if !strings.Contains(v, "Ranking: b = …") || !strings.Contains(v, "b · done · rank 1") || !strings.Contains(ansi.Strip(v), "next best") {
		t.Errorf("the ranking so far is not shown:\n%s", v)
	}
	hs.Press("2")
	if !strings.Contains(hs.View(), "pane b is ranked already") {
		t.Errorf("a pane ranked twice:\n%s", hs.View())
	}
	hs.Press("esc")
	if s.rank != nil || hs.Top() != s || strings.Contains(hs.View(), "Ranking:") {
		t.Errorf("esc did not leave ranking mode (only):\n%s", hs.View())
	}
	if len(compareAllLabels(t, db)) != 0 {
		t.Error("leaving ranking mode stored something")
	}
	// With two panes there is nothing to rank.
	hs2, s2 := openReplay(t, storetest.DemoDB(t), 120, 40)
	hs2.Press("R")
	if s2.rank != nil || !strings.Contains(hs2.View(), "ranking needs 3 or 4 panes") {
		t.Errorf("R with two panes:\n%s", hs2.View())
	}
}

// [ui] reveal = "after" names the candidates in the status line after
// each decision; the agreement with the dataset stays off the screen.
func TestCompareRevealAfter(t *testing.T) {
	db := storetest.DemoDB(t)
	e := engine.New(db, engine.Config{UI: engine.UIConfig{Reveal: engine.RevealAfter}}, engine.Options{})
	t.Cleanup(e.Close)
	spec, _ := screen.ParseCompare("", e, true)
	hs, _ := openCompare(t, uitest.Options{DB: db, Engine: e, Compare: spec}, 120, 40)
	hs.Press("1")
	l := compareAllLabels(t, db)[0]
	v := hs.View()
	want := fmt.Sprintf("a = replay (%s), b = replay (%s)", l.Candidates[0].Replay, l.Candidates[1].Replay)
	if !strings.Contains(v, want) || !strings.Contains(v, "saved a best") {
		t.Errorf("status line does not reveal %q:\n%s", want, v)
	}
	if strings.Contains(v, "agreement") {
		t.Errorf("agreement shown while labeling:\n%s", v)
	}
}

// c writes the rationale of the item on screen: nothing is stored until
// its verdict, which carries it in the same label; C amends the last
// decision's; undo gives the item back with its rationale.
func TestCompareRationaleGoesWithTheItemOnScreen(t *testing.T) {
	db := storetest.DemoDB(t)
	hs, s := openReplay(t, db, 120, 40)
	hs.Press("C")
	if s.Typing() || !strings.Contains(hs.View(), "no decision yet") {
		t.Fatalf("C before any decision:\n%s", hs.View())
	}
	hs.Press("c")
	if !s.Typing() || !hs.Top().Typing() {
		t.Fatal("the rationale input does not have the keys")
	}
	hs.Press("t", "o", "o", " ", "l", "o", "n", "g") // t and o are text now, not verdicts
	if !strings.Contains(hs.View(), "rationale for this item (your verdict saves it): too long") {
		t.Errorf("input not shown:\n%s", hs.View())
	}
	hs.Press("enter")
	if s.Typing() || len(compareAllLabels(t, db)) != 0 {
		t.Fatalf("typing %v, %d labels after enter: want none before the verdict", s.Typing(), len(compareAllLabels(t, db)))
	}
	if v := hs.View(); !strings.Contains(v, "Rationale (saved with your verdict; c edits): too long") || !strings.Contains(v, "beginner-bea") {
		t.Errorf("the kept rationale is not on the item:\n%s", v)
	}
	if s.Unsaved() == "" {
		t.Error("quitting now would lose the kept rationale, and Unsaved does not say so")
	}
	hs.Press("2")
	ls := compareAllLabels(t, db)
	if len(ls) != 1 || ls[0].Verdict != "b" || ls[0].Rationale != "too long" || ls[0].User != "beginner-bea" {
		t.Fatalf("labels: %+v", ls)
	}
	if v := hs.View(); strings.Contains(v, "too long") && !strings.Contains(v, "saved b best with its rationale") {
		t.Errorf("the next item shows the last one's rationale:\n%s", v)
	}
	// C amends the last decision's.
	hs.Press("C")
	if !strings.Contains(hs.View(), "amend the rationale of beginner-bea · ho1 (b best): too long") {
		t.Errorf("C does not name the decision it amends:\n%s", hs.View())
	}
	hs.Press("ctrl+u", "w", "h", "y", "enter")
	ls = compareAllLabels(t, db)
	if len(ls) != 2 {
		t.Fatalf("%d labels, want the decision and its amendment", len(ls))
	}
	first, amend := ls[0], ls[1]
	if amend.ID == first.ID || amend.Amends != first.ID || amend.Rationale != "why" || amend.Verdict != "b" ||
		amend.Kind != store.LabelDecision || !reflect.DeepEqual(amend.Candidates, first.Candidates) || amend.User != first.User {
		t.Errorf("amendment = %+v\nof %+v", amend, first)
	}
	if cur := compareCurrentLabels(t, db); len(cur) != 1 || cur[0].ID != amend.ID {
		t.Errorf("current: %+v", cur)
	}
	// Esc drops a rationale being typed.
	hs.Press("c", "x", "esc")
	if s.Typing() || len(compareAllLabels(t, db)) != 2 || s.current().rationale != "" {
		t.Errorf("esc saved something or kept the focus")
	}
	// Undo takes back the decision: the item returns with its rationale.
	hs.Press("u")
	if len(compareCurrentLabels(t, db)) != 0 || compareCurrentItem(s) != compareDemoQueue[0] || s.current().rationale != "why" {
		t.Errorf("undo after a rationale: %d current, item %s, rationale %q", len(compareCurrentLabels(t, db)), compareCurrentItem(s), s.current().rationale)
	}
	hs.Press("t")
	if ls := compareAllLabels(t, db); ls[len(ls)-1].Verdict != store.VerdictTie || ls[len(ls)-1].Rationale != "why" {
		t.Errorf("the verdict made again lost the rationale: %+v", ls[len(ls)-1])
	}
}

// The smallest terminal keeps every line of the head and room for the
// panes with a rationale kept and a ranking being entered.
func TestCompareSmallestWithRationaleAndRanking(t *testing.T) {
	hs, _, _ := openThree(t, 60, 20)
	hs.Press("c", "o", "k", "enter", "R", "2")
	v := hs.View()
	uitest.CheckFrame(t, v, 60, 20)
	for _, want := range []string{"Question:", "Prompt:", "Rationale", "Ranking: b", "b#1", "· done"} {
		if !strings.Contains(v, want) {
			t.Errorf("60×20 lacks %q:\n%s", want, v)
		}
	}
}
