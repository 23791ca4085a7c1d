package decisions

import (
	"github.com/charmbracelet/bubbles/key"

	"github.com/popi-tui/popi-tui/ui/screen"
)

// ListKeyMap is the Decisions list's keys, in groups.
type ListKeyMap struct {
	Nav screen.NavKeys
	// List opens the decision under the cursor and filters the list
	// (while the filter is typed into, enter ends it and esc clears it).
	List struct {
		Open, Filter, ClearFilter key.Binding
	}
	Back key.Binding
}

// DefaultListKeyMap is the list's keys.
func DefaultListKeyMap() ListKeyMap {
	k := ListKeyMap{Nav: screen.DefaultNavKeys(), Back: screen.BackKey()}
	k.List.Open = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open"))
	k.List.Filter = key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter"))
	k.List.ClearFilter = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter"))
	return k
}

// ShortHelp is the help line's keys: the filter's while it is typed into.
func (s *Screen) ShortHelp() []key.Binding {
	k := s.keys
	if s.filter.Focused() {
		return []key.Binding{screen.Brief(k.List.Open, "done"), k.List.ClearFilter}
	}
	return []key.Binding{k.List.Open, k.List.Filter, k.Back}
}

// FullHelp is every key of the list, for the ? overlay.
func (s *Screen) FullHelp() [][]key.Binding {
	k := s.keys
	n := k.Nav
	return [][]key.Binding{{n.Up, n.Down, n.PageUp, n.PageDown, n.Top, n.Bottom},
		{k.List.Open, k.List.Filter, k.List.ClearFilter, k.Back}}
}

// ItemKeyMap is the keys of one decision opened from the list: the
// verdicts replace it, as they decide on Compare.
type ItemKeyMap struct {
	Replace struct {
		Best, Tie, AllBad, Skip key.Binding
	}
	Panes struct {
		Next, Prev key.Binding
		screen.NavKeys
	}
	Back key.Binding
}

// DefaultItemKeyMap is the keys of an opened decision: Compare's verdict
// keys, so that the hands know them.
func DefaultItemKeyMap() ItemKeyMap {
	var k ItemKeyMap
	k.Replace.Best = key.NewBinding(key.WithKeys("1", "2", "3", "4"), key.WithHelp("1-4", "replace: this pane is best"))
	k.Replace.Tie = key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "replace: tie"))
	k.Replace.AllBad = key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "replace: all bad"))
	k.Replace.Skip = key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "replace: skip"))
	k.Panes.Next = key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next pane"))
	k.Panes.Prev = key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous pane"))
	k.Panes.NavKeys = screen.DefaultNavKeys()
	k.Back = screen.BackKey()
	return k
}

// ShortHelp is the help line's keys: the replacing verdicts first.
func (s *Item) ShortHelp() []key.Binding {
	k := s.keys
	r := k.Replace
	return []key.Binding{screen.Brief(r.Best, "best"), screen.Brief(r.Tie, "tie"), screen.Brief(r.AllBad, "all bad"),
		screen.Brief(r.Skip, "skip"), k.Panes.Next, k.Back}
}

// FullHelp is every key of an opened decision, for the ? overlay.
func (s *Item) FullHelp() [][]key.Binding {
	k := s.keys
	r, p := k.Replace, k.Panes
	return [][]key.Binding{{r.Best, r.Tie, r.AllBad, r.Skip, k.Back},
		{p.Next, p.Prev, p.Up, p.Down, p.PageUp, p.PageDown, p.Top, p.Bottom}}
}
