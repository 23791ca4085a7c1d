package user

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
	"github.com/popi-tui/popi-tui/ui/screen"
	"github.com/popi-tui/popi-tui/ui/uitest"
)

// editOf opens the User screen of user and then its Edit screen.
func editOf(t *testing.T, env *uitest.Env, user string) (*Screen, *Edit) {
	t.Helper()
	us := open(env, user)
	env.Press("e")
	es, ok := env.Top().(*Edit)
	if !ok {
		t.Fatalf("e opened %T, want the Edit screen", env.Top())
	}
	return us, es
}

func TestEditSaveMakesHumanVersion(t *testing.T) {
	st := uitest.New(t, 100, 30, uitest.Options{})
	v1 := storetest.AddSummary(t, st.DB, store.Summary{User: "terse-tom", Source: store.SourceHeuristic, Text: "Wants short answers.",
		HistoryTokens: 800, SummaryTokens: 5, TokensEstimated: true})
	us, es := editOf(t, st, "terse-tom")
	uitest.WantIn(t, st.View(), "Edit summary", "from v1 by heuristic", "Wants short answers.", "unchanged")
	st.Press("ctrl+end", " No greetings.")
	uitest.WantIn(t, st.View(), "modified")
	st.Press("ctrl+s")
	vs := versions(t, st, "terse-tom")
	if len(vs) != 2 {
		t.Fatalf("%d versions after ctrl+s, want 2", len(vs))
	}
	v2 := vs[1]
	if v2.Version != 2 || v2.Source != store.SourceHuman || v2.Parent != v1.Version || v2.Text != "Wants short answers. No greetings." {
		t.Errorf("saved %+v, want v2 by human from v1 with the edited text", v2)
	}
	if v2.HistoryTokens != 800 || v2.SummaryTokens == 0 || !v2.TokensEstimated {
		t.Errorf("saved counts: history %d, summary %d, estimated %v", v2.HistoryTokens, v2.SummaryTokens, v2.TokensEstimated)
	}
	// Only once it was on disk did the screen go back, to a User screen
	// that shows the new version.
	if st.Top() != screen.Screen(us) || es.saving {
		t.Fatalf("after the save %T is on top (saving %v), want the User screen", st.Top(), es.saving)
	}
	uitest.WantIn(t, st.View(), "v2 of 2 · current", "human (edited from v1)", "saved v2")
}

func TestEditWithoutSummaryWritesFirstVersion(t *testing.T) {
	st := uitest.New(t, 100, 30, uitest.Options{})
	_, es := editOf(t, st, "skeptic-sam")
	if es.base.Version != 0 {
		t.Fatalf("base version %d, want none", es.base.Version)
	}
	st.Press("ctrl+s") // empty: refused
	if _, ok := st.Top().(*Edit); !ok || len(versions(t, st, "skeptic-sam")) != 0 {
		t.Fatal("an empty summary was saved")
	}
	uitest.WantIn(t, st.View(), "error: the summary is empty")
	st.Press("Wants sources for every claim.", "ctrl+s")
	vs := versions(t, st, "skeptic-sam")
	if len(vs) != 1 || vs[0].Parent != 0 || vs[0].Source != store.SourceHuman || vs[0].Text != "Wants sources for every claim." {
		t.Errorf("versions %+v, want one by human without parent", vs)
	}
}

func TestEditSaveUnchangedSavesNothing(t *testing.T) {
	st := uitest.New(t, 100, 30, uitest.Options{})
	storetest.AddSummary(t, st.DB, store.Summary{User: "terse-tom", Source: store.SourceHeuristic, Text: "Short."})
	editOf(t, st, "terse-tom")
	st.Press("ctrl+s")
	if n := len(versions(t, st, "terse-tom")); n != 1 {
		t.Errorf("%d versions after saving no change, want 1", n)
	}
	if _, ok := st.Top().(*Edit); !ok {
		t.Errorf("the screen left on an unchanged save")
	}
	uitest.WantIn(t, st.View(), "nothing changed")
}

func TestEditEscAsksBeforeDiscarding(t *testing.T) {
	st := uitest.New(t, 100, 30, uitest.Options{})
	storetest.AddSummary(t, st.DB, store.Summary{User: "terse-tom", Source: store.SourceHeuristic, Text: "Short."})
	us, es := editOf(t, st, "terse-tom")
	st.Press(" More.", "esc")
	if !st.Frame.Asking() {
		t.Fatal("esc with edits did not ask")
	}
	uitest.WantIn(t, st.View(), "Throw away your edits")
	st.Press("n")
	if st.Top() != screen.Screen(es) || es.ta.Value() != "Short. More." {
		t.Fatalf("after n: top %T, text %q; want the edits kept", st.Top(), es.ta.Value())
	}
	st.Press("esc", "y")
	if st.Top() != screen.Screen(us) {
		t.Fatalf("after y: top %T, want the User screen", st.Top())
	}
	if n := len(versions(t, st, "terse-tom")); n != 1 {
		t.Errorf("discarding saved something: %d versions", n)
	}
}

func TestEditEscUnchangedGoesBack(t *testing.T) {
	st := uitest.New(t, 100, 30, uitest.Options{})
	storetest.AddSummary(t, st.DB, store.Summary{User: "terse-tom", Source: store.SourceHeuristic, Text: "Short."})
	us, _ := editOf(t, st, "terse-tom")
	st.Press("esc")
	if st.Frame.Asking() || st.Top() != screen.Screen(us) {
		t.Errorf("esc without edits: confirm %v, top %T; want straight back", st.Frame.Asking(), st.Top())
	}
}

