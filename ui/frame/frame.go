// Package frame is the root model's machinery: the stack of screens, the
// navigation they ask for, the routing of messages, the yes/no question,
// and the frame the top screen is drawn in (the status line and the help
// line). The root model (package ui's App) holds a Frame and adds the
// program's own screens and the ? overlay; tests and benchmarks of a
// screen drive a Frame directly (ui/uitest), so that what they see and
// measure is what the program draws.
package frame

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/ui/screen"
)

// Frame holds the stack of screens (the first at the bottom, never
// popped) and routes messages to them: keys to the top screen (or the
// question), the mouse to the top screen, everything else to the jobs and
// every screen, each ignoring what is not its own.
type Frame struct {
	ctx     *screen.Context
	keys    Keys
	screens []screen.Screen
	dialog  *dialog // a question that takes the keys until answered
	status  string  // the status line's last notice or error
	isErr   bool
	shown   int        // counts the notices shown: a timer clears only its own
	line    help.Model // draws the help line
}

// separator is what stands between two keys on the help line.
const separator = " • "

// dialog is a yes/no question.
type dialog struct {
	question string
	answer   func(yes bool) tea.Cmd
}

// How long the status line keeps a notice, and an error (read twice as
// long: it may say what to do).
const (
	noticeFor = 5 * time.Second
	errorFor  = 10 * time.Second
)

// clearStatus ends the status shown as the shown-th.
type clearStatus struct{ shown int }

// show puts a notice or an error on the status line until its time is up
// or another takes its place.
func (f *Frame) show(text string, isErr bool) tea.Cmd {
	f.status, f.isErr = text, isErr
	f.shown++
	d := noticeFor
	if isErr {
		d = errorFor
	}
	return screen.After(d, clearStatus{f.shown})
}

// quitAnswer is the answer to "quit while jobs run?".
type quitAnswer struct{ yes bool }

// New makes a frame over ctx with first at the bottom of the stack.
func New(ctx *screen.Context, first screen.Screen) *Frame {
	st := ctx.Styles
	line := help.New()
	line.ShortSeparator = separator
	line.Styles.ShortKey, line.Styles.ShortDesc = st.HelpKey, st.HelpDesc
	line.Styles.ShortSeparator, line.Styles.Ellipsis = st.Muted, st.Muted
	return &Frame{ctx: ctx, keys: DefaultKeys(), screens: []screen.Screen{first}, line: line}
}

// Keys is the program's keys.
func (f *Frame) Keys() Keys { return f.keys }

// Top is the screen on top: the one the keys go to.
func (f *Frame) Top() screen.Screen { return f.screens[len(f.screens)-1] }

// Depth is how many screens are on the stack.
func (f *Frame) Depth() int { return len(f.screens) }

// Asking reports that a question has the keys.
func (f *Frame) Asking() bool { return f.dialog != nil }

// Init loads the first screen.
func (f *Frame) Init() tea.Cmd { return initScreen(f.Top()) }

func initScreen(s screen.Screen) tea.Cmd {
	if i, ok := s.(interface{ Init() tea.Cmd }); ok {
		return i.Init()
	}
	return nil
}

// Close lets go of what every screen holds (on quit).
func (f *Frame) Close() {
	for _, s := range f.screens {
		s.Close()
	}
}

// Update routes a message and applies the navigation the screens asked
// for before it returns.
func (f *Frame) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd := f.route(msg)
	return f, tea.Batch(cmd, f.Navigate())
}

func (f *Frame) route(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		f.ctx.Width, f.ctx.Height = msg.Width, msg.Height
		return f.broadcast(msg)
	case tea.KeyMsg:
		return f.key(msg)
	case tea.MouseMsg: // the wheel scrolls what is on screen, not what lies under it
		if f.dialog != nil {
			return nil
		}
		return f.Top().Update(msg)
	case screen.NoticeMsg:
		return f.show(msg.Text, false)
	case screen.ErrMsg:
		return f.show(msg.Err.Error(), true)
	case clearStatus:
		if msg.shown == f.shown {
			f.status, f.isErr = "", false
		}
		return nil
	case screen.AskMsg:
		f.dialog = &dialog{question: msg.Question, answer: msg.Answer}
		return nil
	case quitAnswer:
		if msg.yes {
			return tea.Quit
		}
		return nil
	}
	return tea.Batch(f.ctx.Jobs.Update(msg), f.broadcast(msg))
}

