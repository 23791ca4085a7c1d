package ui

import (
	"context"
	"io"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/themes"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// screenTest drives the real root model over a fresh demo database, as
// the program would: messages go through App.Update and the commands they
// return are run and their messages fed back.
type screenTest struct {
	t   *testing.T
	app *App
	db  *store.DB
}

func newScreenTest(t *testing.T, w, h int) *screenTest {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "popi.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.LoadDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	theme, err := themes.Lookup("dark")
	if err != nil {
		t.Fatal(err)
	}
	app := NewApp(Options{DB: db, Engine: engine.New(db, engine.Config{}, engine.Options{}), Annotator: "tester",
		Theme: theme, NoColor: true, Output: io.Discard})
	t.Cleanup(app.shutdown)
	st := &screenTest{t: t, app: app, db: db}
	st.run(app.Init())
	st.send(tea.WindowSizeMsg{Width: w, Height: h})
	return st
}

// idleWait is how long the runner waits for a command before taking it
// for a timer (a cursor blink is 530 ms): real work here is offline and
// answers in milliseconds.
const idleWait = 400 * time.Millisecond

// send feeds msg to the app and runs what follows.
func (st *screenTest) send(msg tea.Msg) {
	st.t.Helper()
	st.drive(func() tea.Msg { return msg })
}

// run runs a command and what follows from it.
func (st *screenTest) run(cmd tea.Cmd) {
	st.t.Helper()
	st.drive(cmd)
}

// drive runs commands concurrently, as Bubble Tea does, feeding their
// messages into the app one at a time; it follows batches and sequences,
// drops the cursor's blink messages, and returns once nothing is pending
// or only timers are.
func (st *screenTest) drive(first tea.Cmd) {
	st.t.Helper()
	results := make(chan tea.Msg, 1024)
	pending, fed := 0, 0
	spawn := func(cmd tea.Cmd) {
		if cmd != nil {
			pending++
			go func() { results <- cmd() }()
		}
	}
	cmdSlice := reflect.TypeOf([]tea.Cmd(nil))
	var feed func(msg tea.Msg)
	feed = func(msg tea.Msg) {
		if fed++; fed > 1000 {
			st.t.Fatalf("more than 1000 messages: a command loop?")
		}
		switch m := msg.(type) {
		case nil, tea.QuitMsg:
			return
		case tea.BatchMsg:
			for _, c := range m {
				spawn(c)
			}
			return
		}
		v := reflect.ValueOf(msg)
		if v.Kind() == reflect.Slice && v.Type().ConvertibleTo(cmdSlice) {
			// tea.Sequence: in order, each message handled before the next runs.
			for _, c := range v.Convert(cmdSlice).Interface().([]tea.Cmd) {
				if c == nil {
					continue
				}
				got := make(chan tea.Msg, 1)
				go func() { got <- c() }()
				select {
				case m := <-got:
					feed(m)
				case <-time.After(idleWait):
				}
			}
			return
		}
		if strings.HasSuffix(reflect.TypeOf(msg).PkgPath(), "bubbles/cursor") {
			return // blinking
		}
		_, cmd := st.app.Update(msg)
		spawn(cmd)
	}
	spawn(first)
	for pending > 0 {
		select {
		case m := <-results:
			pending--
			feed(m)
		case <-time.After(idleWait):
			return
		}
	}
}

// keys presses keys: names such as "enter", "ctrl+s", or text.
func (st *screenTest) keys(keys ...string) {
	st.t.Helper()
	named := map[string]tea.KeyType{"enter": tea.KeyEnter, "esc": tea.KeyEsc, "tab": tea.KeyTab, "up": tea.KeyUp,
		"down": tea.KeyDown, "pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown, "home": tea.KeyHome, "end": tea.KeyEnd,
		"ctrl+s": tea.KeyCtrlS, "ctrl+r": tea.KeyCtrlR, "ctrl+end": tea.KeyCtrlEnd}
	for _, k := range keys {
		if t, ok := named[k]; ok {
			st.send(tea.KeyMsg{Type: t})
			continue
		}
		// Text arrives as one message, as a paste or fast typing does;
		// each line break is enter.
		for i, ln := range strings.Split(k, "\n") {
			if i > 0 {
				st.send(tea.KeyMsg{Type: tea.KeyEnter})
			}
			if ln != "" {
				st.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(ln)})
			}
		}
	}
}

