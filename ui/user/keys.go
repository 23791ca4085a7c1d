package user

import (
	"github.com/charmbracelet/bubbles/key"

	"github.com/popi-tui/popi-tui/ui/screen"
)

// KeyMap is the User screen's keys, in groups (as charmbracelet/crush
// nests its key map); the Edit screen has its own, EditKeyMap.
type KeyMap struct {
	// Panes switches between the history and the summary and scrolls the
	// focused one (while a version is being chosen, up and down move the
	// choice).
	Panes struct {
		Next key.Binding
		screen.NavKeys
	}
	// Versions is the summary's versions: choose one (v), end choosing
	// (v, enter or esc), make it current again, diff it against the one
	// before.
	Versions struct {
		Choose, Done, MakeCurrent, Diff key.Binding
	}
	// Summary makes a new version: by hand, or by the default summarizer.
	Summary struct {
		Edit, Infer key.Binding
	}
	Persona, Back key.Binding
	// Label opens labeling of this user's items.
	Label key.Binding
}

// DefaultKeyMap is the User screen's keys.
func DefaultKeyMap() KeyMap {
	var k KeyMap
	k.Panes.Next = key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next pane"))
	k.Panes.NavKeys = screen.DefaultNavKeys()
	k.Versions.Choose = key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "versions"))
	k.Versions.Done = key.NewBinding(key.WithKeys("enter"), key.WithHelp("v/enter", "done"))
	k.Versions.MakeCurrent = key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "make version current"))
	k.Versions.Diff = key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "diff versions"))
	k.Summary.Edit = key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "edit summary"))
	k.Summary.Infer = key.NewBinding(key.WithKeys("i"), key.WithHelp("i", "infer summary"))
	k.Persona = key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "show persona"))
	k.Back = screen.BackKey()
	k.Label = key.NewBinding(key.WithKeys("l"), key.WithHelp("l", "label this user"))
	return k
}

// ShortHelp is the help line's keys, the toggles saying what they do now.
func (s *Screen) ShortHelp() []key.Binding {
	k := s.keys
	if s.choosing {
		return []key.Binding{k.Panes.Up, k.Panes.Down, screen.Brief(k.Versions.MakeCurrent, "make current"), s.diffKey(),
			screen.Brief(k.Summary.Edit, "edit"), k.Versions.Done}
	}
	return []key.Binding{k.Panes.Next, k.Versions.Choose, s.diffKey(), s.personaKey(), screen.Brief(k.Summary.Edit, "edit"),
		screen.Brief(k.Summary.Infer, "infer")}
}

// FullHelp is every key of the screen, for the ? overlay.
func (s *Screen) FullHelp() [][]key.Binding {
	k := s.keys
	p := k.Panes
	return [][]key.Binding{{p.Up, p.Down, p.PageUp, p.PageDown, p.Top, p.Bottom, p.Next},
		{k.Versions.Choose, k.Versions.MakeCurrent, s.diffKey(), s.personaKey(), k.Summary.Edit, k.Summary.Infer, k.Label, k.Back}}
}

// diffKey and personaKey say what the toggle does now.
func (s *Screen) diffKey() key.Binding {
	if s.diff {
		return screen.Brief(s.keys.Versions.Diff, "hide diff")
	}
	return s.keys.Versions.Diff
}

func (s *Screen) personaKey() key.Binding {
	if s.persona {
		return screen.Brief(s.keys.Persona, "hide persona")
	}
	return s.keys.Persona
}

// EditKeyMap is the Edit screen's keys: letters are text there, so its
// own are control keys and esc.
type EditKeyMap struct {
	Save, Reinfer, Cancel key.Binding
	// Picker chooses the summarizer to re-infer with.
	Picker struct {
		Up, Down, Start key.Binding
	}
}

// DefaultEditKeyMap is the Edit screen's keys.
func DefaultEditKeyMap() EditKeyMap {
	var k EditKeyMap
	k.Save = key.NewBinding(key.WithKeys("ctrl+s"), key.WithHelp("ctrl+s", "save"))
	k.Reinfer = key.NewBinding(key.WithKeys("ctrl+r"), key.WithHelp("ctrl+r", "re-infer"))
	k.Cancel = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel"))
	nav := screen.DefaultNavKeys()
	k.Picker.Up, k.Picker.Down = nav.Up, nav.Down
	k.Picker.Start = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "re-infer"))
	return k
}

// ShortHelp is the help line's keys: the picker's while it is open, esc
// alone while re-inferring.
func (s *Edit) ShortHelp() []key.Binding {
	k := s.keys
	switch {
	case s.picking:
		return []key.Binding{k.Picker.Up, k.Picker.Down, k.Picker.Start, k.Cancel}
	case s.inference != nil:
		return []key.Binding{k.Cancel}
	}
	return []key.Binding{k.Save, k.Reinfer, k.Cancel}
}

// FullHelp is every key of the screen, for the ? overlay.
func (s *Edit) FullHelp() [][]key.Binding {
	k := s.keys
	return [][]key.Binding{{k.Save, k.Reinfer, k.Cancel}}
}
