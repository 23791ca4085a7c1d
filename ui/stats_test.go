package ui

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/store"
)

// S opens the Stats screen from anywhere; it reads the labels again when
// one is saved, keeps to the terminal's size and scrolls.
func TestStatsScreenFollowsTheLabels(t *testing.T) {
	app, db := demoApp(t, 80, 24)
	press(app, "S")
	s, ok := app.top().(*statsScreen)
	if !ok {
		t.Fatalf("S: top %T", app.top())
	}
	v := app.View()
	for _, want := range []string{"Stats", "Human labels — 0 decisions (and 0 skips)", "No decisions yet", "Context saving"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
	checkCompareFrame(t, v, 80, 24)

	shown := time.Now().Add(-3 * time.Second).UTC()
	for _, verdict := range []string{"a", "b", "a"} {
		l, err := db.AddLabel(store.Label{Kind: store.LabelDecision, User: "terse-tom", PromptID: "ho1", Prompt: "p", Annotator: "bench" + verdict,
			Verdict: verdict, ShownAt: shown, Candidates: []store.Candidate{
				{Pane: "a", Slot: 0, Backend: "replay", Replay: "chosen", Condition: "none"},
				{Pane: "b", Slot: 1, Backend: "replay", Replay: "rejected", Condition: "none"}}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, cmd := app.Update(labelSavedMsg{label: l})
		testDrive(app, cmd)
	}
	v = app.View()
	for _, want := range []string{"Human labels — 2 decisions", "replay (chosen)", "50.0%", "Agreement with the dataset's choice"} {
		if !strings.Contains(v, want) {
			t.Errorf("after two labels the view lacks %q:\n%s", want, v)
		}
	}
	checkCompareFrame(t, v, 80, 24)
	top := s.vp.YOffset
	press(app, "end")
	if s.vp.YOffset <= top {
		t.Errorf("end did not scroll (offset %d)", s.vp.YOffset)
	}
	_, cmd := app.Update(tea.WindowSizeMsg{Width: 60, Height: 20})
	testDrive(app, cmd)
	checkCompareFrame(t, app.View(), 60, 20)
	press(app, "esc")
	if _, ok := app.top().(*usersScreen); !ok {
		t.Errorf("esc: top %T", app.top())
	}
}
