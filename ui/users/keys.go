package users

import (
	"github.com/charmbracelet/bubbles/key"

	"github.com/popi-tui/popi-tui/ui/screen"
)

// KeyMap is the Users screen's keys, in groups (as charmbracelet/crush
// nests its key map).
type KeyMap struct {
	// Nav moves the cursor.
	Nav screen.NavKeys
	// List opens the user under the cursor and filters the list (while the
	// filter is typed into, enter ends it and esc clears it).
	List struct {
		Open, Filter, ClearFilter key.Binding
	}
	// Work starts labeling, and the bulk jobs.
	Work struct {
		Label, Infer, Generate key.Binding
	}
}

// DefaultKeyMap is the Users screen's keys.
func DefaultKeyMap() KeyMap {
	k := KeyMap{Nav: screen.DefaultNavKeys()}
	k.List.Open = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open"))
	k.List.Filter = key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter"))
	k.List.ClearFilter = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter"))
	k.Work.Label = key.NewBinding(key.WithKeys("l"), key.WithHelp("l", "label"))
	k.Work.Infer = key.NewBinding(key.WithKeys("i"), key.WithHelp("i", "infer summary"))
	k.Work.Generate = key.NewBinding(key.WithKeys("g"), key.WithHelp("g", "generate"))
	return k
}

// ShortHelp is the help line's keys: the filter's while it is typed into.
func (s *Screen) ShortHelp() []key.Binding {
	k := s.keys
	if s.filter.Focused() {
		return []key.Binding{screen.Brief(k.List.Open, "done"), k.List.ClearFilter}
	}
	label := k.Work.Label
	if s.query != "" {
		label = screen.Brief(label, "label these")
	}
	return []key.Binding{k.List.Open, k.List.Filter, label, screen.Brief(k.Work.Infer, "infer summaries"), k.Work.Generate}
}

// FullHelp is every key of the screen, for the ? overlay.
func (s *Screen) FullHelp() [][]key.Binding {
	k := s.keys
	n := k.Nav
	return [][]key.Binding{{n.Up, n.Down, n.PageUp, n.PageDown, n.Top, n.Bottom, k.List.Open, k.List.Filter, k.List.ClearFilter},
		{k.Work.Label, k.Work.Infer, k.Work.Generate}}
}
