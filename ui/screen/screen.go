// Package screen is what every screen of the interactive program is built
// on: the Context they share (the program's parts, its settings, the
// terminal's size, navigation), the Screen interface the root calls, the
// Styles, the messages more than one screen handles, the text helpers, the
// streaming primitive (Stream) and the key bindings screens have in common.
// It knows no screen; each screen is a package of its own, and the root
// model (package ui) composes them. See ARCHITECTURE.md.
package screen

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
)

// The smallest terminal the screens are laid out for.
const (
	MinWidth  = 60
	MinHeight = 20
)

// MaxFPS bounds how often the view is drawn, streaming included.
const MaxFPS = 30

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

	// Queue is the labeling queue's rules: skips, the team (queue.go).
	Queue QueueSettings
	// NewLabeling makes a Compare & label screen over a selection of users
	// (compare.NewFor; the root sets it): screens that package compare
	// cannot be imported by, such as User, start labeling through it.
	NewLabeling func(ctx *Context, sel Selection) Screen

	Styles Styles
	Jobs   Jobs

	Width, Height int

	// nav holds the navigation the screens asked for while the current
	// message was handled; the root applies it before Update returns.
	nav []Nav
}

// Nav is one step of navigation: open Push, or close the screen Pop.
type Nav struct{ Push, Pop Screen }

// Push opens s on top of the stack. Navigation happens within Update, not
// in a command: a key typed right after enter must reach the screen enter
// opened, not the one under it.
func (c *Context) Push(s Screen) { c.nav = append(c.nav, Nav{Push: s}) }

// Pop closes s (normally the top screen; a screen that finishes while
// another covers it, such as Edit saving under the Jobs screen, is taken
// out from under it).
func (c *Context) Pop(s Screen) { c.nav = append(c.nav, Nav{Pop: s}) }

// TakeNav returns the navigation asked for since it was last taken, in
// order; the root applies it.
func (c *Context) TakeNav() []Nav {
	nav := c.nav
	c.nav = nil
	return nav
}

// Screen is one screen of the stack. The root routes key messages to the
// top screen and every other message to all screens (each ignores what is
// not its own: a stream's text names its stream).
type Screen interface {
	Update(msg tea.Msg) tea.Cmd
	View() string
	Title() string
	// ShortHelp is the screen's keys for the help line, most important
	// first (the root adds its own and keeps what fits); FullHelp is every
	// key of the screen, in groups, for the ? overlay.
	ShortHelp() []key.Binding
	FullHelp() [][]key.Binding
	// Typing reports that a text field has focus: keys are text then, and
	// the program's own keys (q, ?, J, S) are not taken.
	Typing() bool
	// Close lets go of what the screen holds (running requests) when it is
	// popped off the stack.
	Close()
}

// Jobs is what the screens ask of the bulk runs (package jobs runs them).
// The root gives it every message, as it does the screens.
type Jobs interface {
	Update(msg tea.Msg) tea.Cmd
	// Running is the number of jobs not finished.
	Running() int
	// InferMissing summarizes, in the background, every user without a
	// summary, with the default summarizer.
	InferMissing() tea.Cmd
	// Generate answers, in the background, every task and held-out prompt
	// with what spec compares.
	Generate(spec CompareSpec) tea.Cmd
	// Inferring names the running inference job that will summarize user
	// (hasSummary: the user has a summary now, which a job inferring
	// missing summaries passes over).
	Inferring(user string, hasSummary bool) (title string, ok bool)
}
