package summaries

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// KeyMap is the Compare summaries screen's keys, in groups.
type KeyMap struct {
	// Decide is the verdicts on the item.
	Decide struct {
		Best, Tie, AllBad, Skip, Undo key.Binding
	}
	// Panes moves between the summaries and scrolls the focused one (or
	// the history, while it is open).
	Panes struct {
		Next, Prev, History key.Binding
		screen.NavKeys
	}
	Back key.Binding
}

// DefaultKeyMap is the screen's keys.
func DefaultKeyMap() KeyMap {
	var k KeyMap
	k.Decide.Best = key.NewBinding(key.WithKeys("1", "2", "3", "4"), key.WithHelp("1-4", "this summary describes the user best"))
	k.Decide.Tie = key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "tie"))
	k.Decide.AllBad = key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "all bad"))
	k.Decide.Skip = key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "skip"))
	k.Decide.Undo = key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "undo last"))
	k.Panes.Next = key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next pane"))
	k.Panes.Prev = key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous pane"))
	k.Panes.History = key.NewBinding(key.WithKeys("h"), key.WithHelp("h", "the user's history and held-out pairs"))
	k.Panes.NavKeys = screen.DefaultNavKeys()
	k.Back = screen.BackKey()
	return k
}

// verdict is the verdict a key gives: a pane letter for 1–4, or tie,
// all bad, skip.
func (k KeyMap) verdict(msg tea.KeyMsg) (string, bool) {
	d := k.Decide
	switch {
	case key.Matches(msg, d.Best):
		return store.PaneLetter(int(msg.String()[0] - '1')), true
	case key.Matches(msg, d.Tie):
		return store.VerdictTie, true
	case key.Matches(msg, d.AllBad):
		return store.VerdictBothBad, true
	case key.Matches(msg, d.Skip):
		return store.VerdictSkip, true
	}
	return "", false
}

// ShortHelp is the help line's keys, most used first: the verdicts, then
// the user's history.
func (s *Screen) ShortHelp() []key.Binding {
	d, p := s.keys.Decide, s.keys.Panes
	switch {
	case s.overlay:
		return []key.Binding{screen.Brief(p.History, "close history"), p.Down, p.Up, p.PageDown, p.PageUp}
	case s.loaded && s.current() == nil: // the end of the queue: only undo does anything
		return []key.Binding{d.Undo}
	}
	return []key.Binding{screen.Brief(d.Best, "best"), d.Tie, d.AllBad, d.Skip, screen.Brief(d.Undo, "undo"),
		screen.Brief(p.History, "history"), p.Next}
}

// FullHelp is every key of the screen, for the ? overlay.
func (s *Screen) FullHelp() [][]key.Binding {
	d, p := s.keys.Decide, s.keys.Panes
	return [][]key.Binding{
		{d.Best, d.Tie, d.AllBad, d.Skip, d.Undo, s.keys.Back},
		{p.Next, p.Prev, p.History, p.Up, p.Down, p.PageUp, p.PageDown, p.Top, p.Bottom},
	}
}
