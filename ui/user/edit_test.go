package ui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// editOf opens the User screen of user and then its Edit screen.
func (st *screenTest) editOf(user string) (*userScreen, *editScreen) {
	st.t.Helper()
	us := st.open(user)
	st.keys("e")
	es, ok := st.app.top().(*editScreen)
	if !ok {
		st.t.Fatalf("e opened %T, want the Edit screen", st.app.top())
	}
	return us, es
}

func TestEditSaveMakesHumanVersion(t *testing.T) {
	st := newScreenTest(t, 100, 30)
	v1 := st.addSummary(store.Summary{User: "terse-tom", Source: store.SourceHeuristic, Text: "Wants short answers.",
		HistoryTokens: 800, SummaryTokens: 5, TokensEstimated: true})
	us, es := st.editOf("terse-tom")
	wantIn(t, st.view(), "Edit summary", "from v1 by heuristic", "Wants short answers.", "unchanged")
	st.keys("ctrl+end", " No greetings.")
	wantIn(t, st.view(), "modified")
	st.keys("ctrl+s")
	vs := st.versions("terse-tom")
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
	if st.app.top() != screen.Screen(us) || es.saving {
		t.Fatalf("after the save %T is on top (saving %v), want the User screen", st.app.top(), es.saving)
	}
	wantIn(t, st.view(), "v2 of 2 · current", "human (edited from v1)", "saved v2")
}

func TestEditWithoutSummaryWritesFirstVersion(t *testing.T) {
	st := newScreenTest(t, 100, 30)
	_, es := st.editOf("skeptic-sam")
	if es.base.Version != 0 {
		t.Fatalf("base version %d, want none", es.base.Version)
	}
	st.keys("ctrl+s") // empty: refused
	if _, ok := st.app.top().(*editScreen); !ok || len(st.versions("skeptic-sam")) != 0 {
		t.Fatal("an empty summary was saved")
	}
	wantIn(t, st.view(), "error: the summary is empty")
	st.keys("Wants sources for every claim.", "ctrl+s")
	vs := st.versions("skeptic-sam")
	if len(vs) != 1 || vs[0].Parent != 0 || vs[0].Source != store.SourceHuman || vs[0].Text != "Wants sources for every claim." {
		t.Errorf("versions %+v, want one by human without parent", vs)
	}
}

func TestEditSaveUnchangedSavesNothing(t *testing.T) {
	st := newScreenTest(t, 100, 30)
	st.addSummary(store.Summary{User: "terse-tom", Source: store.SourceHeuristic, Text: "Short."})
	st.editOf("terse-tom")
	st.keys("ctrl+s")
	if n := len(st.versions("terse-tom")); n != 1 {
		t.Errorf("%d versions after saving no change, want 1", n)
	}
	if _, ok := st.app.top().(*editScreen); !ok {
		t.Errorf("the screen left on an unchanged save")
	}
	wantIn(t, st.view(), "nothing changed")
}

func TestEditEscAsksBeforeDiscarding(t *testing.T) {
	st := newScreenTest(t, 100, 30)
	st.addSummary(store.Summary{User: "terse-tom", Source: store.SourceHeuristic, Text: "Short."})
	us, es := st.editOf("terse-tom")
	st.keys(" More.", "esc")
	if st.app.confirm == nil {
		t.Fatal("esc with edits did not ask")
	}
	wantIn(t, st.view(), "Throw away your edits")
	st.keys("n")
	if st.app.top() != screen.Screen(es) || es.ta.Value() != "Short. More." {
		t.Fatalf("after n: top %T, text %q; want the edits kept", st.app.top(), es.ta.Value())
	}
	st.keys("esc", "y")
	if st.app.top() != screen.Screen(us) {
		t.Fatalf("after y: top %T, want the User screen", st.app.top())
	}
	if n := len(st.versions("terse-tom")); n != 1 {
		t.Errorf("discarding saved something: %d versions", n)
	}
}

func TestEditEscUnchangedGoesBack(t *testing.T) {
	st := newScreenTest(t, 100, 30)
	st.addSummary(store.Summary{User: "terse-tom", Source: store.SourceHeuristic, Text: "Short."})
	us, _ := st.editOf("terse-tom")
	st.keys("esc")
	if st.app.confirm != nil || st.app.top() != screen.Screen(us) {
		t.Errorf("esc without edits: confirm %v, top %T; want straight back", st.app.confirm, st.app.top())
	}
}

