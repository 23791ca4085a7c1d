// Package ui is popi-tui's interactive program. Its root model, App,
// composes the screens — each a package of its own (users, user, compare,
// jobs, stats, decisions, export) over the common package screen — with
// the program's own keys and the ? overlay (help), in a frame (package
// frame: the stack, the routing, the status and help lines). I/O happens
// only in tea.Cmds, whose results come back as messages. See
// ARCHITECTURE.md.
package ui

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/themes"
	"github.com/popi-tui/popi-tui/ui/compare"
	"github.com/popi-tui/popi-tui/ui/decisions"
	"github.com/popi-tui/popi-tui/ui/export"
	"github.com/popi-tui/popi-tui/ui/frame"
	"github.com/popi-tui/popi-tui/ui/help"
	"github.com/popi-tui/popi-tui/ui/jobs"
	"github.com/popi-tui/popi-tui/ui/screen"
	"github.com/popi-tui/popi-tui/ui/stats"
	"github.com/popi-tui/popi-tui/ui/summaries"
	"github.com/popi-tui/popi-tui/ui/users"
)

// App is the root model: the Context every screen shares, the jobs, the
// frame holding the stack of screens (Users at the bottom), and the ?
// overlay. It takes ? (help), J (jobs), S (stats), D (this annotator's
// decisions in this comparison, to revisit any of them) and E (export)
// itself; the frame takes q, ctrl+c and the rest.
type App struct {
	ctx   *screen.Context
	jobs  *jobs.Runner
	frame *frame.Frame
	help  help.Overlay
	label *screen.Selection // labeling to open first
}

// Options configure the program.
type Options struct {
	DB         *store.DB
	Engine     *engine.Engine
	Annotator  string
	AppVersion string
	Theme      themes.Theme
	NoColor    bool
	Compare    screen.CompareSpec
	Prefetch   int
	Demo       bool
	Input      io.Reader
	Output     io.Writer

	// Queue is the labeling queue's rules ([ui] skips, team, overlap).
	Queue screen.QueueSettings
	// Label, when set, opens labeling of those users over the Users screen
	// (popi-tui --users, --dataset).
	Label *screen.Selection
}

// NewApp makes the program's root model, opening on the Users screen.
func NewApp(opt Options) *App {
	if opt.Prefetch <= 0 {
		opt.Prefetch = 3
	}
	runner := jobs.NewRunner(opt.Engine)
	ctx := &screen.Context{DB: opt.DB, Engine: opt.Engine, Annotator: opt.Annotator, AppVersion: opt.AppVersion,
		Compare: opt.Compare, Prefetch: opt.Prefetch, Demo: opt.Demo,
		Styles: screen.NewStyles(opt.Theme, opt.Output, opt.NoColor), Jobs: runner,
		Width: 80, Height: 24}
	ctx.Queue = opt.Queue
	ctx.NewLabeling = func(c *screen.Context, sel screen.Selection) screen.Screen {
		if c.Compare.Summaries() { // compares every user's summaries: it takes no selection
			return summaries.New(c)
		}
		return compare.NewFor(c, sel)
	}
	return &App{ctx: ctx, jobs: runner, frame: frame.New(ctx, users.New(ctx)), help: help.New(), label: opt.Label}
}

// Run runs the program until the person quits.
func Run(ctx context.Context, opt Options) error {
	app := NewApp(opt)
	p := tea.NewProgram(app, tea.WithContext(ctx), tea.WithInput(opt.Input), tea.WithOutput(opt.Output),
		tea.WithAltScreen(), tea.WithMouseCellMotion(), tea.WithFPS(screen.MaxFPS))
	_, err := p.Run()
	app.shutdown()
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("interactive UI: %w", err)
	}
	return nil
}

// jobsStopTimeout bounds the wait, on quit, for cancelled jobs to store
// what they finished.
const jobsStopTimeout = 10 * time.Second

// shutdown cancels what is still running, jobs and the screens' requests,
// and waits for the jobs: the caller closes the database next.
func (a *App) shutdown() {
	a.jobs.CancelAll(jobsStopTimeout)
	a.frame.Close()
}