// open pushes the User screen of id, as enter on the Users list does.
func (st *screenTest) open(id string) *userScreen {
	st.t.Helper()
	s := newUserScreen(st.app.ctx, id)
	st.app.ctx.Push(s)
	st.run(st.app.navigate())
	if st.app.top() != screen.Screen(s) {
		st.t.Fatalf("top screen is %T, want the User screen", st.app.top())
	}
	return s
}

func (st *screenTest) view() string { return st.app.View() }

func (st *screenTest) versions(user string) []store.Summary {
	st.t.Helper()
	vs, err := st.db.Summaries(user)
	if err != nil {
		st.t.Fatal(err)
	}
	return vs
}

func (st *screenTest) addSummary(sum store.Summary) store.Summary {
	st.t.Helper()
	sum, err := st.db.AddSummary(sum)
	if err != nil {
		st.t.Fatal(err)
	}
	return sum
}

// wantIn and wantNotIn check the view for texts.
func wantIn(t *testing.T, view string, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if !strings.Contains(view, s) {
			t.Errorf("view lacks %q:\n%s", s, view)
		}
	}
}

func wantNotIn(t *testing.T, view string, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(view, s) {
			t.Errorf("view has %q:\n%s", s, view)
		}
	}
}

// lineWith is the first line of view that contains s.
func lineWith(view, s string) string {
	for _, l := range strings.Split(view, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

func TestUserScreenOpensFromUsersList(t *testing.T) {
	st := newScreenTest(t, 120, 40)
	st.keys("enter") // the first user in id order
	s, ok := st.app.top().(*userScreen)
	if !ok || s.user != "beginner-bea" || !s.loaded {
		t.Fatalf("top screen %T %+v, want beginner-bea's User screen, loaded", st.app.top(), s)
	}
	wantIn(t, st.view(), "beginner-bea", "History", "Summary", "No summary yet")
	st.keys("q")
	if _, ok := st.app.top().(*usersScreen); !ok {
		t.Errorf("q left %T on top, want the Users screen", st.app.top())
	}
}

func TestUserScreenMarksPreferredByText(t *testing.T) {
	st := newScreenTest(t, 160, 200) // tall: the whole history in view
	st.open("terse-tom")
	v := st.view()
	// The first pair: the short answer is the one Tom preferred.
	if l := lineWith(v, "`s[::-1]`"); !strings.Contains(l, "▲ preferred") {
		t.Errorf("the chosen answer's line %q is not marked preferred", l)
	}
	if l := lineWith(v, "Great question! In Python"); !strings.Contains(l, "▽ dispreferred") {
		t.Errorf("the rejected answer's line %q is not marked dispreferred", l)
	}
	wantIn(t, v, "Profile", "Software engineer in his 40s", "• comment:", "Just give me the command.")
}

func TestUserScreenShowsHeldOutApart(t *testing.T) {
	st := newScreenTest(t, 160, 200)
	st.open("terse-tom")
	v := st.view()
	hist := strings.Index(v, "History — ")
	held := strings.Index(v, "Held out — 1 pair, never shown to the summarizer")
	if hist < 0 || held < 0 || held < hist {
		t.Fatalf("want the history section, then the held-out one apart:\n%s", v)
	}
	// Every held-out pair is numbered H…, after the held-out heading.
	if h1 := strings.Index(v, "H1."); h1 < held {
		t.Errorf("held-out pair H1 at %d, heading at %d", h1, held)
	}
	if strings.Contains(v[hist:held], "H1.") {
		t.Errorf("a held-out pair is listed with the history")
	}
}

func TestUserScreenPersonaHiddenUntilP(t *testing.T) {
	st := newScreenTest(t, 120, 40)
	s := st.open("terse-tom")
	const secret = "busy senior engineer"
	wantNotIn(t, st.view(), secret)
	wantIn(t, st.view(), "hidden — p shows it")
	st.keys("p")
	if !s.persona {
		t.Fatal("p did not show the persona")
	}
	wantIn(t, st.view(), secret, "never shown to the summarizer")
	// The toggle survives a resize.
	st.send(tea.WindowSizeMsg{Width: 70, Height: 24})
	wantIn(t, st.view(), "senior engineer")
	st.send(tea.WindowSizeMsg{Width: 120, Height: 40})
	st.keys("p")
	wantNotIn(t, st.view(), secret)
}

func TestUserScreenInferAddsHeuristicVersion(t *testing.T) {
	st := newScreenTest(t, 120, 40)
	s := st.open("terse-tom")
	st.keys("i")
	vs := st.versions("terse-tom")
	if len(vs) != 1 || vs[0].Source != store.SourceHeuristic {
		t.Fatalf("versions after i: %+v, want one heuristic", vs)
	}
	if s.inference != nil || len(s.versions) != 1 {
		t.Errorf("screen: inference %v, %d versions; want finished, 1", s.inference, len(s.versions))
	}
	v := st.view()
	wantIn(t, v, "v1 of 1 · current", "heuristic", "saved v1", "×", "summary ~")
	if vs[0].TokensEstimated && !strings.Contains(v, "~") {
		t.Errorf("estimated counts are not marked ~")
	}
	// A second inference is a second version.
	st.keys("i")
	if n := len(st.versions("terse-tom")); n != 2 {
		t.Errorf("%d versions after i twice, want 2", n)
	}
	wantIn(t, st.view(), "v2 of 2 · current")
}

// TestUserScreenStreamsIntoSummaryPane checks the stream messages alone:
// deltas append, a reset starts the text again, and a message of another
// stream changes nothing.
func TestUserScreenStreamsIntoSummaryPane(t *testing.T) {
	st := newScreenTest(t, 120, 40)
	s := st.open("terse-tom")
	idle := func(ctx context.Context, onDelta func(engine.Delta)) (store.Summary, error) {
		return store.Summary{}, nil
	}
	stream, _ := screen.Start(context.Background(), idle)
	other, _ := screen.Start(context.Background(), idle)
	s.inference = &inference{stream: stream, backend: "fake"}
	s.Update(screen.StreamMsg{Stream: stream, Text: "Prefers sho"})
	s.Update(screen.StreamMsg{Stream: other, Text: "IGNORED"})
	wantIn(t, st.view(), "Inferring with fake", "Prefers sho")
	wantNotIn(t, st.view(), "IGNORED")
	// A retried request starts the text again (the stream clears it).
	s.Update(screen.StreamMsg{Stream: stream, Text: "Wants one line."})
	wantIn(t, st.view(), "Wants one line.")
	wantNotIn(t, st.view(), "Prefers sho")
	s.Close()
}

func TestUserScreenDiffAfterEdit(t *testing.T) {
	st := newScreenTest(t, 120, 60)
	v1 := st.addSummary(store.Summary{User: "terse-tom", Source: store.SourceHeuristic, Text: "Wants short answers.\nNo greetings."})
	s := st.open("terse-tom")
	st.keys("d")
	wantIn(t, st.view(), "v1 is the first version")
	st.keys("d", "e")
	if _, ok := st.app.top().(*editScreen); !ok {
		t.Fatalf("e opened %T", st.app.top())
	}
	st.keys("ctrl+end", "\nOne command is ideal.", "ctrl+s")
	if st.app.top() != screen.Screen(s) {
		t.Fatalf("after saving, %T is on top, want the User screen", st.app.top())
	}
	vs := st.versions("terse-tom")
	if len(vs) != 2 || vs[1].Parent != v1.Version || vs[1].Source != store.SourceHuman {
		t.Fatalf("versions %+v, want v2 by human from v1", vs)
	}
	st.keys("d")
	v := st.view()
	wantIn(t, v, "Diff v1 → v2 (+1 −0 lines)", "  Wants short answers.", "  No greetings.", "+ One command is ideal.")
	// The previous version selected: its diff is against v1's nothing.
	st.keys("v", "up")
	wantIn(t, st.view(), "v1 of 2 · selected, not current", "v1 is the first version")
}

func TestUserScreenMakeCurrentAddsVersion(t *testing.T) {
	st := newScreenTest(t, 120, 40)
	v1 := st.addSummary(store.Summary{User: "terse-tom", Source: store.SourceHeuristic, Text: "the first",
		HistoryTokens: 700, SummaryTokens: 100, TokensEstimated: true})
	st.addSummary(store.Summary{User: "terse-tom", Source: store.SourceHuman, Text: "the second", Parent: 1})
	s := st.open("terse-tom")
	st.keys("m")
	if n := len(st.versions("terse-tom")); n != 2 {
		t.Fatalf("m on the current version made a version (%d)", n)
	}
	st.keys("v", "up")
	if !s.choosing || s.selVersion != 1 {
		t.Fatalf("v, up: choosing %v, selected v%d; want v1", s.choosing, s.selVersion)
	}
	wantIn(t, st.view(), "v1 of 2 · selected", "the first", "×7.0")
	st.keys("m")
	vs := st.versions("terse-tom")
	if len(vs) != 3 {
		t.Fatalf("%d versions after m, want 3", len(vs))
	}
	v3 := vs[2]
	if v3.Text != v1.Text || v3.Source != v1.Source || v3.Parent != 1 || v3.HistoryTokens != 700 {
		t.Errorf("v3 = %+v, want v1's text, source and counts with parent 1", v3)
	}
	wantIn(t, st.view(), "v3 of 3 · current", "v1 is current again, as v3")
}

// After a merge brought another annotator's versions in after this
// database's, the current version is not the newest: the screen says
// which is current, and m makes the newest current as a new version.
func TestUserScreenCurrentIsNotTheNewestAfterAMerge(t *testing.T) {
	other := filepath.Join(t.TempDir(), "bob.db")
	bob, err := store.Open(other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.LoadDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.AddSummary(store.Summary{User: "terse-tom", Source: store.SourceHuman, Text: "bob's summary"}); err != nil {
		t.Fatal(err)
	}
	bob.Close()

	st := newScreenTest(t, 120, 40)
	st.addSummary(store.Summary{User: "terse-tom", Source: store.SourceHuman, Text: "mine"})
	if _, err := st.db.Merge(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	s := st.open("terse-tom")
	v := st.view()
	wantIn(t, v, "v1 of 2 · current", "mine", "(current)")
	if strings.Contains(v, "bob's summary") {
		t.Errorf("the merged, not current, version is shown:\n%s", v)
	}
	st.keys("v", "down")
	if s.selVersion != 2 {
		t.Fatalf("v, down: selected v%d; want v2", s.selVersion)
	}
	wantIn(t, st.view(), "v2 of 2 · selected, not current (current is v1", "bob's summary")
	st.keys("m")
	if cur, _, err := st.db.CurrentSummary("terse-tom"); err != nil || cur.Version != 3 || cur.Text != "bob's summary" {
		t.Fatalf("after m: current = v%d %q (%v); want v3 with bob's text", cur.Version, cur.Text, err)
	}
	wantIn(t, st.view(), "v3 of 3 · current", "v2 is current again, as v3")
}

func TestUserScreenLayout(t *testing.T) {
	t.Run("120x40 side by side", func(t *testing.T) {
		st := newScreenTest(t, 120, 40)
		st.open("terse-tom")
		v := st.view()
		if l := lineWith(v, "History"); !strings.Contains(l, "Summary") {
			t.Errorf("History and Summary are not side by side:\n%s", v)
		}
		checkFrame(t, v, 120, 40)
	})
	t.Run("80x24 stacked with tabs", func(t *testing.T) {
		st := newScreenTest(t, 80, 24)
		s := st.open("terse-tom")
		v := st.view()
		wantIn(t, v, "[History]", "tab switches", "Profile")
		wantNotIn(t, v, "No summary yet")
		checkFrame(t, v, 80, 24)
		st.keys("pgdown")
		if s.history.YOffset == 0 {
			t.Errorf("pgdown did not scroll the history")
		}
		st.keys("tab")
		v = st.view()
		wantIn(t, v, "[Summary]", "No summary yet")
		wantNotIn(t, v, "Profile")
		// The history kept its place while hidden, and through a resize.
		y := s.history.YOffset
		st.send(tea.WindowSizeMsg{Width: 90, Height: 30})
		st.keys("tab")
		if s.history.YOffset == 0 || y == 0 {
			t.Errorf("history scroll lost: %d, then %d", y, s.history.YOffset)
		}
	})
	t.Run("60x20 smallest", func(t *testing.T) {
		st := newScreenTest(t, 60, 20)
		st.open("terse-tom")
		st.keys("i")
		v := st.view()
		wantIn(t, v, "History")
		checkFrame(t, v, 60, 20)
		st.keys("tab", "d", "v")
		checkFrame(t, st.view(), 60, 20)
		wantIn(t, st.view(), "Summary")
	})
	t.Run("mouse wheel scrolls the pane under it", func(t *testing.T) {
		st := newScreenTest(t, 120, 30)
		s := st.open("terse-tom")
		st.send(tea.MouseMsg{X: 10, Y: 10, Action: tea.MouseActionPress, Button: tea.MouseButtonWheelDown})
		if s.history.YOffset == 0 {
			t.Errorf("the wheel over the history did not scroll it")
		}
	})
}

// checkFrame checks that the view fills the terminal exactly.
func checkFrame(t *testing.T, v string, w, h int) {
	t.Helper()
	lines := strings.Split(v, "\n")
	if len(lines) != h {
		t.Errorf("%d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if n := ansi.StringWidth(l); n > w {
			t.Errorf("line %d is %d cells wide, more than %d: %q", i, n, w, l)
		}
	}
}

// evilRecords is a history laced with escape sequences: colour, a window
// title (OSC), an 8-bit CSI clearing the screen, a bell, a DCS.
const evilRecords = `{"user":"eve","kind":"profile","text":"plain \u001b[31mred\u001b[0m profile"}
{"user":"eve","kind":"persona","text":"secret \u001b]0;x\u0007persona"}
{"user":"eve","kind":"text","source":"co\u001b[2Jmment","text":"text \u009b2J with\u0007 bell"}
{"user":"eve","kind":"pair","prompt":"prompt \u001b]0;x\u0007 here","chosen":"chosen \u001b[31m red","rejected":"rejected \u009b2J clear"}
{"user":"eve","kind":"pair","split":"heldout","prompt":"held \u001bP1;2q\u001b\\ out","chosen":"c \u009b1m","rejected":"r \u001b[1m"}
{"user":"eve","kind":"task","prompt":"task \u001b[H\u001b[2J"}
`

// controlFree reports the first escape, C0 (but newline) or C1 character
// in s.
func controlFree(s string) (rune, bool) {
	for _, r := range s {
		if (r < 0x20 && r != '\n') || (r >= 0x7f && r < 0xa0) {
			return r, false
		}
	}
	return 0, true
}

func TestUserScreenEscapeSequencesNeverReachTheView(t *testing.T) {
	st := newScreenTest(t, 120, 60)
	if _, err := st.db.Import(context.Background(), "evil.jsonl", strings.NewReader(evilRecords), store.ImportOptions{Format: store.FormatPopi}); err != nil {
		t.Fatal(err)
	}
	st.addSummary(store.Summary{User: "eve", Source: "srv\u001b[31m/model", Text: "one \u001b]0;x\u0007\nline \u009b2J"})
	st.addSummary(store.Summary{User: "eve", Source: store.SourceHuman, Parent: 1, Text: "one \u001b[31m\nline \u009b2J\nmore\u0007"})
	st.open("eve")
	check := func(what string) {
		t.Helper()
		v := st.view()
		if r, ok := controlFree(v); !ok {
			t.Fatalf("%s: the view holds control character %U:\n%q", what, r, v)
		}
	}
	check("open")
	wantIn(t, st.view(), "plain red profile", "chosen  red", "rejected  clear", "held  out", "▲ preferred")
	st.keys("p")
	check("persona")
	wantIn(t, st.view(), "secret persona")
	st.keys("d")
	check("diff")
	st.keys("v", "up")
	check("versions")
	st.keys("esc", "tab", "i")
	check("inferred")
	st.send(tea.WindowSizeMsg{Width: 60, Height: 20})
	check("small")
	st.keys("e")
	check("edit")
	st.keys("ctrl+r")
	check("picker")
}
