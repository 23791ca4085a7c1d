// Package ui is popi-tui's interactive program: one root model (App) owns
// the screen size, the key map, the styles and a stack of screens; the
// screens are plain structs the root calls. I/O happens only in tea.Cmds,
// whose results come back as messages. See ARCHITECTURE.md.
package ui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
)

// Context is what every screen can reach: the program's parts, its
// settings and the terminal's size. One Context is shared by all screens.
type Context struct {
	DB         *store.DB
	Engine     *engine.Engine
	Annotator  string
	AppVersion string
	Compare    CompareSpec // what a labeling session compares
	Prefetch   int         // items generated ahead while labeling
	Demo       bool        // the demo: the offline engine stands in for models

	Keys   KeyMap
	Styles Styles
	Jobs   *Jobs

	Width, Height int

	// nav holds the navigation the screens asked for while the current
	// message was handled; the root applies it before Update returns.
	nav []navOp
}

// navOp is one step of navigation: open push, or close the screen pop.
type navOp struct{ push, pop Screen }

// Push opens s on top of the stack. Navigation happens within Update, not
// in a command: a key typed right after enter must reach the screen enter
// opened, not the one under it.
func (c *Context) Push(s Screen) { c.nav = append(c.nav, navOp{push: s}) }

// Pop closes s (normally the top screen; a screen that finishes while
// another covers it, such as Edit saving under the Jobs screen, is taken
// out from under it).
func (c *Context) Pop(s Screen) { c.nav = append(c.nav, navOp{pop: s}) }

// Screen is one screen of the stack. The root routes key messages to the
// top screen and every other message to all screens (each ignores what is
// not its own: a stream delta carries the item it belongs to).
type Screen interface {
	Update(msg tea.Msg) tea.Cmd
	View() string
	Title() string
	// ShortHelp is the help line at the bottom; FullHelp the overlay.
	ShortHelp() []key.Binding
	FullHelp() [][]key.Binding
	// Typing reports that a text field has focus: keys are text then, and
	// the program's own keys (q, ?, J) are not taken.
	Typing() bool
	// Close lets go of what the screen holds (running requests) when it is
	// popped off the stack.
	Close()
}

// Messages the root handles for every screen.
type (
	// errMsg reports a failure to show in the status line.
	errMsg struct{ err error }
	// noticeMsg is a line for the status line.
	noticeMsg struct{ text string }
)

// askMsg puts a yes/no question in front of the screen; answer runs with
// the reply.
type askMsg struct{ d *dialog }

// ask asks a yes/no question (the keys go to it until it is answered).
func ask(question string, answer func(yes bool) tea.Cmd) tea.Cmd {
	return func() tea.Msg { return askMsg{&dialog{question: question, answer: answer}} }
}

func notice(format string) tea.Cmd  { return func() tea.Msg { return noticeMsg{format} } }
func failed(err error) tea.Msg      { return errMsg{err} }
func failedCmd(err error) tea.Cmd   { return func() tea.Msg { return errMsg{err} } }
func batch(cmds ...tea.Cmd) tea.Cmd { return tea.Batch(cmds...) }