// Init loads the first screen, and opens the labeling asked for on the
// command line over it (q goes back to the Users screen).
func (a *App) Init() tea.Cmd {
	if a.label == nil {
		return a.frame.Init()
	}
	a.ctx.Push(a.ctx.NewLabeling(a.ctx, *a.label))
	return tea.Batch(a.frame.Init(), a.frame.Navigate())
}

// Update takes the program's own keys and the overlay's; everything else
// is the frame's. The navigation asked for is applied before it returns.
func (a *App) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		if keys, ok := a.burst(msg); ok {
			return a, a.each(keys)
		}
		if cmd, ok := a.key(msg); ok {
			return a, tea.Batch(cmd, a.frame.Navigate())
		}
	case tea.MouseMsg:
		if a.help.IsOpen() {
			return a, nil // the wheel scrolls what is on screen
		}
	}
	depth := a.frame.Depth()
	_, cmd := a.frame.Update(msg)
	if a.frame.Depth() > depth {
		a.help.Close() // a screen opened over the overlay
	}
	return a, cmd
}

// burst splits keys typed faster than the terminal is read ("1" "1",
// or q then l from tmux): Bubble Tea hands runes read together to the
// program as one message, which no binding matches. Unless a text field
// has the keys (where they are text) or they were pasted, each rune is a
// key of its own.
func (a *App) burst(msg tea.KeyMsg) ([]tea.KeyMsg, bool) {
	if msg.Type != tea.KeyRunes || msg.Paste || len(msg.Runes) < 2 || a.frame.Top().Typing() {
		return nil, false
	}
	keys := make([]tea.KeyMsg, len(msg.Runes))
	for i, r := range msg.Runes {
		keys[i] = tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt}
	}
	return keys, true
}

// each handles keys one after another, as if typed apart: each sees the
// screen the one before it left (a key after q reaches the screen under).
func (a *App) each(keys []tea.KeyMsg) tea.Cmd {
	cmds := make([]tea.Cmd, 0, len(keys))
	for _, k := range keys {
		_, cmd := a.Update(k)
		cmds = append(cmds, cmd)
	}
	return tea.Batch(cmds...)
}

// key handles ?, J, S, D and E and the overlay's keys; it reports whether
// the key was its own. A question, ctrl+c, a screen typing into a text field
// and every other key are the frame's.
func (a *App) key(msg tea.KeyMsg) (tea.Cmd, bool) {
	k := a.frame.Keys()
	switch {
	case a.frame.Asking(), key.Matches(msg, k.ForceQuit):
		return nil, false
	case a.help.IsOpen():
		_, last := a.helpLines()
		a.help.Update(msg, last, a.ctx.Height-6)
		return nil, true
	case a.frame.Top().Typing():
		return nil, false
	case key.Matches(msg, k.Help):
		a.help.Open()
	case key.Matches(msg, k.Jobs):
		if _, on := a.frame.Top().(*jobs.Screen); !on {
			a.ctx.Push(jobs.NewScreen(a.ctx, a.jobs))
		}
	case key.Matches(msg, k.Stats):
		if _, on := a.frame.Top().(*stats.Screen); !on {
			a.ctx.Push(stats.New(a.ctx))
		}
	case key.Matches(msg, k.Decisions):
		if _, on := a.frame.Top().(*decisions.Screen); !on {
			a.ctx.Push(decisions.New(a.ctx))
		}
	case key.Matches(msg, k.Export):
		if _, on := a.frame.Top().(*export.Screen); !on {
			a.ctx.Push(export.New(a.ctx))
		}
	default:
		return nil, false
	}
	return nil, true
}

// View draws the top screen in the frame, or the overlay over it.
func (a *App) View() string {
	body := a.frame.Body()
	if a.help.IsOpen() {
		ls, _ := a.helpLines()
		body = strings.Join(ls, "\n")
	}
	return a.frame.Framed(body)
}

// helpLines is the overlay: every binding of the top screen, then the
// program's own, laid out for the screen (the status and help lines
// stay).
func (a *App) helpLines() ([]string, int) {
	top := a.frame.Top()
	groups := append(top.FullHelp(), a.frame.Keys().Global())
	return a.help.Lines(a.ctx.Styles, top.Title(), groups, a.ctx.Width, a.ctx.Height-2)
}
