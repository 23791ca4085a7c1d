package compare

import (
	"github.com/charmbracelet/bubbles/key"

	"github.com/popi-tui/popi-tui/ui/screen"
)

// KeyMap is the Compare & label screen's keys, in groups (as
// charmbracelet/crush nests its key map).
type KeyMap struct {
	// Decide is the verdicts on the item, and what goes with them.
	Decide struct {
		Best, Tie, AllBad, Skip, Undo, Rationale key.Binding
	}
	// Panes moves between the answers and scrolls the focused one.
	Panes struct {
		Next, Prev, Regenerate, FoldSummary key.Binding
		screen.NavKeys
	}
	// Input has the keys while a rationale is typed (letters are text).
	Input struct {
		Save, Cancel key.Binding
	}
	Back key.Binding
}

// DefaultKeyMap is the screen's keys.
func DefaultKeyMap() KeyMap {
	var k KeyMap
	k.Decide.Best = key.NewBinding(key.WithKeys("1", "2", "3", "4"), key.WithHelp("1-4", "this pane is best"))
	k.Decide.Tie = key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "tie"))
	k.Decide.AllBad = key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "all bad"))
	k.Decide.Skip = key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "skip"))
	k.Decide.Undo = key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "undo last"))
	k.Decide.Rationale = key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "rationale"))
	k.Panes.Next = key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next pane"))
	k.Panes.Prev = key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous pane"))
	k.Panes.Regenerate = key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "regenerate pane"))
	k.Panes.FoldSummary = key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "fold summary"))
	k.Panes.NavKeys = screen.DefaultNavKeys()
	k.Input.Save = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "save rationale"))
	k.Input.Cancel = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel"))
	k.Back = screen.BackKey()
	return k
}

// ShortHelp is the help line's keys, most used first: the verdicts.
func (s *Screen) ShortHelp() []key.Binding {
	k := s.keys
	if s.input.Focused() {
		return []key.Binding{k.Input.Save, k.Input.Cancel}
	}
	d, p := k.Decide, k.Panes
	return []key.Binding{screen.Brief(d.Best, "best"), d.Tie, d.AllBad, d.Skip, screen.Brief(d.Undo, "undo"), d.Rationale,
		p.Next, screen.Brief(p.Regenerate, "regenerate"), screen.Brief(p.FoldSummary, "fold")}
}

// FullHelp is every key of the screen, for the ? overlay.
func (s *Screen) FullHelp() [][]key.Binding {
	k := s.keys
	d, p := k.Decide, k.Panes
	return [][]key.Binding{
		{d.Best, d.Tie, d.AllBad, d.Skip, d.Undo, d.Rationale, k.Input.Save, k.Back},
		{p.Next, p.Prev, p.Up, p.Down, p.PageUp, p.PageDown, p.Top, p.Bottom, p.Regenerate, p.FoldSummary},
	}
}
