package screen

import (
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/engine"
)

// Messages the root, or more than one screen, handles. A screen's own
// messages stay in its package.
type (
	// ErrMsg reports a failure to show in the status line.
	ErrMsg struct{ Err error }
	// NoticeMsg is a line for the status line.
	NoticeMsg struct{ Text string }
	// AskMsg puts a yes/no question in front of the screen: the keys go
	// to it until it is answered, and Answer runs with the reply.
	AskMsg struct {
		Question string
		Answer   func(yes bool) tea.Cmd
	}
	// DataChangedMsg says the database changed under the lists (a summary
	// saved, a screen closed after labeling): what they show is read again.
	DataChangedMsg struct{}
	// LabelSavedMsg says a decision was committed: the figures that count
	// labels are read again.
	LabelSavedMsg struct{}
	// JobDoneMsg is a bulk job's end: what it stored is in the database.
	JobDoneMsg struct {
		ID     int
		Report engine.Report
		Err    error
	}
)

// Notice is the command that puts text in the status line.
func Notice(text string) tea.Cmd { return func() tea.Msg { return NoticeMsg{text} } }

// Failed is the command that reports err in the status line.
func Failed(err error) tea.Cmd { return func() tea.Msg { return ErrMsg{err} } }

// Ask is the command that asks a yes/no question.
func Ask(question string, answer func(yes bool) tea.Cmd) tea.Cmd {
	return func() tea.Msg { return AskMsg{Question: question, Answer: answer} }
}

// DataChanged is the command (a tea.Cmd as it stands) that tells every
// screen the database changed.
func DataChanged() tea.Msg { return DataChangedMsg{} }

// LabelSaved is the command that tells every screen a decision was
// committed.
func LabelSaved() tea.Msg { return LabelSavedMsg{} }

// After is a timer: msg, d from now. Timers are made with After only, so
// that the tests' harness (ui/uitest), which waits for every command to
// return, can tell a timer from work and not wait for it (by the name of
// the function it returns, which inlining would change: hence noinline).
//
//go:noinline
func After(d time.Duration, msg tea.Msg) tea.Cmd {
	return func() tea.Msg {
		t := time.NewTimer(d)
		defer t.Stop()
		<-t.C
		return msg
	}
}
