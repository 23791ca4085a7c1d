package frame_test

import (
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/ui/screen"
	"github.com/popi-tui/popi-tui/ui/uitest"
)

// busyJobs stands in for the runner with jobs still running.
type busyJobs struct {
	screen.Jobs
	running int
}

func (j busyJobs) Running() int           { return j.running }
func (j busyJobs) Update(tea.Msg) tea.Cmd { return nil }

// quits reports whether cmd ends the program.
func quits(cmd tea.Cmd) bool {
	if cmd == nil {
		return false
	}
	_, ok := cmd().(tea.QuitMsg)
	return ok
}

// q on the last screen quits at once when nothing runs, and asks first
// while jobs run: n keeps the program, y quits.
func TestQuitAsksWhileJobsRun(t *testing.T) {
	tests := []struct {
		name    string
		running int
		answer  string
		quit    bool
	}{
		{"no job", 0, "", true},
		{"a job, no", 1, "n", false},
		{"two jobs, yes", 2, "y", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := uitest.New(t, 100, 30, uitest.Options{})
			env.Ctx.Jobs = busyJobs{Jobs: env.Ctx.Jobs, running: tt.running}
			_, cmd := env.Frame.Update(uitest.Key("q"))
			if tt.running == 0 {
				if !quits(cmd) {
					t.Fatal("q did not quit with nothing running")
				}
				return
			}
			if cmd != nil {
				t.Fatal("q did something at once with jobs running")
			}
			uitest.WantIn(t, env.View(), "still running: quit and cancel them?")
			_, cmd = env.Frame.Update(uitest.Key(tt.answer))
			if cmd != nil { // the answer comes back as a message
				_, cmd = env.Frame.Update(cmd())
			}
			if quits(cmd) != tt.quit {
				t.Errorf("%s: quit %v, want %v", tt.answer, !tt.quit, tt.quit)
			}
			uitest.WantNotIn(t, env.View(), "quit and cancel them?")
		})
	}
}
