package ui

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/themes"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// App is the root model: it owns the size, the key map, the styles, the
// jobs and the stack of screens, and routes messages to them.
type App struct {
	ctx     *screen.Context
	jobs    *Runner
	stack   []screen.Screen
	help    helpOverlay
	confirm *dialog // a question that takes the keys until answered
	status  string  // the status line's last notice or error
	isErr   bool
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
}

// NewApp makes the program's root model, opening on the Users screen.
func NewApp(opt Options) *App {
	if opt.Prefetch <= 0 {
		opt.Prefetch = 3
	}
	jobs := NewRunner(opt.Engine)
	ctx := &screen.Context{DB: opt.DB, Engine: opt.Engine, Annotator: opt.Annotator, AppVersion: opt.AppVersion,
		Compare: opt.Compare, Prefetch: opt.Prefetch, Demo: opt.Demo,
		Keys: screen.DefaultKeyMap(), Styles: screen.NewStyles(opt.Theme, opt.Output, opt.NoColor), Jobs: jobs,
		Width: 80, Height: 24}
	return &App{ctx: ctx, jobs: jobs, stack: []screen.Screen{newUsersScreen(ctx)}}
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
	for _, s := range a.stack {
		s.Close()
	}
}

func (a *App) top() screen.Screen { return a.stack[len(a.stack)-1] }

// Init loads the first screen.
func (a *App) Init() tea.Cmd {
	if i, ok := a.top().(interface{ Init() tea.Cmd }); ok {
		return i.Init()
	}
	return nil
}

// Update routes a message: sizes and program keys here, keys to the top
// screen (or the dialog), everything else to every screen and the jobs.
// The navigation the screens asked for is applied before it returns.
func (a *App) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd := a.route(msg)
	return a, tea.Batch(cmd, a.navigate())
}

func (a *App) route(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		a.ctx.Width, a.ctx.Height = msg.Width, msg.Height
		return a.broadcast(msg)
	case tea.KeyMsg:
		return a.key(msg)
	case tea.MouseMsg: // the wheel scrolls what is on screen, not what lies under it
		if a.help.open || a.confirm != nil {
			return nil
		}
		return a.top().Update(msg)
	case screen.NoticeMsg:
		a.status, a.isErr = msg.Text, false
		return nil
	case screen.ErrMsg:
		a.status, a.isErr = msg.Err.Error(), true
		return nil
	case screen.AskMsg:
		a.confirm = &dialog{question: msg.Question, answer: msg.Answer}
		return nil
	case quitAnswer:
		if msg.yes {
			return tea.Quit
		}
		return nil
	}
	return tea.Batch(a.jobs.Update(msg), a.broadcast(msg))
}

// navigate applies the pushes and pops asked for, in order.
func (a *App) navigate() tea.Cmd {
	var cmds []tea.Cmd
	for _, op := range a.ctx.TakeNav() {
		switch {
		case op.Push != nil:
			a.stack = append(a.stack, op.Push)
			a.help.open = false
			if i, ok := op.Push.(interface{ Init() tea.Cmd }); ok {
				cmds = append(cmds, i.Init())
			}
		case op.Pop != nil:
			cmds = append(cmds, a.remove(op.Pop))
		}
	}
	return tea.Batch(cmds...)
}

// remove takes s off the stack wherever it is; the last screen is not
// removed but quits (asking first when jobs are running).
func (a *App) remove(s screen.Screen) tea.Cmd {
	if s == a.top() {
		return a.back()
	}
	for i, t := range a.stack[:len(a.stack)-1] {
		if t == s && i > 0 {
			s.Close()
			a.stack = append(a.stack[:i], a.stack[i+1:]...)
			return func() tea.Msg { return screen.DataChangedMsg{} }
		}
	}
	return nil
}

// broadcast gives a message to every screen.
func (a *App) broadcast(msg tea.Msg) tea.Cmd {
	var cmds []tea.Cmd
	for _, s := range a.stack {
		cmds = append(cmds, s.Update(msg))
	}
	return tea.Batch(cmds...)
}

func (a *App) key(msg tea.KeyMsg) tea.Cmd {
	k := a.ctx.Keys
	if a.confirm != nil {
		d := a.confirm
		switch {
		case key.Matches(msg, k.Yes):
			a.confirm = nil
			return d.answer(true)
		case key.Matches(msg, k.No), key.Matches(msg, k.Quit):
			a.confirm = nil
			return d.answer(false)
		case key.Matches(msg, k.ForceQuit):
			return tea.Quit
		}
		return nil
	}
	if key.Matches(msg, k.ForceQuit) {
		return a.forceQuit()
	}
	if a.help.open {
		_, last := a.helpLines()
		switch {
		case key.Matches(msg, k.Help), key.Matches(msg, k.Quit), key.Matches(msg, k.Back):
			a.help.open = false
		case key.Matches(msg, k.Up):
			a.help.offset = max(0, min(last, a.help.offset)-1)
		case key.Matches(msg, k.Down):
			a.help.offset = min(last, a.help.offset+1)
		case key.Matches(msg, k.PageUp):
			a.help.offset = max(0, min(last, a.help.offset)-(a.ctx.Height-6))
		case key.Matches(msg, k.PageDown):
			a.help.offset = min(last, a.help.offset+(a.ctx.Height-6))
		case key.Matches(msg, k.Top):
			a.help.offset = 0
		case key.Matches(msg, k.Bottom):
			a.help.offset = last
		}
		return nil
	}
	if !a.top().Typing() {
		switch {
		case key.Matches(msg, k.Help):
			a.help = helpOverlay{open: true}
			return nil
		case key.Matches(msg, k.Jobs):
			if _, on := a.top().(*jobsScreen); !on {
				a.ctx.Push(newJobsScreen(a.ctx, a.jobs))
			}
			return nil
		case key.Matches(msg, k.Stats):
			if _, on := a.top().(*statsScreen); !on {
				a.ctx.Push(newStatsScreen(a.ctx))
			}
			return nil
		case key.Matches(msg, k.Quit):
			return a.back()
		}
	}
	a.status = ""
	return a.top().Update(msg)
}

