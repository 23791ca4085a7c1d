package ui

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/themes"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// Golden files of whole screens, drawn by the real program (teatest runs
// the Bubble Tea loop) at fixed sizes with colour off. Update them with
//
//	go test ./ui -run Golden -update
//
// and read the diff before committing.

var goldenSizes = []struct{ w, h int }{{120, 40}, {80, 24}}

// goldenRun starts the program on the demo data at w×h, waits for the
// Users list, sends keys (each waiting for its text to appear), and
// returns the final frame.
func goldenRun(t *testing.T, w, h int, steps ...goldenStep) string {
	t.Helper()
	app, _ := demoApp(t, w, h)
	return goldenRunApp(t, app, w, h, steps...)
}

func goldenRunApp(t *testing.T, app *App, w, h int, steps ...goldenStep) string {
	t.Helper()
	tm := teatest.NewTestModel(t, app, teatest.WithInitialTermSize(w, h))
	waitText(t, tm, "Users")
	for _, s := range steps {
		tm.Send(s.key)
		if s.wait != "" {
			waitText(t, tm, s.wait)
		}
	}
	time.Sleep(100 * time.Millisecond) // let streams and reads settle
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	return tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).View()
}

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

func TestGoldenUser(t *testing.T) {
	for _, sz := range goldenSizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			requireGolden(t, goldenRun(t, sz.w, sz.h, goldenStep{tea.KeyMsg{Type: tea.KeyEnter}, "preferred"}))
		})
	}
}

func TestGoldenEdit(t *testing.T) {
	for _, sz := range goldenSizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			requireGolden(t, goldenRun(t, sz.w, sz.h,
				goldenStep{tea.KeyMsg{Type: tea.KeyEnter}, "preferred"},
				goldenStep{keyRunes("e"), "ctrl+s"}))
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
	app, _ := demoApp(t, 50, 15)
	tm := teatest.NewTestModel(t, app, teatest.WithInitialTermSize(50, 15))
	waitText(t, tm, "too small")
	tm.Quit()
	requireGolden(t, tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).View())
}

// goldenCompareApp is the program over the demo data with a saved session
// of a fixed seed, so that the pane order is the same on every run.
func goldenCompareApp(t *testing.T, w, h int, e func(db *store.DB) (*engine.Engine, screen.CompareSpec)) *App {
	t.Helper()
	db := compareDemoDB(t)
	eng, spec := e(db)
	if err := db.PutSession(store.Session{Annotator: "golden", Compare: spec.Comparison(), Seed: 42}); err != nil {
		t.Fatal(err)
	}
	theme, _ := themes.Lookup("dark")
	app := NewApp(Options{DB: db, Engine: eng, Annotator: "golden", AppVersion: "test", Theme: theme, NoColor: true,
		Output: io.Discard, Compare: spec, Prefetch: 3})
	t.Cleanup(app.shutdown)
	return app
}

func TestGoldenCompareTwoPanes(t *testing.T) {
	for _, sz := range goldenSizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			app := goldenCompareApp(t, sz.w, sz.h, func(db *store.DB) (*engine.Engine, screen.CompareSpec) {
				e := engine.New(db, engine.Config{}, engine.Options{})
				t.Cleanup(e.Close)
				spec, _ := screen.ParseCompare("", e, true)
				return e, spec
			})
			requireGolden(t, goldenRunApp(t, app, sz.w, sz.h, goldenStep{keyRunes("l"), "Compare"}))
		})
	}
}

func TestGoldenCompareThreePanes(t *testing.T) {
	for _, sz := range goldenSizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			app := goldenCompareApp(t, sz.w, sz.h, func(db *store.DB) (*engine.Engine, screen.CompareSpec) {
				f := newCompareFakeServer(t, func(w http.ResponseWriter, r *http.Request, model string) {
					compareSSE(w, model, "## Answer from "+strings.TrimPrefix(model, "model-")+"\n\n", "Some **bold** advice ", "in two parts.\n\n- one\n- two\n")
				})
				e := engine.New(db, engine.Config{MaxAttempts: 1, Backends: []engine.BackendConfig{
					compareGenerator("alpha", f.srv.URL, "model-alpha"), compareGenerator("beta", f.srv.URL, "model-beta")}}, engine.Options{})
				t.Cleanup(e.Close)
				spec, err := screen.ParseCompare("alpha:none,beta:none,alpha:raw", e, false)
				if err != nil {
					t.Fatal(err)
				}
				return e, spec
			})
			requireGolden(t, goldenRunApp(t, app, sz.w, sz.h, goldenStep{keyRunes("l"), "two parts"}))
		})
	}
}
