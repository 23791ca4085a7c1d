package ui

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/popi-tui/popi-tui/ui/uitest"
)

// Golden files of whole screens, drawn by the real program (teatest runs
// the Bubble Tea loop) at fixed sizes with colour off. Update them with
//
//	go test ./ui -run Golden -update
//
// (The Compare screen's are in package compare.)
//
// and read the diff before committing.

var goldenSizes = []struct{ w, h int }{{120, 40}, {80, 24}, {140, 40}}

// goldenRun starts the program on the demo data at w×h, waits for the
// Users list with its rows read, sends keys (each waiting for its text to
// appear), and returns the final frame.
func goldenRun(t *testing.T, w, h int, steps ...goldenStep) string {
	t.Helper()
	app, _ := demoApp(t)
	tm := teatest.NewTestModel(t, app, teatest.WithInitialTermSize(w, h))
	waitText(t, tm, loadedRow)
	for _, s := range steps {
		tm.Send(s.key)
		waitText(t, tm, s.wait)
	}
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	return tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).View()
}

// loadedRow is in the Users list once its rows are read (they are read
// together, in one command): the pairs column of the users with two
// held-out pairs.
const loadedRow = "6/2"

type goldenStep struct {
	key  tea.Msg
	wait string // text the frame shows once the key took effect
}

func keyRunes(s string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)} }

func waitText(t *testing.T, tm *teatest.TestModel, text string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(text)) },
		teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
}

func requireGolden(t *testing.T, view string) {
	t.Helper()
	teatest.RequireEqualOutput(t, []byte(view))
}

func TestGoldenUsers(t *testing.T) {
	for _, sz := range goldenSizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			requireGolden(t, goldenRun(t, sz.w, sz.h))
		})
	}
}

// settledFrame drives the program (uitest) through keys, each waited for
// until every command it set off has returned — the User screen's
// Markdown renders included, which a frame taken as soon as a text shows
// would race — and returns the frame.
func settledFrame(t *testing.T, w, h int, keys ...string) string {
	t.Helper()
	app, _ := demoApp(t)
	p := uitest.Drive(t, app, w, h)
	p.Press(keys...)
	return p.View()
}

func TestGoldenUser(t *testing.T) {
	for _, sz := range goldenSizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			requireGolden(t, settledFrame(t, sz.w, sz.h, "enter"))
		})
	}
}

func TestGoldenEdit(t *testing.T) {
	for _, sz := range goldenSizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			requireGolden(t, settledFrame(t, sz.w, sz.h, "enter", "e"))
		})
	}
}

func TestGoldenHelp(t *testing.T) {
	for _, sz := range goldenSizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			requireGolden(t, goldenRun(t, sz.w, sz.h, goldenStep{keyRunes("?"), "Keys"}))
		})
	}
}

func TestGoldenTooSmall(t *testing.T) {
	app, _ := demoApp(t)
	tm := teatest.NewTestModel(t, app, teatest.WithInitialTermSize(50, 15))
	waitText(t, tm, "too small")
	tm.Quit()
	requireGolden(t, tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).View())
}
