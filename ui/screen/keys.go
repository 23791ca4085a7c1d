package screen

import "github.com/charmbracelet/bubbles/key"

// KeyMap is every key binding of the program, in one place: the screens
// match keys against it and the help line and overlay are built from it
// (DESIGN §4.3).
type KeyMap struct {
	// Everywhere.
	Help, Quit, Back, ForceQuit, Jobs, Stats key.Binding
	// Lists and panes.
	Up, Down, PageUp, PageDown, Top, Bottom, Open, Filter, ClearFilter key.Binding
	// Users and User.
	Label, Infer, Generate, Edit, Diff, Persona, MakeCurrent, Versions key.Binding
	// Edit summary.
	Save, Cancel, Reinfer key.Binding
	// Compare & label.
	Best, Tie, AllBad, Skip, Undo, Rationale, NextPane, Regenerate, ToggleSummary key.Binding
	// PrevPane moves the focus back; SaveRationale saves the rationale
	// being typed (Cancel drops it).
	PrevPane, SaveRationale key.Binding
	// Jobs.
	CancelJob key.Binding
	// Dialogs.
	Yes, No key.Binding
}

// DefaultKeyMap is DESIGN §4.3's table.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:      key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "back/quit")),
		Back:      key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		ForceQuit: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
		Jobs:      key.NewBinding(key.WithKeys("J"), key.WithHelp("J", "jobs")),
		Stats:     key.NewBinding(key.WithKeys("S"), key.WithHelp("S", "stats")),

		Up:          key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:        key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:      key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup", "page up")),
		PageDown:    key.NewBinding(key.WithKeys("pgdown", " "), key.WithHelp("pgdn/space", "page down")),
		Top:         key.NewBinding(key.WithKeys("home"), key.WithHelp("home", "first")),
		Bottom:      key.NewBinding(key.WithKeys("end"), key.WithHelp("end", "last")),
		Open:        key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
		Filter:      key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		ClearFilter: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),

		Label:       key.NewBinding(key.WithKeys("l"), key.WithHelp("l", "label")),
		Infer:       key.NewBinding(key.WithKeys("i"), key.WithHelp("i", "infer summary")),
		Generate:    key.NewBinding(key.WithKeys("g"), key.WithHelp("g", "generate")),
		Edit:        key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "edit summary")),
		Diff:        key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "diff versions")),
		Persona:     key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "show persona")),
		MakeCurrent: key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "make version current")),
		Versions:    key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "versions")),

		Save:   key.NewBinding(key.WithKeys("ctrl+s"), key.WithHelp("ctrl+s", "save")),
		Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		// Re-infer is a control key: in the edit screen letters are text.
		Reinfer: key.NewBinding(key.WithKeys("ctrl+r"), key.WithHelp("ctrl+r", "re-infer")),

		Best:          key.NewBinding(key.WithKeys("1", "2", "3", "4"), key.WithHelp("1-4", "this pane is best")),
		Tie:           key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "tie")),
		AllBad:        key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "all bad")),
		Skip:          key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "skip")),
		Undo:          key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "undo last")),
		Rationale:     key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "rationale")),
		NextPane:      key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next pane")),
		Regenerate:    key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "regenerate pane")),
		ToggleSummary: key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "fold summary")),
		PrevPane:      key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous pane")),
		SaveRationale: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "save rationale")),

		CancelJob: key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "cancel job")),

		Yes: key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "yes")),
		No:  key.NewBinding(key.WithKeys("n", "esc"), key.WithHelp("n", "no")),
	}
}
