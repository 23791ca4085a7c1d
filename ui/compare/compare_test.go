package compare

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
	"github.com/popi-tui/popi-tui/ui/screen"
	"github.com/popi-tui/popi-tui/ui/uitest"
)

// openCompare opens the Compare screen in the program's frame (uitest)
// over opt's database and engine, as annotator "tester" unless opt says,
// and waits for its first item.
func openCompare(t testing.TB, opt uitest.Options, w, h int) (*uitest.Env, *Screen) {
	t.Helper()
	if opt.Annotator == "" {
		opt.Annotator = "tester"
	}
	if opt.AppVersion == "" {
		opt.AppVersion = "test-1"
	}
	env := uitest.New(t, w, h, opt)
	s := New(env.Ctx)
	env.Open(s)
	if !s.loaded || s.loadErr != nil {
		t.Fatalf("compare screen not loaded: %v", s.loadErr)
	}
	return env, s
}

// openReplay is the demo's comparison: the replay generator, offline.
func openReplay(t *testing.T, db *store.DB, w, h int) (*uitest.Env, *Screen) {
	t.Helper()
	e, spec := uitest.ReplayEngine(t, db)
	if spec.Mode != screen.CompareReplay {
		t.Fatalf("default spec in the demo = %+v", spec)
	}
	return openCompare(t, uitest.Options{DB: db, Engine: e, Compare: spec}, w, h)
}