// ctrl+c with unsaved edits asks before they are lost; n keeps them, and
// a second ctrl+c quits.
func TestEditCtrlCAsksBeforeLosingEdits(t *testing.T) {
	st := newScreenTest(t, 100, 30)
	_, es := st.editOf("terse-tom")
	st.keys("Likes short answers.")
	_, cmd := st.app.Update(tea.KeyMsg{Type: tea.KeyCtrlC})
	if cmd != nil || st.app.confirm == nil || !strings.Contains(st.app.View(), "your edits to terse-tom's summary would be lost") {
		t.Fatalf("ctrl+c with edits did not ask:\n%s", st.app.View())
	}
	st.keys("n")
	if st.app.confirm != nil || st.app.top() != screen.Screen(es) || es.ta.Value() != "Likes short answers." {
		t.Fatalf("n: confirm %v, top %T, text %q", st.app.confirm, st.app.top(), es.ta.Value())
	}
	st.app.Update(tea.KeyMsg{Type: tea.KeyCtrlC})
	_, cmd = st.app.Update(tea.KeyMsg{Type: tea.KeyCtrlC})
	if cmd == nil {
		t.Fatal("a second ctrl+c did not quit")
	}
	if _, quit := cmd().(tea.QuitMsg); !quit {
		t.Error("a second ctrl+c did not quit")
	}
}

func TestEditTypingTakesProgramKeys(t *testing.T) {
	st := newScreenTest(t, 100, 30)
	_, es := st.editOf("terse-tom")
	st.keys("q?J")
	if st.app.top() != screen.Screen(es) || st.app.help.open {
		t.Fatalf("q?J: top %T, help %v; want them typed", st.app.top(), st.app.help.open)
	}
	if es.ta.Value() != "q?J" {
		t.Errorf("text %q, want q?J", es.ta.Value())
	}
}

func TestEditReinferWithChosenSummarizer(t *testing.T) {
	st := newScreenTest(t, 100, 30)
	v1 := st.addSummary(store.Summary{User: "terse-tom", Source: store.SourceHuman, Text: "Hand written."})
	_, es := st.editOf("terse-tom")
	st.keys("ctrl+r")
	if !es.picking {
		t.Fatal("ctrl+r did not open the summarizer picker")
	}
	wantIn(t, st.view(), "Re-infer with which summarizer?", "› heuristic (default)")
	st.keys("esc")
	if es.picking || !es.ta.Focused() {
		t.Fatal("esc did not close the picker back to editing")
	}
	st.keys("ctrl+r", "enter")
	vs := st.versions("terse-tom")
	if len(vs) != 2 || vs[1].Source != store.SourceHeuristic {
		t.Fatalf("versions %+v, want a heuristic v2", vs)
	}
	if es.base.Version != 2 || es.ta.Value() != screen.Clean(vs[1].Text) || es.changed() || es.inference != nil {
		t.Errorf("the Edit screen edits v%d (changed %v, streaming %v), want the new v2", es.base.Version, es.changed(), es.inference != nil)
	}
	wantIn(t, st.view(), "from v2 by heuristic", "editing it now")
	// Saving an edit of it now makes v3 from v2.
	st.keys("ctrl+end", "\nAnd no emoji.", "ctrl+s")
	vs = st.versions("terse-tom")
	if len(vs) != 3 || vs[2].Parent != 2 || vs[2].Source != store.SourceHuman || !strings.HasSuffix(vs[2].Text, "And no emoji.") {
		t.Errorf("versions %+v, want v3 by human from v2", vs[len(vs)-1])
	}
	_ = v1
}

func TestEditReinferAsksFirstWhenChanged(t *testing.T) {
	st := newScreenTest(t, 100, 30)
	st.addSummary(store.Summary{User: "terse-tom", Source: store.SourceHuman, Text: "Hand written."})
	_, es := st.editOf("terse-tom")
	st.keys(" Edited.", "ctrl+r")
	if st.app.confirm == nil || es.picking {
		t.Fatal("ctrl+r over unsaved edits did not ask first")
	}
	st.keys("n")
	if es.picking || es.ta.Value() != "Hand written. Edited." {
		t.Fatalf("after n: picking %v, text %q", es.picking, es.ta.Value())
	}
	st.keys("ctrl+r", "y")
	if !es.picking {
		t.Fatal("after y the picker is not open")
	}
}

func TestEditLayoutSizes(t *testing.T) {
	for _, sz := range [][2]int{{120, 40}, {80, 24}, {60, 20}} {
		st := newScreenTest(t, sz[0], sz[1])
		st.addSummary(store.Summary{User: "terse-tom", Source: store.SourceHeuristic, Text: strings.Repeat("A long summary line that wraps. ", 20)})
		st.editOf("terse-tom")
		checkFrame(t, st.view(), sz[0], sz[1])
		st.keys("ctrl+r")
		checkFrame(t, st.view(), sz[0], sz[1])
		st.keys("esc")
		// Resizing keeps the text and its edits.
		st.keys("ctrl+end", " Edited.")
		st.send(tea.WindowSizeMsg{Width: 70, Height: 22})
		checkFrame(t, st.view(), 70, 22)
		if es := st.app.top().(*editScreen); !strings.HasSuffix(es.ta.Value(), "Edited.") {
			t.Errorf("%v: the edit was lost on resize", sz)
		}
	}
}
