package user

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
	"github.com/popi-tui/popi-tui/ui/screen"
	"github.com/popi-tui/popi-tui/ui/uitest"
)

// open opens the User screen of id in the program's frame over the demo
// users, as enter on the Users list does.
func open(env *uitest.Env, id string) *Screen {
	s := New(env.Ctx, id)
	env.Open(s)
	return s
}

// versions is every summary version of user, oldest first.
func versions(t *testing.T, env *uitest.Env, user string) []store.Summary {
	t.Helper()
	vs, err := env.DB.Summaries(user)
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

func TestUserScreenMarksPreferredByText(t *testing.T) {
	st := uitest.New(t, 160, 200, uitest.Options{}) // tall: the whole history in view
	open(st, "terse-tom")
	v := st.View()
	// The first pair: the short answer is the one Tom preferred.
	if l := uitest.LineWith(v, "`s[::-1]`"); !strings.Contains(l, "▲ preferred") {
		t.Errorf("the chosen answer's line %q is not marked preferred", l)
	}
	if l := uitest.LineWith(v, "Great question! In Python"); !strings.Contains(l, "▽ dispreferred") {
		t.Errorf("the rejected answer's line %q is not marked dispreferred", l)
	}
	uitest.WantIn(t, v, "Profile", "Software engineer in his 40s", "• comment:", "Just give me the command.")
}

func TestUserScreenShowsHeldOutApart(t *testing.T) {
	st := uitest.New(t, 160, 200, uitest.Options{})
	open(st, "terse-tom")
	v := st.View()
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
	st := uitest.New(t, 120, 40, uitest.Options{})
	s := open(st, "terse-tom")
	const secret = "busy senior engineer"
	uitest.WantNotIn(t, st.View(), secret)
	uitest.WantIn(t, st.View(), "hidden — p shows it")
	st.Press("p")
	if !s.persona {
		t.Fatal("p did not show the persona")
	}
	uitest.WantIn(t, st.View(), secret, "never shown to the summarizer")
	// The toggle survives a resize.
	st.Send(tea.WindowSizeMsg{Width: 70, Height: 24})
	st.Settle()
	uitest.WantIn(t, st.View(), "senior engineer")
	st.Send(tea.WindowSizeMsg{Width: 120, Height: 40})
	st.Settle()
	st.Press("p")
	uitest.WantNotIn(t, st.View(), secret)
}

func TestUserScreenInferAddsHeuristicVersion(t *testing.T) {
	st := uitest.New(t, 120, 40, uitest.Options{})
	s := open(st, "terse-tom")
	st.Press("i")
	vs := versions(t, st, "terse-tom")
	if len(vs) != 1 || vs[0].Source != store.SourceHeuristic {
		t.Fatalf("versions after i: %+v, want one heuristic", vs)
	}
	if s.inference != nil || len(s.versions) != 1 {
		t.Errorf("screen: inference %v, %d versions; want finished, 1", s.inference, len(s.versions))
	}
	v := st.View()
	uitest.WantIn(t, v, "v1 of 1 · current", "heuristic", "saved v1", "×", "summary ~")
	if vs[0].TokensEstimated && !strings.Contains(v, "~") {
		t.Errorf("estimated counts are not marked ~")
	}
	// A second inference is a second version.
	st.Press("i")
	if n := len(versions(t, st, "terse-tom")); n != 2 {
		t.Errorf("%d versions after i twice, want 2", n)
	}
	uitest.WantIn(t, st.View(), "v2 of 2 · current")
}

// A summary streams into the summary pane as it comes; a retried request
// (the engine's Delta{Reset}) starts the text again; another stream's text
// changes nothing; a failed inference says so.
func TestUserScreenStreamsIntoSummaryPane(t *testing.T) {
	st := uitest.New(t, 120, 40, uitest.Options{})
	s := open(st, "terse-tom")
	deltas := make(chan engine.Delta) // each is written before the next is taken
	stream, run := screen.Start(context.Background(), func(ctx context.Context, onDelta func(engine.Delta)) (store.Summary, error) {
		for d := range deltas {
			onDelta(d)
			deltas <- engine.Delta{}
		}
		return store.Summary{}, errors.New("the summarizer stopped")
	})
	write := func(d engine.Delta) { deltas <- d; <-deltas }
	s.inference = &inference{stream: stream, backend: "fake"}
	st.Run(run) // started now: the writes below wait for it
	st.Run(stream.Read())

	write(engine.Delta{Text: "Prefers sho"})
	st.WaitView("Prefers sho")
	other, _ := screen.Start(context.Background(), func(context.Context, func(engine.Delta)) (store.Summary, error) {
		return store.Summary{}, nil
	})
	st.Send(screen.StreamMsg{Stream: other, Text: "IGNORED"})
	uitest.WantIn(t, st.View(), "Inferring with fake", "Prefers sho")
	uitest.WantNotIn(t, st.View(), "IGNORED")
	write(engine.Delta{Reset: true})
	write(engine.Delta{Text: "Wants one line."})
	st.WaitView("Wants one line.")
	uitest.WantNotIn(t, st.View(), "Prefers sho")
	close(deltas)
	st.Settle()
	if s.inference != nil {
		t.Error("still inferring after the stream ended")
	}
	uitest.WantIn(t, st.View(), "error: infer a summary of terse-tom via fake: the summarizer stopped")
}

func TestUserScreenDiffAfterEdit(t *testing.T) {
	st := uitest.New(t, 120, 60, uitest.Options{})
	v1 := storetest.AddSummary(t, st.DB, store.Summary{User: "terse-tom", Source: store.SourceHeuristic, Text: "Wants short answers.\nNo greetings."})
	s := open(st, "terse-tom")
	st.Press("d")
	uitest.WantIn(t, st.View(), "v1 is the first version")
	st.Press("d", "e")
	if _, ok := st.Top().(*Edit); !ok {
		t.Fatalf("e opened %T", st.Top())
	}
	st.Press("ctrl+end", "\nOne command is ideal.", "ctrl+s")
	if st.Top() != screen.Screen(s) {
		t.Fatalf("after saving, %T is on top, want the User screen", st.Top())
	}
	vs := versions(t, st, "terse-tom")
	if len(vs) != 2 || vs[1].Parent != v1.Version || vs[1].Source != store.SourceHuman {
		t.Fatalf("versions %+v, want v2 by human from v1", vs)
	}
	st.Press("d")
	v := st.View()
	uitest.WantIn(t, v, "Diff v1 → v2 (+1 −0 lines)", "  Wants short answers.", "  No greetings.", "+ One command is ideal.")
	// The previous version selected: its diff is against v1's nothing.
	st.Press("v", "up")
	uitest.WantIn(t, st.View(), "v1 of 2 · selected, not current", "v1 is the first version")
}

func TestUserScreenMakeCurrentAddsVersion(t *testing.T) {
	st := uitest.New(t, 120, 40, uitest.Options{})
	v1 := storetest.AddSummary(t, st.DB, store.Summary{User: "terse-tom", Source: store.SourceHeuristic, Text: "the first",
		HistoryTokens: 700, SummaryTokens: 100, TokensEstimated: true})
	storetest.AddSummary(t, st.DB, store.Summary{User: "terse-tom", Source: store.SourceHuman, Text: "the second", Parent: 1})
	s := open(st, "terse-tom")
	st.Press("m")
	if n := len(versions(t, st, "terse-tom")); n != 2 {
		t.Fatalf("m on the current version made a version (%d)", n)
	}
	st.Press("v", "up")
	if !s.choosing || s.selVersion != 1 {
		t.Fatalf("v, up: choosing %v, selected v%d; want v1", s.choosing, s.selVersion)
	}
	uitest.WantIn(t, st.View(), "v1 of 2 · selected", "the first", "×7.0")
	st.Press("m")
	vs := versions(t, st, "terse-tom")
	if len(vs) != 3 {
		t.Fatalf("%d versions after m, want 3", len(vs))
	}
	v3 := vs[2]
	if v3.Text != v1.Text || v3.Source != v1.Source || v3.Parent != 1 || v3.HistoryTokens != 700 {
		t.Errorf("v3 = %+v, want v1's text, source and counts with parent 1", v3)
	}
	uitest.WantIn(t, st.View(), "v3 of 3 · current", "v1 is current again, as v3")
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

	st := uitest.New(t, 120, 40, uitest.Options{})
	storetest.AddSummary(t, st.DB, store.Summary{User: "terse-tom", Source: store.SourceHuman, Text: "mine"})
	if _, err := st.DB.Merge(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	s := open(st, "terse-tom")
	v := st.View()
	uitest.WantIn(t, v, "v1 of 2 · current", "mine", "(current)")
	if strings.Contains(v, "bob's summary") {
		t.Errorf("the merged, not current, version is shown:\n%s", v)
	}
	st.Press("v", "down")
	if s.selVersion != 2 {
		t.Fatalf("v, down: selected v%d; want v2", s.selVersion)
	}
	uitest.WantIn(t, st.View(), "v2 of 2 · selected, not current (current is v1", "bob's summary")
	st.Press("m")
	if cur, _, err := st.DB.CurrentSummary("terse-tom"); err != nil || cur.Version != 3 || cur.Text != "bob's summary" {
		t.Fatalf("after m: current = v%d %q (%v); want v3 with bob's text", cur.Version, cur.Text, err)
	}
	uitest.WantIn(t, st.View(), "v3 of 3 · current", "v2 is current again, as v3")
}

func TestUserScreenLayout(t *testing.T) {
	t.Run("120x40 side by side", func(t *testing.T) {
		st := uitest.New(t, 120, 40, uitest.Options{})
		open(st, "terse-tom")
		v := st.View()
		if l := uitest.LineWith(v, "History"); !strings.Contains(l, "Summary") {
			t.Errorf("History and Summary are not side by side:\n%s", v)
		}
		uitest.CheckFrame(t, v, 120, 40)
	})
	t.Run("80x24 stacked with tabs", func(t *testing.T) {
		st := uitest.New(t, 80, 24, uitest.Options{})
		s := open(st, "terse-tom")
		v := st.View()
		uitest.WantIn(t, v, "[History]", "tab switches", "Profile")
		uitest.WantNotIn(t, v, "No summary yet")
		uitest.CheckFrame(t, v, 80, 24)
		st.Press("pgdown")
		if s.history.YOffset == 0 {
			t.Errorf("pgdown did not scroll the history")
		}
		st.Press("tab")
		v = st.View()
		uitest.WantIn(t, v, "[Summary]", "No summary yet")
		uitest.WantNotIn(t, v, "Profile")
		// The history kept its place while hidden, and through a resize.
		y := s.history.YOffset
		st.Send(tea.WindowSizeMsg{Width: 90, Height: 30})
		st.Settle()
		st.Press("tab")
		if s.history.YOffset == 0 || y == 0 {
			t.Errorf("history scroll lost: %d, then %d", y, s.history.YOffset)
		}
	})
	t.Run("60x20 smallest", func(t *testing.T) {
		st := uitest.New(t, 60, 20, uitest.Options{})
		open(st, "terse-tom")
		st.Press("i")
		v := st.View()
		uitest.WantIn(t, v, "History")
		uitest.CheckFrame(t, v, 60, 20)
		st.Press("tab", "d", "v")
		uitest.CheckFrame(t, st.View(), 60, 20)
		uitest.WantIn(t, st.View(), "Summary")
	})
	t.Run("mouse wheel scrolls the pane under it", func(t *testing.T) {
		st := uitest.New(t, 120, 30, uitest.Options{})
		s := open(st, "terse-tom")
		st.Send(tea.MouseMsg{X: 10, Y: 10, Action: tea.MouseActionPress, Button: tea.MouseButtonWheelDown})
		st.Settle()
		if s.history.YOffset == 0 {
			t.Errorf("the wheel over the history did not scroll it")
		}
	})
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
	st := uitest.New(t, 120, 60, uitest.Options{})
	if _, err := st.DB.Import(context.Background(), "evil.jsonl", strings.NewReader(evilRecords), store.ImportOptions{Format: store.FormatPopi}); err != nil {
		t.Fatal(err)
	}
	storetest.AddSummary(t, st.DB, store.Summary{User: "eve", Source: "srv\u001b[31m/model", Text: "one \u001b]0;x\u0007\nline \u009b2J"})
	storetest.AddSummary(t, st.DB, store.Summary{User: "eve", Source: store.SourceHuman, Parent: 1, Text: "one \u001b[31m\nline \u009b2J\nmore\u0007"})
	open(st, "eve")
	check := func(what string) {
		t.Helper()
		v := st.View()
		if r, ok := controlFree(v); !ok {
			t.Fatalf("%s: the view holds control character %U:\n%q", what, r, v)
		}
	}
	check("open")
	uitest.WantIn(t, st.View(), "plain red profile", "chosen  red", "rejected  clear", "held  out", "▲ preferred")
	st.Press("p")
	check("persona")
	uitest.WantIn(t, st.View(), "secret persona")
	st.Press("d")
	check("diff")
	st.Press("v", "up")
	check("versions")
	st.Press("esc", "tab", "i")
	check("inferred")
	st.Send(tea.WindowSizeMsg{Width: 60, Height: 20})
	st.Settle()
	check("small")
	st.Press("e")
	check("edit")
	st.Press("ctrl+r")
	check("picker")
}

// An AlignX comment shows the post it answered; a profile says where it
// came from (demographics apart from the rest).
func TestUserScreenShowsPostsAndProfileSources(t *testing.T) {
	db := storetest.Open(t)
	storetest.Import(t, db, `{"user":"zed","kind":"text","id":"t1","text":"Tabs, always.","source":"comment","post":"Tabs or spaces?"}
{"user":"zed","kind":"text","id":"t2","text":"I wrote a parser this weekend."}
{"user":"zed","kind":"profile","id":"demographics","text":"Age: 30s; Country: NZ"}
{"user":"zed","kind":"profile","id":"p2","text":"Prefers blunt answers."}
`)
	env := uitest.New(t, 120, 60, uitest.Options{DB: db})
	open(env, "zed")
	v := env.View()
	uitest.WantIn(t, v, "• comment: Tabs, always.", "↳ in reply to Tabs or spaces?", "• I wrote a parser this weekend.",
		"• demographics: Age: 30s; Country: NZ", "  Prefers blunt answers.")
	if i, j := strings.Index(v, "Tabs, always."), strings.Index(v, "Tabs or spaces?"); i < 0 || j < i {
		t.Errorf("the post is not under its comment:\n%s", v)
	}
}

// The history's answers are Markdown, rendered as Compare renders them.
func TestUserScreenRendersAnswersAsMarkdown(t *testing.T) {
	db := storetest.Open(t)
	storetest.Import(t, db, `{"user":"zed","kind":"pair","prompt":"Steps?","chosen":"## Plan\n\n- first item\n- second item","rejected":"Just **do** it."}
`)
	env := uitest.New(t, 120, 40, uitest.Options{DB: db})
	open(env, "zed")
	v := env.View()
	uitest.WantIn(t, v, "• first item", "• second item")
	uitest.WantNotIn(t, v, "- first item")
}

// The summary pane names the wording a version was asked with: the
// template set's version since there are sets, the old template's number
// before them.
func TestTemplateText(t *testing.T) {
	tests := []struct {
		name string
		s    store.Summary
		want string
	}{
		{"a template set", store.Summary{TemplateSet: "popi-1"}, "popi-1"},
		{"a set's file hash, with a control character", store.Summary{TemplateSet: "sha256:ab\x1b[2Jcd"}, "sha256:abcd"},
		{"before template sets", store.Summary{TemplateVersion: 1}, "v1"},
		{"written by hand", store.Summary{Source: store.SourceHuman}, "—"},
	}
	for _, tt := range tests {
		if got := templateText(tt.s); got != tt.want {
			t.Errorf("%s: templateText = %q, want %q", tt.name, got, tt.want)
		}
	}
}
