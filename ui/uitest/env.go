package uitest

import (
	"io"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/muesli/termenv"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
	"github.com/popi-tui/popi-tui/themes"
	"github.com/popi-tui/popi-tui/ui/frame"
	"github.com/popi-tui/popi-tui/ui/jobs"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// Env is a frame with a first screen over a database, with the program's
// parts, driven by a Program: a screen's tests and benchmarks see and
// measure what the program draws (but the ? overlay and the J and S keys,
// which are the root's).
type Env struct {
	*Program
	DB     *store.DB
	Engine *engine.Engine
	Ctx    *screen.Context
	Frame  *frame.Frame
	Jobs   *jobs.Runner
}

// Options are an Env's parts; the zero value is the demo users in a new
// database, the offline engine, annotator "tester", no colour.
type Options struct {
	DB         *store.DB
	Engine     *engine.Engine
	Compare    screen.CompareSpec
	Annotator  string
	AppVersion string
	Prefetch   int
	// First makes the bottom screen (default: an empty one, under the
	// screen a test opens).
	First func(ctx *screen.Context) screen.Screen
	// Color draws in true colour, as most terminals: benchmarks measure
	// the costlier styled text.
	Color bool
}

// New starts an Env at w×h, its first screen loaded.
func New(t testing.TB, w, h int, opt Options) *Env {
	t.Helper()
	if opt.DB == nil {
		opt.DB = storetest.DemoDB(t)
	}
	if opt.Engine == nil {
		opt.Engine = engine.New(opt.DB, engine.Config{}, engine.Options{})
		t.Cleanup(opt.Engine.Close)
	}
	if opt.Annotator == "" {
		opt.Annotator = "tester"
	}
	if opt.Prefetch == 0 {
		opt.Prefetch = 3
	}
	theme, err := themes.Lookup("dark")
	if err != nil {
		t.Fatal(err)
	}
	runner := jobs.NewRunner(opt.Engine)
	ctx := &screen.Context{DB: opt.DB, Engine: opt.Engine, Annotator: opt.Annotator, AppVersion: opt.AppVersion,
		Compare: opt.Compare, Prefetch: opt.Prefetch, Styles: screen.NewStyles(theme, io.Discard, !opt.Color), Jobs: runner, Width: w, Height: h}
	if opt.Color {
		ctx.Styles.Renderer().SetColorProfile(termenv.TrueColor)
	}
	first := screen.Screen(Blank{})
	if opt.First != nil {
		first = opt.First(ctx)
	}
	f := frame.New(ctx, first)
	e := &Env{DB: opt.DB, Engine: opt.Engine, Ctx: ctx, Frame: f, Jobs: runner}
	e.Program = Drive(t, f, w, h)
	// After the Program's own cleanup has been registered, so before it
	// runs: what the screens and jobs started returns first.
	t.Cleanup(func() {
		runner.CancelAll(5 * time.Second)
		f.Close()
		e.Settle()
	})
	return e
}

// Top is the screen on top.
func (e *Env) Top() screen.Screen { return e.Frame.Top() }

// Push pushes s, as a key of the screen under it would, and starts its
// Init without waiting for it.
func (e *Env) Push(s screen.Screen) {
	e.Ctx.Push(s)
	e.Run(e.Frame.Navigate())
}

// Open pushes s and settles.
func (e *Env) Open(s screen.Screen) {
	e.t.Helper()
	e.Push(s)
	e.Settle()
	if e.Top() != s {
		e.t.Fatalf("the top screen is %T, not the one opened", e.Top())
	}
}

// Blank is an empty screen: the bottom of an Env's stack when a test opens
// the screen it tests on top.
type Blank struct{}

func (Blank) Update(tea.Msg) tea.Cmd    { return nil }
func (Blank) View() string              { return "" }
func (Blank) Title() string             { return "Blank" }
func (Blank) ShortHelp() []key.Binding  { return nil }
func (Blank) FullHelp() [][]key.Binding { return nil }
func (Blank) Typing() bool              { return false }
func (Blank) Close()                    {}
