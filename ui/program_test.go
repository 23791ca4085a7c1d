package ui

import (
	"fmt"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/ui/compare"
	"github.com/popi-tui/popi-tui/ui/jobs"
	"github.com/popi-tui/popi-tui/ui/uitest"
	"github.com/popi-tui/popi-tui/ui/users"
)

// i on the Users list runs an inference job over every user; J shows it;
// q goes back.
func TestInferFromUsersScreenRunsAJob(t *testing.T) {
	app, db := demoApp(t)
	p := uitest.Drive(t, app, 120, 40)
	p.Press("i")
	p.WaitFor("the job's end", func() bool { return app.jobs.Running() == 0 })
	p.Settle()
	st, err := db.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Summaries != 8 {
		t.Fatalf("%d summaries after i, want 8", st.Summaries)
	}
	uitest.WantIn(t, p.View(), "heuristic", "×", "finished: 8 done")
	p.Press("J")
	uitest.WantIn(t, p.View(), "infer summaries via heuristic — finished", "8/8")
	p.Press("q")
	uitest.WantIn(t, p.View(), "Users  8")
}

// J and S open the Jobs and Stats screens once, however often pressed.
func TestJobsAndStatsOpenOnce(t *testing.T) {
	app, _ := demoApp(t)
	p := uitest.Drive(t, app, 100, 30)
	for _, k := range []string{"J", "J", "S", "S"} {
		p.Press(k)
	}
	if d := app.frame.Depth(); d != 3 {
		t.Errorf("J J S S: %d screens, want Users, Jobs, Stats", d)
	}
	p.Press("q", "q")
	if _, ok := app.frame.Top().(*users.Screen); !ok {
		t.Errorf("q q: top %T, want Users", app.frame.Top())
	}
}

func TestHelpOverlayAndTooSmall(t *testing.T) {
	app, _ := demoApp(t)
	p := uitest.Drive(t, app, 80, 24)
	p.Press("?")
	uitest.WantIn(t, p.View(), "Keys — Users", "filter", "label", "infer summary", "jobs", "ctrl+c")
	p.Press("?")
	uitest.WantNotIn(t, p.View(), "Keys —")
	p.Send(tea.WindowSizeMsg{Width: 59, Height: 30})
	if v := p.View(); v != "Terminal too small (59×30): popi-tui needs 60×20." {
		t.Errorf("too small: %q", v)
	}
	// Back to a usable size: nothing was lost.
	p.Send(tea.WindowSizeMsg{Width: 60, Height: 20})
	p.Settle()
	uitest.WantIn(t, p.View(), "Users  8")
	uitest.CheckFrame(t, p.View(), 60, 20)
}

// The help overlay holds every binding of the screen and the program's
// own at every size from the smallest up: in columns when there is room,
// scrolling when there is not, the frame always w×h.
func TestHelpOverlayShowsEveryBinding(t *testing.T) {
	screens := []struct {
		name string
		keys []string // from the Users list
	}{
		{"Users", nil},
		{"User", []string{"enter"}},
		{"Compare", []string{"l"}},
		{"Jobs", []string{"J"}},
		{"Stats", []string{"S"}},
	}
	for _, size := range []struct{ w, h int }{{60, 20}, {80, 24}, {120, 40}} {
		for _, sc := range screens {
			t.Run(fmt.Sprintf("%s %dx%d", sc.name, size.w, size.h), func(t *testing.T) {
				app, _ := demoApp(t)
				p := uitest.Drive(t, app, size.w, size.h)
				p.Press(sc.keys...)
				p.Press("?")
				_, last := app.helpLines()
				if last > 0 && size.h >= 40 {
					t.Errorf("the help scrolls at %dx%d", size.w, size.h)
				}
				seen := ""
				for i := 0; ; i++ { // scroll to the end, keeping what was shown
					v := p.View()
					uitest.CheckFrame(t, v, size.w, size.h)
					seen += v
					if app.help.Offset() >= last {
						break
					}
					if i > 100 {
						t.Fatal("down does not scroll the help")
					}
					p.Press("down")
				}
				top := app.frame.Top()
				inFull := map[string]bool{}
				for _, g := range append(top.FullHelp(), app.frame.Keys().Global()) {
					for _, b := range g {
						inFull[b.Help().Key] = true
						if b.Enabled() && !strings.Contains(seen, b.Help().Desc) {
							t.Errorf("%q (%s) never shown", b.Help().Desc, b.Help().Key)
						}
					}
				}
				// The help line's keys (some with briefer words) are all there.
				for _, b := range top.ShortHelp() {
					if b.Enabled() && !inFull[b.Help().Key] {
						t.Errorf("%s (%q) is on the help line but not in the overlay", b.Help().Key, b.Help().Desc)
					}
				}
				uitest.WantIn(t, seen, "? or esc closes this help.")
				p.Press("esc")
				if app.help.IsOpen() {
					t.Error("esc did not close the help")
				}
			})
		}
	}
}

// The Jobs screen opened with J lists what the runner holds.
func TestJobsScreenIsTheRunners(t *testing.T) {
	app, _ := demoApp(t)
	p := uitest.Drive(t, app, 100, 30)
	p.Press("J")
	js, ok := app.frame.Top().(*jobs.Screen)
	if !ok {
		t.Fatalf("J: top %T", app.frame.Top())
	}
	uitest.WantIn(t, js.View(), "No jobs yet")
}

// Keys read together (tmux send-keys, a fast typist) arrive as one
// message of several runes: each is a key of its own, seeing the screen
// the one before it left; in a text field they stay text.
func TestKeysReadTogetherAreEachAKey(t *testing.T) {
	app, _ := demoApp(t)
	p := uitest.Drive(t, app, 120, 40)
	p.Press("enter", "ql") // back from the user, then label
	if _, ok := app.frame.Top().(*compare.Screen); !ok {
		t.Fatalf("enter, then q and l read together: top %T, want Compare", app.frame.Top())
	}
	p.Press("q", "/", "ter") // "ter" read together into the filter: text

	uitest.WantIn(t, p.View(), "1 of 8 match", "› terse-tom")
}