// back pops the top screen; on the last one it quits, asking first when
// jobs are running.
func (a *App) back() tea.Cmd {
	if len(a.stack) > 1 {
		a.top().Close()
		a.stack = a.stack[:len(a.stack)-1]
		// What the popped screen did (labels, summaries) shows in the lists.
		return func() tea.Msg { return screen.DataChangedMsg{} }
	}
	if n := a.ctx.Jobs.Running(); n > 0 {
		a.confirm = &dialog{question: fmt.Sprintf("%s still running: quit and cancel them? Finished work is kept. (y/n)", screen.Plural(n, "job is", "jobs are")),
			answer: func(yes bool) tea.Cmd { return func() tea.Msg { return quitAnswer{yes} } }}
		return nil
	}
	return tea.Quit
}

type quitAnswer struct{ yes bool }

// forceQuit is ctrl+c: it quits at once, unless that would lose what a
// person typed or cancel running jobs; then it asks first, and a second
// ctrl+c quits.
func (a *App) forceQuit() tea.Cmd {
	var lost []string
	for _, s := range a.stack {
		if u, ok := s.(interface{ Unsaved() string }); ok {
			if what := u.Unsaved(); what != "" {
				lost = append(lost, what+" would be lost")
			}
		}
	}
	if n := a.ctx.Jobs.Running(); n > 0 {
		lost = append(lost, screen.Plural(n, "running job", "running jobs")+" would be cancelled (finished work is kept)")
	}
	if len(lost) == 0 {
		return tea.Quit
	}
	a.confirm = &dialog{question: "Quit now? " + strings.Join(lost, "; ") + ". (y/n; ctrl+c again quits)",
		answer: func(yes bool) tea.Cmd { return func() tea.Msg { return quitAnswer{yes} } }}
	return nil
}

// View draws the top screen, the status and help lines, and any overlay.
func (a *App) View() string {
	w, h := a.ctx.Width, a.ctx.Height
	st := a.ctx.Styles
	if w < screen.MinWidth || h < screen.MinHeight {
		return ansi.Truncate(fmt.Sprintf("Terminal too small (%d×%d): popi-tui needs %d×%d.", w, h, screen.MinWidth, screen.MinHeight), w, "…")
	}
	body := a.top().View()
	switch {
	case a.help.open:
		ls, _ := a.helpLines()
		body = strings.Join(ls, "\n")
	case a.confirm != nil:
		body = lipgloss.Place(w, h-2, lipgloss.Center, lipgloss.Center, st.Dialog.Render(screen.Wrap(a.confirm.question, min(60, w-8))))
	}
	lines := screen.Block(body, w, h-2)
	for len(lines) < h-2 {
		lines = append(lines, strings.Repeat(" ", w))
	}
	status := a.statusLine()
	return strings.Join(lines, "\n") + "\n" + screen.Fit(status, w) + "\n" + screen.Fit(a.helpLine(), w)
}

func (a *App) statusLine() string {
	st := a.ctx.Styles
	parts := []string{st.Title.Render("popi-tui"), a.top().Title()}
	if n := a.ctx.Jobs.Running(); n > 0 {
		parts = append(parts, st.Accent.Render(screen.Plural(n, "job", "jobs")+" running (J)"))
	}
	if a.status != "" {
		s := screen.Line(a.status)
		if a.isErr {
			s = st.Error.Render("error: " + s)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, st.Muted.Render(" · "))
}

func (a *App) helpLine() string {
	st := a.ctx.Styles
	var parts []string
	for _, b := range a.top().ShortHelp() {
		if !b.Enabled() {
			continue
		}
		h := b.Help()
		parts = append(parts, st.HelpKey.Render(h.Key)+" "+st.HelpDesc.Render(h.Desc))
	}
	return strings.Join(parts, st.Muted.Render(" • "))
}

// globalBindings are the keys every screen has.
func (a *App) globalBindings() []key.Binding {
	k := a.ctx.Keys
	return []key.Binding{k.Help, k.Jobs, k.Stats, k.Quit, k.ForceQuit}
}

// helpLines is the overlay: every binding of the top screen, then the
// program's own, laid out for the screen (the status and help lines
// stay).
func (a *App) helpLines() ([]string, int) {
	groups := append(a.top().FullHelp(), a.globalBindings())
	return a.help.lines(a.ctx.Styles, a.top().Title(), groups, a.ctx.Width, a.ctx.Height-2)
}

// dialog is a yes/no question.
type dialog struct {
	question string
	answer   func(yes bool) tea.Cmd
}
