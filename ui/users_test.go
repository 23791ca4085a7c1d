package ui

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
)

// demoApp is the real root model over a fresh database of the demo users,
// sized w×h, with its first screen loaded.
func demoApp(t *testing.T, w, h int) (*App, *store.DB) {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "popi.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.LoadDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	app := benchApp(t, db)
	_, cmd := app.Update(tea.WindowSizeMsg{Width: w, Height: h})
	testDrive(app, tea.Batch(app.Init(), cmd))
	t.Cleanup(app.shutdown)
	return app, db
}

func press(app *App, keys ...string) {
	for _, k := range keys {
		var msg tea.KeyMsg
		switch k {
		case "enter":
			msg = tea.KeyMsg{Type: tea.KeyEnter}
		case "esc":
			msg = tea.KeyMsg{Type: tea.KeyEsc}
		case "down":
			msg = tea.KeyMsg{Type: tea.KeyDown}
		case "up":
			msg = tea.KeyMsg{Type: tea.KeyUp}
		case "end":
			msg = tea.KeyMsg{Type: tea.KeyEnd}
		case "backspace":
			msg = tea.KeyMsg{Type: tea.KeyBackspace}
		case "ctrl+c":
			msg = tea.KeyMsg{Type: tea.KeyCtrlC}
		default:
			msg = tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
		}
		_, cmd := app.Update(msg)
		testDrive(app, cmd)
	}
}

// testDrive runs what a command sets off, giving slow commands (a job's
// next report) up to two seconds.
func testDrive(app *App, cmd tea.Cmd) { drive(app, cmd, 2*time.Second) }

func TestUsersScreenListsAndFilters(t *testing.T) {
	app, _ := demoApp(t, 120, 40)
	view := app.View()
	for _, want := range []string{"Users  8", "user", "pairs h/ho", "summary", "saving", "› beginner-bea", "6/1", "none", "thorough-theo",
		"enter open", "/ filter", "l label"} {
		if !strings.Contains(view, want) {
			t.Errorf("view lacks %q:\n%s", want, view)
		}
	}
	if lines := strings.Split(view, "\n"); len(lines) != 40 {
		t.Errorf("%d lines, want the terminal's 40", len(lines))
	}
	press(app, "/", "t", "e", "r")
	view = app.View()
	if !strings.Contains(view, "1 of 8 match") || !strings.Contains(view, "› terse-tom") || strings.Contains(view, "beginner-bea") {
		t.Errorf("filter ter:\n%s", view)
	}
	// Typing in the filter: q is text, not quit.
	press(app, "q")
	if !strings.Contains(app.View(), "0 of 8 match") {
		t.Errorf("q was not typed into the filter:\n%s", app.View())
	}
	press(app, "backspace", "backspace", "backspace", "backspace", "esc")
	view = app.View()
	if strings.Contains(view, "match") || !strings.Contains(view, "beginner-bea") || !strings.Contains(view, "› terse-tom") {
		t.Errorf("after clearing (the cursor stays on its user):\n%s", view)
	}
	press(app, "up", "up")
	if !strings.Contains(app.View(), "› playful-pia") {
		t.Errorf("cursor:\n%s", app.View())
	}
	press(app, "end")
	if !strings.Contains(app.View(), "› thorough-theo") {
		t.Errorf("end:\n%s", app.View())
	}
}

func TestInferFromUsersScreenRunsAJob(t *testing.T) {
	app, db := demoApp(t, 120, 40)
	press(app, "i")
	st, _ := db.Stats()
	if st.Summaries != 8 {
		t.Fatalf("%d summaries after i", st.Summaries)
	}
	view := app.View()
	if !strings.Contains(view, "heuristic") || !strings.Contains(view, "×") || !strings.Contains(view, "finished: 8 done") {
		t.Errorf("after infer:\n%s", view)
	}
	press(app, "J")
	if view := app.View(); !strings.Contains(view, "infer summaries via heuristic — finished") || !strings.Contains(view, "8/8") {
		t.Errorf("jobs screen:\n%s", view)
	}
	press(app, "q")
	if !strings.Contains(app.View(), "Users  8") {
		t.Errorf("q did not go back:\n%s", app.View())
	}
}

func TestHelpOverlayAndTooSmall(t *testing.T) {
	app, _ := demoApp(t, 80, 24)
	press(app, "?")
	view := app.View()
	for _, want := range []string{"Keys — Users", "filter", "label", "infer summary", "jobs", "ctrl+c"} {
		if !strings.Contains(view, want) {
			t.Errorf("help lacks %q:\n%s", want, view)
		}
	}
	press(app, "?")
	if strings.Contains(app.View(), "Keys —") {
		t.Error("? did not close the help")
	}
	app.Update(tea.WindowSizeMsg{Width: 59, Height: 30})
	if v := app.View(); v != "Terminal too small (59×30): popi-tui needs 60×20." {
		t.Errorf("too small: %q", v)
	}
	// Back to a usable size: nothing was lost.
	app.Update(tea.WindowSizeMsg{Width: 60, Height: 20})
	if v := app.View(); !strings.Contains(v, "Users  8") || len(strings.Split(v, "\n")) != 20 {
		t.Errorf("60×20:\n%s", v)
	}
}

func TestQuitAsksWhileJobsRun(t *testing.T) {
	app, _ := demoApp(t, 100, 30)
	// A job that stays running until cancelled.
	started := make(chan struct{})
	app.ctx.Jobs.start("a long job", func(ctx context.Context, p func(engine.Progress)) (engine.Report, error) {
		close(started)
		<-ctx.Done()
		return engine.Report{Interrupted: true}, nil
	})
	<-started
	_, cmd := app.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")})
	if cmd != nil {
		t.Fatal("q quit at once with a job running")
	}
	if !strings.Contains(app.View(), "1 job is still running: quit and cancel them?") {
		t.Errorf("no question:\n%s", app.View())
	}
	_, cmd = app.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("n")})
	if cmd != nil {
		if _, quit := cmd().(tea.QuitMsg); quit {
			t.Fatal("n quit")
		}
	}
	app.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")})
	_, cmd = app.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("y")})
	if cmd == nil {
		t.Fatal("y did not quit")
	}
	if msg := cmd(); msg != nil {
		if _, ok := msg.(quitAnswer); ok {
			_, cmd = app.Update(msg)
			if _, quit := cmd().(tea.QuitMsg); !quit {
				t.Fatal("y did not quit")
			}
		}
	}
}

func TestUsersEscapeSequencesInIDsAreCleaned(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "popi.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	in := `{"user":"\u001b[31mred\u001b[0m\u001b]0;title\u0007","kind":"task","prompt":"p"}` + "\n"
	if _, err := db.Import(context.Background(), "in.jsonl", strings.NewReader(in), store.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	app := benchApp(t, db)
	_, cmd := app.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	benchDrive(app, tea.Batch(app.Init(), cmd))
	view := app.View()
	if strings.ContainsAny(view, "\x1b\x07") || !strings.Contains(view, "› red") {
		t.Errorf("view: %q", view)
	}
}