// compareAllLabels is every label record, oldest first.
func compareAllLabels(t *testing.T, db *store.DB) []store.Label {
	t.Helper()
	var out []store.Label
	if err := db.EachLabel(func(l store.Label) error { out = append(out, l); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func compareCurrentLabels(t *testing.T, db *store.DB) []store.Label {
	t.Helper()
	var out []store.Label
	if err := db.CurrentLabels(func(l store.Label) error { out = append(out, l); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// compareDemoQueue is the demo's held-out pairs: users in id order, each
// user's pairs in file order.
var compareDemoQueue = []string{
	"beginner-bea/ho1", "bullet-ben/ho1", "bullet-ben/ho2", "code-first-kai/ho1", "formal-fiona/ho1",
	"playful-pia/ho1", "playful-pia/ho2", "skeptic-sam/ho1", "skeptic-sam/ho2", "terse-tom/ho1", "thorough-theo/ho1",
}

func compareCurrentItem(s *Screen) string {
	it := s.current()
	if it == nil {
		return ""
	}
	return it.q.User + "/" + it.q.PromptID
}

func TestCompareDemoDecisionIsBlindRecordedAndRevealed(t *testing.T) {
	db := storetest.DemoDB(t)
	hs, s := openReplay(t, db, 120, 40)

	if s.q.len() != len(compareDemoQueue) {
		t.Fatalf("queue has %d items, want the demo's %d held-out pairs", s.q.len(), len(compareDemoQueue))
	}
	if got := compareCurrentItem(s); got != compareDemoQueue[0] {
		t.Fatalf("first item = %s, want %s", got, compareDemoQueue[0])
	}
	it := s.current()
	if len(it.panes) != 2 || !it.complete() {
		t.Fatalf("want 2 finished panes, got %d (complete %v)", len(it.panes), it.complete())
	}
	v := hs.View()
	for _, want := range []string{"Prompt:", "beginner-bea", "a · done", "b · done", "0/11 done", "Summary: none for this user"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
	// Blind: nothing names the backend or which response is which.
	for _, leak := range []string{"replay", "chosen", "rejected"} {
		if strings.Contains(strings.ToLower(v), leak) {
			t.Errorf("view names %q before the decision:\n%s", leak, v)
		}
	}
	order := []int{it.panes[0].slot, it.panes[1].slot}

	before := time.Now().UTC()
	hs.Press("1")
	ls := compareAllLabels(t, db)
	if len(ls) != 1 {
		t.Fatalf("%d labels stored, want 1", len(ls))
	}
	l := ls[0]
	if l.Kind != store.LabelDecision || l.Verdict != "a" || l.Annotator != "tester" || l.AppVersion != "test-1" ||
		l.User != "beginner-bea" || l.PromptID != "ho1" || l.Prompt == "" || l.ID == "" {
		t.Errorf("label = %+v", l)
	}
	if l.ShownAt.IsZero() || l.DecidedAt.Before(l.ShownAt) || l.DecidedAt.Before(before.Add(-time.Second)) {
		t.Errorf("shown %v, decided %v", l.ShownAt, l.DecidedAt)
	}
	if len(l.Candidates) != 2 {
		t.Fatalf("candidates = %+v", l.Candidates)
	}
	for i, c := range l.Candidates {
		spec := s.ctx.Compare.Candidates[c.Slot]
		if c.Pane != store.PaneLetter(i) || c.Slot != order[i] || c.Backend != engine.ReplayName || c.Replay != spec.Replay ||
			c.Condition != store.ConditionNone || c.GenerationID == "" || c.Model == "" {
			t.Errorf("candidate %d = %+v (shown order %v)", i, c, order)
		}
		g, err := db.Generation(c.GenerationID)
		if err != nil || g.PromptID != "ho1" {
			t.Errorf("candidate %d's generation: %+v, %v", i, g, err)
		}
	}
	// The session went with the label.
	sess, ok, err := db.Session("tester", "replay:chosen,replay:rejected")
	if err != nil || !ok || sess.Position != 1 || sess.LastItem != itemKey("beginner-bea", "ho1") ||
		sess.Compare != s.ctx.Compare.Comparison() || sess.Seed == 0 {
		t.Errorf("session = %+v, %v, %v", sess, ok, err)
	}
	// Moved on; by default nothing says which pane was which, nor how
	// often the annotator agrees with the dataset.
	if got := compareCurrentItem(s); got != compareDemoQueue[1] {
		t.Errorf("after the decision the item is %s, want %s", got, compareDemoQueue[1])
	}
	v = hs.View()
	if !strings.Contains(v, "saved a best") || !strings.Contains(v, "1/11 done") {
		t.Errorf("status or progress line:\n%s", v)
	}
	for _, leak := range []string{"replay", "chosen", "rejected", "agreement"} {
		if strings.Contains(strings.ToLower(v), leak) {
			t.Errorf("view names %q after the decision, with reveal never:\n%s", leak, v)
		}
	}
}

func TestCompareUndoRetractsAndTheItemComesBack(t *testing.T) {
	db := storetest.DemoDB(t)
	hs, s := openReplay(t, db, 120, 40)
	hs.Press("1", "2")
	if got := compareCurrentItem(s); got != compareDemoQueue[2] {
		t.Fatalf("after two decisions the item is %s", got)
	}
	hs.Press("u")
	ls := compareAllLabels(t, db)
	if len(ls) != 3 || ls[2].Kind != store.LabelRetraction || ls[2].Retracts != ls[1].ID || ls[2].Annotator != "tester" {
		t.Fatalf("labels after undo: %+v", ls)
	}
	if got := compareCurrentItem(s); got != compareDemoQueue[1] {
		t.Errorf("after undo the item is %s, want %s back", got, compareDemoQueue[1])
	}
	if cur := compareCurrentLabels(t, db); len(cur) != 1 || cur[0].ID != ls[0].ID {
		t.Errorf("current decisions after undo: %+v", cur)
	}
	if s.q.doneCount() != 1 || !strings.Contains(hs.View(), "1/11 done") || !strings.Contains(hs.View(), "took back") {
		t.Errorf("progress after undo:\n%s", hs.View())
	}
	sess, _, _ := db.Session("tester", s.ctx.Compare.Comparison())
	if sess.LastItem != itemKey("beginner-bea", "ho1") || sess.Position != 1 {
		t.Errorf("session after undo: %+v", sess)
	}
	// Undo again: the first decision too.
	hs.Press("u")
	if got := compareCurrentItem(s); got != compareDemoQueue[0] || len(compareCurrentLabels(t, db)) != 0 {
		t.Errorf("after two undos: item %s, %d current", got, len(compareCurrentLabels(t, db)))
	}
	hs.Press("u")
	if !strings.Contains(hs.View(), "nothing to undo") {
		t.Errorf("a third undo:\n%s", hs.View())
	}
}

// At 60 columns a long rationale scrolls in its field: its end and the
// cursor stay in view, and the frame stays 60 wide.
func TestCompareRationaleScrollsWhenNarrow(t *testing.T) {
	db := storetest.DemoDB(t)
	hs, _ := openReplay(t, db, 60, 20)
	hs.Press("c")
	hs.Press(strings.Split("because the second one rambles on END", "")...)
	v := hs.View()
	uitest.CheckFrame(t, v, 60, 20)
	if !strings.Contains(v, "rambles on END") || !strings.Contains(v, "rationale for") {
		t.Errorf("the end of the rationale is out of view:\n%s", v)
	}
	hs.Send(tea.WindowSizeMsg{Width: 120, Height: 40})
	hs.Settle()
	if v := hs.View(); !strings.Contains(v, "rationale for this item (your verdict saves it): because the second one rambles on END") {
		t.Errorf("wider again, the prompt and text are not whole:\n%s", v)
	}
}

func TestCompareTieAllBadSkip(t *testing.T) {
	db := storetest.DemoDB(t)
	hs, s := openReplay(t, db, 120, 40)
	hs.Press("t", "x", "s", "3") // 3: only two panes
	ls := compareAllLabels(t, db)
	var got []string
	for _, l := range ls {
		got = append(got, l.Verdict)
	}
	if !slices.Equal(got, []string{store.VerdictTie, store.VerdictBothBad, store.VerdictSkip}) {
		t.Errorf("verdicts = %v", got)
	}
	// The skip is not done: it comes back at the end (skips = "again").
	if !strings.Contains(hs.View(), "there are 2 panes") || s.q.doneCount() != 2 || compareCurrentItem(s) != compareDemoQueue[3] {
		t.Errorf("after t x s 3: done %d, item %s\n%s", s.q.doneCount(), compareCurrentItem(s), hs.View())
	}
	if n := s.tally(); n[tallyTie] != 1 || n[tallyAllBad] != 1 || n[tallySkip] != 1 || n[tallyBest] != 0 {
		t.Errorf("tally %v", n)
	}
}

// The end-to-end flow of issue 4: label 5 items, undo one, quit; reopen
// the same database: 4 labels are there and the session resumes at the
// item taken back, with the same pane order; then at the next one.
func TestCompareSessionResumesAfterReopening(t *testing.T) {
	db := storetest.DemoDB(t)
	hs, s := openReplay(t, db, 120, 40)
	hs.Press("1", "2", "s", "t", "1", "u")
	seed := s.session.Seed
	order := append([]int(nil), s.current().panes[0].slot, s.current().panes[1].slot)
	hs.Press("q")
	if _, ok := hs.Top().(uitest.Blank); !ok {
		t.Fatalf("q did not go back to the screen under Compare")
	}
	hs.Press("q") // quits: nothing is running
	if cur := compareCurrentLabels(t, db); len(cur) != 4 {
		t.Fatalf("%d current decisions, want 4", len(cur))
	}

	hs2, s2 := openReplay(t, db, 120, 40)
	if got := compareCurrentItem(s2); got != compareDemoQueue[4] {
		t.Fatalf("reopened at %s, want %s (the item taken back)", got, compareDemoQueue[4])
	}
	if s2.session.Seed != seed || s2.q.doneCount() != 3 || s2.current().panes[0].slot != order[0] || s2.current().panes[1].slot != order[1] {
		t.Errorf("seed %d (was %d), done %d, order %d%d (was %v)", s2.session.Seed, seed, s2.q.doneCount(),
			s2.current().panes[0].slot, s2.current().panes[1].slot, order)
	}
	if !strings.Contains(hs2.View(), "3/11 done") { // the skip comes back at the end
		t.Errorf("progress after reopening:\n%s", hs2.View())
	}
	// Label it; reopen again: the one after.
	hs2.Press("2")
	hs3, s3 := openReplay(t, db, 80, 24)
	if got := compareCurrentItem(s3); got != compareDemoQueue[5] {
		t.Errorf("reopened at %s, want %s (the one after the last labeled)", got, compareDemoQueue[5])
	}
	// Undo reaches the previous program's last decision.
	hs3.Press("u")
	if got := compareCurrentItem(s3); got != compareDemoQueue[4] || len(compareCurrentLabels(t, db)) != 4 {
		t.Errorf("undo after reopening brought back %s", got)
	}
}

// Another --compare is another queue: the decisions and session of the
// first neither mark its items done nor move where it starts, and the
// first resumes where it stopped afterwards.
func TestCompareSessionsArePerComparison(t *testing.T) {
	db := storetest.DemoDB(t)
	hs, _ := openReplay(t, db, 120, 40)
	hs.Press("1", "2", "1")
	e, spec := fakeModels(t, db, "alpha:none,beta:none", anAnswer)
	hs2, s2 := openCompare(t, uitest.Options{DB: db, Engine: e, Compare: spec}, 120, 40)
	if s2.q.doneCount() != 0 || s2.cur != 0 || len(s2.verdicts) != 0 || len(s2.undo) != 0 {
		t.Errorf("another comparison: %d done, at %d, %d decided, %d to undo; want a fresh queue",
			s2.q.doneCount(), s2.cur, len(s2.verdicts), len(s2.undo))
	}
	// The same first prompt judged between the new candidates: both
	// decisions stand.
	hs2.Press("1")
	if n := len(compareCurrentLabels(t, db)); n != 4 {
		t.Errorf("%d current decisions, want the 3 replayed and the new one", n)
	}
	_, s3 := openReplay(t, db, 120, 40)
	if s3.q.doneCount() != 3 || compareCurrentItem(s3) != compareDemoQueue[3] {
		t.Errorf("back to replay: %d done, at %s; want 3 done, at %s", s3.q.doneCount(), compareCurrentItem(s3), compareDemoQueue[3])
	}
}

func TestCompareLayoutSideBySideAndStacked(t *testing.T) {
	db := storetest.DemoDB(t)
	hs, s := openReplay(t, db, 120, 40)
	uitest.CheckFrame(t, hs.View(), 120, 40)
	if n := comparePanesPerLine(hs.View(), "╮", "┓"); n != 2 {
		t.Errorf("120 columns: %d pane tops on a line, want 2 side by side:\n%s", n, hs.View())
	}
	if strings.Contains(hs.View(), "[a]") {
		t.Error("tabs shown side by side")
	}

	hs.Send(tea.WindowSizeMsg{Width: 80, Height: 24})
	hs.Settle()
	v := hs.View()
	uitest.CheckFrame(t, v, 80, 24)
	if n := comparePanesPerLine(v, "╮", "┓"); n != 1 {
		t.Errorf("80 columns: %d pane tops on a line, want 1 (stacked):\n%s", n, v)
	}
	if !strings.Contains(v, "[a]") || !strings.Contains(v, " b ") || !strings.Contains(v, "a · done") {
		t.Errorf("80 columns: no tab strip with a focused:\n%s", v)
	}
	hs.Press("tab")
	v = hs.View()
	if !strings.Contains(v, "[b]") || !strings.Contains(v, "b · done") || strings.Contains(v, "a · done") {
		t.Errorf("tab did not show pane b alone:\n%s", v)
	}
	hs.Press("f")
	if !strings.Contains(hs.View(), "Summary") {
		t.Errorf("summary line gone after f")
	}
	// The smallest size still draws every part.
	hs.Send(tea.WindowSizeMsg{Width: 60, Height: 20})
	hs.Settle()
	v = hs.View()
	uitest.CheckFrame(t, v, 60, 20)
	for _, want := range []string{"Prompt:", "[b]", "done"} {
		if !strings.Contains(v, want) {
			t.Errorf("60×20 lacks %q:\n%s", want, v)
		}
	}
	// The panes scroll on their own: keys and the wheel.
	for range 2 {
		if strings.Contains(hs.View(), " 1–") {
			break
		}
		hs.Press("tab")
	}
	if !strings.Contains(hs.View(), " 1–") {
		t.Fatalf("no pane longer than its box at 60×20:\n%s", hs.View())
	}
	hs.Press("down")
	if p := s.current().panes[s.focus]; p.offset != 1 || !strings.Contains(hs.View(), " 2–") {
		t.Errorf("down: offset %d\n%s", p.offset, hs.View())
	}
	hs.Send(tea.MouseMsg{X: 5, Y: 15, Button: tea.MouseButtonWheelUp, Action: tea.MouseActionPress})
	hs.Settle()
	if p := s.current().panes[s.focus]; p.offset != 0 {
		t.Errorf("wheel up: offset %d", p.offset)
	}
	hs.Press("pgdown")
	if p := s.current().panes[s.focus]; p.offset == 0 {
		t.Errorf("pgdown did not scroll")
	}
	other := s.current().panes[1-s.focus]
	if other.offset != 0 {
		t.Errorf("the other pane scrolled too")
	}
}

func comparePanesPerLine(v string, marks ...string) int {
	most := 0
	for _, l := range strings.Split(v, "\n") {
		n := 0
		for _, m := range marks {
			n += strings.Count(l, m)
		}
		most = max(most, n)
	}
	return most
}

// compareFakeServer is an OpenAI-compatible generator on loopback: answer says
// what it streams (as pieces) for a request, by model name.
type compareFakeServer struct {
	srv      *httptest.Server
	requests atomic.Int32
}

func newCompareFakeServer(t testing.TB, handle func(w http.ResponseWriter, r *http.Request, model string)) *compareFakeServer {
	t.Helper()
	f := &compareFakeServer{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/chat/completions" {
			http.NotFound(w, r)
			return
		}
		f.requests.Add(1)
		var req struct {
			Model string `json:"model"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		handle(w, r, req.Model)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// compareSSE streams pieces as chat completion chunks, then the finish.
func compareSSE(w http.ResponseWriter, model string, pieces ...string) {
	w.Header().Set("Content-Type", "text/event-stream")
	fl := w.(http.Flusher)
	for _, p := range pieces {
		content, _ := json.Marshal(p) // JSON, not Go, escapes: \u001b
		fmt.Fprintf(w, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":%q,\"choices\":[{\"index\":0,\"delta\":{\"content\":%s},\"finish_reason\":null}]}\n\n", model, content)
		fl.Flush()
	}
	fmt.Fprintf(w, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":%q,\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n", model)
	fmt.Fprint(w, "data: [DONE]\n\n")
	fl.Flush()
}

func compareGenerator(name, url, model string) engine.BackendConfig {
	return engine.BackendConfig{Name: name, Kind: engine.KindOpenAI, Roles: []string{engine.RoleGenerator},
		BaseURLs: []string{url + "/v1"}, Model: model, Temperature: 0.6, MaxTokens: 64, Concurrency: 4, Timeout: 10 * time.Second}
}

func TestCompareThreePanesFromAServer(t *testing.T) {
	db := storetest.DemoDB(t)
	f := newCompareFakeServer(t, func(w http.ResponseWriter, r *http.Request, model string) {
		compareSSE(w, model, "## A heading\n\n", "Some **bold** advice ", "in three parts.\n\n- one\n- two\n")
	})
	e := engine.New(db, engine.Config{MaxAttempts: 1, Backends: []engine.BackendConfig{
		compareGenerator("alpha", f.srv.URL, "model-alpha"), compareGenerator("beta", f.srv.URL, "model-beta")}}, engine.Options{})
	t.Cleanup(e.Close)
	spec, err := screen.ParseCompare("alpha:none,beta:none,alpha:raw", e, false)
	if err != nil {
		t.Fatal(err)
	}
	hs, s := openCompare(t, uitest.Options{DB: db, Engine: e, Compare: spec}, 120, 40)
	// Tasks and held-out pairs: 8 users × 3 tasks + 11 held-out pairs.
	if s.q.len() != 35 {
		t.Errorf("queue of %d items, want 35", s.q.len())
	}
	it := s.current()
	if len(it.panes) != 3 || !it.complete() {
		t.Fatalf("panes %d, complete %v", len(it.panes), it.complete())
	}
	v := hs.View()
	uitest.CheckFrame(t, v, 120, 40)
	if n := comparePanesPerLine(v, "╮", "┓"); n != 3 {
		t.Errorf("%d pane tops on a line, want 3:\n%s", n, v)
	}
	// Without colour glamour's notty style keeps the emphasis marks as
	// text; lists get bullets.
	if strings.Count(v, "A heading") != 3 || strings.Count(v, "• one") != 3 {
		t.Errorf("markdown not rendered in the three panes:\n%s", v)
	}
	for _, leak := range []string{"alpha", "beta", "model-"} {
		if strings.Contains(v, leak) {
			t.Errorf("view names %q before the decision", leak)
		}
	}
	// The next items were generated while this one waited.
	for _, pos := range s.q.upcoming(s.cur, 3) {
		if next := s.items[s.q.items[pos].key()]; next == nil || !next.complete() {
			t.Errorf("item %d not prefetched", pos)
		}
	}
	if n := f.requests.Load(); n != 12 {
		t.Errorf("%d requests, want 12 (this item and 3 prefetched, 3 panes each)", n)
	}
	hs.Press("3")
	ls := compareAllLabels(t, db)
	if len(ls) != 1 || ls[0].Verdict != "c" || len(ls[0].Candidates) != 3 {
		t.Fatalf("labels: %+v", ls)
	}
	slots := []int{}
	for i, c := range ls[0].Candidates {
		slots = append(slots, c.Slot)
		sp := spec.Candidates[c.Slot]
		if c.Backend != sp.Backend || c.Condition != sp.Condition || c.Model != "model-"+sp.Backend || c.Replay != "" || c.Pane != store.PaneLetter(i) {
			t.Errorf("candidate %+v for spec %+v", c, sp)
		}
	}
	if !slices.Equal(slices.Sorted(slices.Values(slots)), []int{0, 1, 2}) {
		t.Errorf("slots %v", slots)
	}
	if v := hs.View(); !strings.Contains(v, "saved c best") || strings.Contains(v, "alpha") || strings.Contains(v, "beta") {
		t.Errorf("names revealed with reveal never, or nothing saved:\n%s", v)
	}
	// The next item was prefetched: no new request for it.
	if n := f.requests.Load(); n > 15 {
		t.Errorf("%d requests after moving on", n)
	}
	if it := s.current(); it == nil || !it.complete() {
		t.Errorf("the next item is not ready at once")
	}
}

func TestCompareBackendErrorShowsInItsPane(t *testing.T) {
	db := storetest.DemoDB(t)
	bad := newCompareFakeServer(t, func(w http.ResponseWriter, r *http.Request, model string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, `{"error":{"message":"the GPU caught fire","type":"server_error","code":500}}`)
	})
	good := newCompareFakeServer(t, func(w http.ResponseWriter, r *http.Request, model string) {
		compareSSE(w, model, "A fine answer.")
	})
	e := engine.New(db, engine.Config{MaxAttempts: 1, Backends: []engine.BackendConfig{
		compareGenerator("broken", bad.srv.URL, "model-broken"), compareGenerator("good", good.srv.URL, "model-good")}}, engine.Options{})
	t.Cleanup(e.Close)
	spec, err := screen.ParseCompare("broken:none,good:none", e, false)
	if err != nil {
		t.Fatal(err)
	}
	hs, s := openCompare(t, uitest.Options{DB: db, Engine: e, Compare: spec}, 120, 40)
	v := hs.View()
	if !strings.Contains(v, "error:") || !strings.Contains(v, "500") || !strings.Contains(v, "failed") || !strings.Contains(v, "A fine answer.") {
		t.Errorf("the error is not in its pane:\n%s", v)
	}
	if strings.Contains(v, "broken") || strings.Contains(v, "model-broken") {
		t.Errorf("the error message names the backend:\n%s", v)
	}
	hs.Press("1")
	if len(compareAllLabels(t, db)) != 0 || !strings.Contains(hs.View(), "failed: r regenerates") {
		t.Errorf("decided with a failed pane:\n%s", hs.View())
	}
	// Regenerate the failed pane: asks again.
	badPane := 0
	for i, p := range s.current().panes {
		if p.err != nil {
			badPane = i
		}
	}
	for s.focus != badPane {
		hs.Press("tab")
	}
	n := bad.requests.Load()
	hs.Press("r")
	if bad.requests.Load() != n+1 || s.current().panes[badPane].err == nil {
		t.Errorf("r: %d requests (was %d)", bad.requests.Load(), n)
	}
	first := compareCurrentItem(s)
	hs.Press("s")
	ls := compareAllLabels(t, db)
	if len(ls) != 1 || ls[0].Verdict != store.VerdictSkip || len(ls[0].Candidates) != 2 || compareCurrentItem(s) == first {
		t.Errorf("skip with a failed pane: %+v", ls)
	}
}

func TestCompareEscapeSequencesInAnswersNeverReachTheView(t *testing.T) {
	db := storetest.DemoDB(t)
	evil := []string{"Hello \x1b[2J", "world \x1b]52;c;eA==\x07 and ", "\u009b31mred\u009b0m ", "# Title \x1b[31m\n\n- item\x1bP1$r\x1b\\"}
	f := newCompareFakeServer(t, func(w http.ResponseWriter, r *http.Request, model string) {
		compareSSE(w, model, evil...)
	})
	e := engine.New(db, engine.Config{MaxAttempts: 1, Backends: []engine.BackendConfig{compareGenerator("evil", f.srv.URL, "m")}}, engine.Options{})
	t.Cleanup(e.Close)
	spec, err := screen.ParseCompare("evil:none,evil:raw", e, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range [][2]int{{120, 40}, {80, 24}} {
		hs, s := openCompare(t, uitest.Options{DB: db, Engine: e, Compare: spec}, size[0], size[1])
		if !s.current().complete() {
			t.Fatal("answers not in")
		}
		v := hs.View()
		if !strings.Contains(v, "Hello") || !strings.Contains(v, "red") {
			t.Errorf("answer not shown:\n%s", v)
		}
		// Colour is off: nothing at all may be an escape or a control.
		for _, bad := range []string{"\x1b", "\u009b", "\x07", "\u0090", "[2J", "]52;", "31m"} {
			if strings.Contains(v, bad) {
				t.Errorf("%dx%d: view contains %q:\n%q", size[0], size[1], bad, v)
			}
		}
		hs.Press("q")
	}
}

// A stream in progress shows as it comes; leaving the screen cancels it
// and every command of the screen returns.
func TestCompareStreamsAndCloseCancels(t *testing.T) {
	db := storetest.DemoDB(t)
	release := make(chan struct{})
	f := newCompareFakeServer(t, func(w http.ResponseWriter, r *http.Request, model string) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprintf(w, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":%q,\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Partial answer so far\"},\"finish_reason\":null}]}\n\n", model)
		w.(http.Flusher).Flush()
		select { // stall until the client hangs up
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) })
	e := engine.New(db, engine.Config{MaxAttempts: 1, Backends: []engine.BackendConfig{compareGenerator("slow", f.srv.URL, "m")}}, engine.Options{})
	t.Cleanup(e.Close)
	spec, err := screen.ParseCompare("slow:none,slow:raw", e, false)
	if err != nil {
		t.Fatal(err)
	}
	hs := uitest.New(t, 120, 40, uitest.Options{DB: db, Engine: e, Compare: spec, Annotator: "tester"})
	hs.Push(New(hs.Ctx)) // not Open: that would wait for the stalled streams
	hs.WaitView("Partial answer so far")
	if v := hs.View(); !strings.Contains(v, "streaming…") {
		t.Fatalf("partial text not shown as streaming:\n%s", v)
	}
	hs.Send(uitest.Key("1"))
	hs.WaitView("still coming in")
	if len(compareAllLabels(t, db)) != 0 {
		t.Errorf("decided while streaming")
	}
	if hs.Running() == 0 {
		t.Fatal("nothing in flight while streaming")
	}
	hs.Send(uitest.Key("q")) // pop: Close cancels the requests
	hs.Settle()              // fails unless every command of the screen returns
}

// A decision replaced on the Decisions screen is what u takes back
// afterwards: the replacement, not the decision it replaced.
func TestCompareUndoAfterADecisionWasReplaced(t *testing.T) {
	db := storetest.DemoDB(t)
	hs, _ := openReplay(t, db, 120, 40)
	hs.Press("1")
	replaceFirst(t, hs, db, store.VerdictTie)
	hs.Press("u")
	if cur := compareCurrentLabels(t, db); len(cur) != 0 {
		t.Errorf("after u, current decisions: %+v (the replacement was not taken back)", cur)
	}
}
