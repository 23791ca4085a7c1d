package export

import (
	"github.com/charmbracelet/bubbles/key"

	"github.com/popi-tui/popi-tui/ui/screen"
)

// KeyMap is the Export screen's keys: the form's rows (what to export,
// whose labels, the file) and running the export.
type KeyMap struct {
	Form struct {
		Up, Down, Prev, Next key.Binding
	}
	Run, Back key.Binding
}

// DefaultKeyMap is the Export screen's keys. Left and right change the
// choice of the row they are on; on the file's row they move in the text.
func DefaultKeyMap() KeyMap {
	var k KeyMap
	k.Form.Up = key.NewBinding(key.WithKeys("up", "shift+tab"), key.WithHelp("↑", "previous row"))
	k.Form.Down = key.NewBinding(key.WithKeys("down", "tab"), key.WithHelp("↓/tab", "next row"))
	k.Form.Prev = key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←", "previous choice"))
	k.Form.Next = key.NewBinding(key.WithKeys("right", "l"), key.WithHelp("→", "next choice"))
	k.Run = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "export"))
	k.Back = screen.BackKey()
	return k
}

// ShortHelp is the help line's keys, the export first.
func (s *Screen) ShortHelp() []key.Binding {
	k := s.keys
	if s.row == rowPath {
		return []key.Binding{k.Run, k.Form.Up, k.Back}
	}
	return []key.Binding{k.Run, k.Form.Down, screen.Brief(k.Form.Next, "change"), k.Back}
}

// FullHelp is every key of the screen, for the ? overlay.
func (s *Screen) FullHelp() [][]key.Binding {
	k := s.keys
	return [][]key.Binding{{k.Form.Up, k.Form.Down, k.Form.Prev, k.Form.Next}, {k.Run, k.Back}}
}