// Navigate applies the pushes and pops the screens asked for, in order.
func (f *Frame) Navigate() tea.Cmd {
	var cmds []tea.Cmd
	for _, op := range f.ctx.TakeNav() {
		switch {
		case op.Push != nil:
			f.screens = append(f.screens, op.Push)
			cmds = append(cmds, initScreen(op.Push))
		case op.Pop != nil:
			cmds = append(cmds, f.remove(op.Pop))
		}
	}
	return tea.Batch(cmds...)
}

// remove takes s off the stack wherever it is; the last screen is not
// removed but quits (asking first when jobs are running).
func (f *Frame) remove(s screen.Screen) tea.Cmd {
	if s == f.Top() {
		return f.back()
	}
	for i, t := range f.screens[:len(f.screens)-1] {
		if t == s && i > 0 {
			s.Close()
			f.screens = append(f.screens[:i], f.screens[i+1:]...)
			return screen.DataChanged
		}
	}
	return nil
}

// broadcast gives a message to every screen.
func (f *Frame) broadcast(msg tea.Msg) tea.Cmd {
	var cmds []tea.Cmd
	for _, s := range f.screens {
		cmds = append(cmds, s.Update(msg))
	}
	return tea.Batch(cmds...)
}

func (f *Frame) key(msg tea.KeyMsg) tea.Cmd {
	k := f.keys
	if d := f.dialog; d != nil {
		switch {
		case key.Matches(msg, k.Yes):
			f.dialog = nil
			return d.answer(true)
		case key.Matches(msg, k.No), key.Matches(msg, k.Quit):
			f.dialog = nil
			return d.answer(false)
		case key.Matches(msg, k.ForceQuit):
			return tea.Quit
		}
		return nil
	}
	switch {
	case key.Matches(msg, k.ForceQuit):
		return f.forceQuit()
	case key.Matches(msg, k.Quit) && !f.Top().Typing():
		return f.back()
	}
	f.status = ""
	return f.Top().Update(msg)
}

// back pops the top screen; on the last one it quits, asking first when
// jobs are running.
func (f *Frame) back() tea.Cmd {
	if len(f.screens) > 1 {
		f.Top().Close()
		f.screens = f.screens[:len(f.screens)-1]
		// What the popped screen did (labels, summaries) shows in the lists.
		return screen.DataChanged
	}
	if n := f.ctx.Jobs.Running(); n > 0 {
		f.ask(fmt.Sprintf("%s still running: quit and cancel them? Finished work is kept. (y/n)", screen.Plural(n, "job is", "jobs are")))
		return nil
	}
	return tea.Quit
}

// forceQuit is ctrl+c: it quits at once, unless that would lose what a
// person typed or cancel running jobs; then it asks first, and a second
// ctrl+c quits.
func (f *Frame) forceQuit() tea.Cmd {
	var lost []string
	for _, s := range f.screens {
		if u, ok := s.(interface{ Unsaved() string }); ok {
			if what := u.Unsaved(); what != "" {
				lost = append(lost, what+" would be lost")
			}
		}
	}
	if n := f.ctx.Jobs.Running(); n > 0 {
		lost = append(lost, screen.Plural(n, "running job", "running jobs")+" would be cancelled (finished work is kept)")
	}
	if len(lost) == 0 {
		return tea.Quit
	}
	f.ask("Quit now? " + strings.Join(lost, "; ") + ". (y/n; ctrl+c again quits)")
	return nil
}

// ask puts the question whether to quit.
func (f *Frame) ask(question string) {
	f.dialog = &dialog{question: question,
		answer: func(yes bool) tea.Cmd { return func() tea.Msg { return quitAnswer{yes} } }}
}
