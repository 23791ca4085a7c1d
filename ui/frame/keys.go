package frame

import "github.com/charmbracelet/bubbles/key"

// Keys is the program's own keys, the same on every screen: the frame
// takes q and ctrl+c (and a question's y and n), the root ? (help), J
// (jobs), S (stats), D (this annotator's decisions) and E (export). They
// are composed with the top screen's keys for the help line and the ?
// overlay.
type Keys struct {
	Help, Jobs, Stats, Decisions, Export, Quit, ForceQuit key.Binding
	// A yes/no question's answers (q answers no too).
	Yes, No key.Binding
}

// DefaultKeys is the program's keys.
func DefaultKeys() Keys {
	return Keys{
		Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Jobs:      key.NewBinding(key.WithKeys("J"), key.WithHelp("J", "jobs")),
		Stats:     key.NewBinding(key.WithKeys("S"), key.WithHelp("S", "stats")),
		Decisions: key.NewBinding(key.WithKeys("D"), key.WithHelp("D", "your decisions")),
		Export:    key.NewBinding(key.WithKeys("E"), key.WithHelp("E", "export")),
		Quit:      key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "back/quit")),
		ForceQuit: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
		Yes:       key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "yes")),
		No:        key.NewBinding(key.WithKeys("n", "esc"), key.WithHelp("n", "no")),
	}
}

// Global is the program's keys as the ? overlay lists them, after the
// screen's.
func (k Keys) Global() []key.Binding {
	return []key.Binding{k.Help, k.Jobs, k.Stats, k.Decisions, k.Export, k.Quit, k.ForceQuit}
}