// ctrl+c with unsaved edits asks before they are lost; n keeps them, and
// a second ctrl+c quits.
func TestEditCtrlCAsksBeforeLosingEdits(t *testing.T) {
	st := uitest.New(t, 100, 30, uitest.Options{})
	_, es := editOf(t, st, "terse-tom")
	st.Press("Likes short answers.")
	_, cmd := st.Frame.Update(tea.KeyMsg{Type: tea.KeyCtrlC})
	if cmd != nil || !st.Frame.Asking() || !strings.Contains(st.View(), "your edits to terse-tom's summary would be lost") {
		t.Fatalf("ctrl+c with edits did not ask:\n%s", st.View())
	}
	st.Press("n")
	if st.Frame.Asking() || st.Top() != screen.Screen(es) || es.ta.Value() != "Likes short answers." {
		t.Fatalf("n: confirm %v, top %T, text %q", st.Frame.Asking(), st.Top(), es.ta.Value())
	}
	st.Frame.Update(tea.KeyMsg{Type: tea.KeyCtrlC})
	_, cmd = st.Frame.Update(tea.KeyMsg{Type: tea.KeyCtrlC})
	if cmd == nil {
		t.Fatal("a second ctrl+c did not quit")
	}
	if _, quit := cmd().(tea.QuitMsg); !quit {
		t.Error("a second ctrl+c did not quit")
	}
}

func TestEditTypingTakesProgramKeys(t *testing.T) {
	st := uitest.New(t, 100, 30, uitest.Options{})
	_, es := editOf(t, st, "terse-tom")
	st.Press("q?J")
	if st.Top() != screen.Screen(es) {
		t.Fatalf("q?J: top %T; want them typed", st.Top())
	}
	if es.ta.Value() != "q?J" {
		t.Errorf("text %q, want q?J", es.ta.Value())
	}
}

func TestEditReinferWithChosenSummarizer(t *testing.T) {
	st := uitest.New(t, 100, 30, uitest.Options{})
	v1 := storetest.AddSummary(t, st.DB, store.Summary{User: "terse-tom", Source: store.SourceHuman, Text: "Hand written."})
	_, es := editOf(t, st, "terse-tom")
	st.Press("ctrl+r")
	if !es.picking {
		t.Fatal("ctrl+r did not open the summarizer picker")
	}
	uitest.WantIn(t, st.View(), "Re-infer with which summarizer?", "› heuristic (default)")
	st.Press("esc")
	if es.picking || !es.ta.Focused() {
		t.Fatal("esc did not close the picker back to editing")
	}
	st.Press("ctrl+r", "enter")
	vs := versions(t, st, "terse-tom")
	if len(vs) != 2 || vs[1].Source != store.SourceHeuristic {
		t.Fatalf("versions %+v, want a heuristic v2", vs)
	}
	if es.base.Version != 2 || es.ta.Value() != screen.Clean(vs[1].Text) || es.changed() || es.inference != nil {
		t.Errorf("the Edit screen edits v%d (changed %v, streaming %v), want the new v2", es.base.Version, es.changed(), es.inference != nil)
	}
	uitest.WantIn(t, st.View(), "from v2 by heuristic", "editing it now")
	// Saving an edit of it now makes v3 from v2.
	st.Press("ctrl+end", "\nAnd no emoji.", "ctrl+s")
	vs = versions(t, st, "terse-tom")
	if len(vs) != 3 || vs[2].Parent != 2 || vs[2].Source != store.SourceHuman || !strings.HasSuffix(vs[2].Text, "And no emoji.") {
		t.Errorf("versions %+v, want v3 by human from v2", vs[len(vs)-1])
	}
	_ = v1
}

func TestEditReinferAsksFirstWhenChanged(t *testing.T) {
	st := uitest.New(t, 100, 30, uitest.Options{})
	storetest.AddSummary(t, st.DB, store.Summary{User: "terse-tom", Source: store.SourceHuman, Text: "Hand written."})
	_, es := editOf(t, st, "terse-tom")
	st.Press(" Edited.", "ctrl+r")
	if !st.Frame.Asking() || es.picking {
		t.Fatal("ctrl+r over unsaved edits did not ask first")
	}
	st.Press("n")
	if es.picking || es.ta.Value() != "Hand written. Edited." {
		t.Fatalf("after n: picking %v, text %q", es.picking, es.ta.Value())
	}
	st.Press("ctrl+r", "y")
	if !es.picking {
		t.Fatal("after y the picker is not open")
	}
}

func TestEditLayoutSizes(t *testing.T) {
	for _, sz := range [][2]int{{120, 40}, {80, 24}, {60, 20}} {
		st := uitest.New(t, sz[0], sz[1], uitest.Options{})
		storetest.AddSummary(t, st.DB, store.Summary{User: "terse-tom", Source: store.SourceHeuristic, Text: strings.Repeat("A long summary line that wraps. ", 20)})
		editOf(t, st, "terse-tom")
		uitest.CheckFrame(t, st.View(), sz[0], sz[1])
		st.Press("ctrl+r")
		uitest.CheckFrame(t, st.View(), sz[0], sz[1])
		st.Press("esc")
		// Resizing keeps the text and its edits.
		st.Press("ctrl+end", " Edited.")
		st.Send(tea.WindowSizeMsg{Width: 70, Height: 22})
		st.Settle()
		uitest.CheckFrame(t, st.View(), 70, 22)
		if es := st.Top().(*Edit); !strings.HasSuffix(es.ta.Value(), "Edited.") {
			t.Errorf("%v: the edit was lost on resize", sz)
		}
	}
}
