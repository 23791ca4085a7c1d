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
		Best, Tie, AllBad, Skip, Undo, Rationale, Amend, Rank key.Binding
	}
	// Rank is the keys of ranking mode (1–4 are the next best).
	Rank struct {
		Equal, TakeBack, Leave key.Binding
	}
	// View opens what stands behind the item, over the panes.
	View struct {
		Prompt, Persona, History key.Binding
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
	k.Decide.Rationale = key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "rationale of this item"))
	k.Decide.Amend = key.NewBinding(key.WithKeys("C"), key.WithHelp("C", "amend the last decision's rationale"))
	k.Decide.Rank = key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "ranking mode (3–4 panes)"))
	k.Rank.Equal = key.NewBinding(key.WithKeys("t", "="), key.WithHelp("t", "the next pane ranks equal"))
	k.Rank.TakeBack = key.NewBinding(key.WithKeys("backspace"), key.WithHelp("backspace", "take back the last rank"))
	k.Rank.Leave = key.NewBinding(key.WithKeys("esc", "R"), key.WithHelp("esc", "leave ranking mode"))
	k.View.Prompt = key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "expand the prompt"))
	k.View.Persona = key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "the user's persona"))
	k.View.History = key.NewBinding(key.WithKeys("h"), key.WithHelp("h", "the user's history"))
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

// ShortHelp is the help line's keys, most used first: the verdicts; in a
// mode (typing, an overlay, ranking, the end of the queue) only the keys
// that do something there.
func (s *Screen) ShortHelp() []key.Binding {
	k := s.keys
	d, p, v := k.Decide, k.Panes, k.View
	switch {
	case s.input.Focused():
		return []key.Binding{k.Input.Save, k.Input.Cancel}
	case s.overlay != nil:
		return []key.Binding{screen.Brief(p.Down, "scroll"), screen.Brief(p.PageDown, "page"), screen.Brief(k.Back, "close")}
	case s.loaded && s.loadErr == nil && s.current() == nil:
		// The end of the queue: nothing to decide.
		return []key.Binding{screen.Brief(d.Undo, "undo last"), screen.Brief(d.Amend, "amend rationale")}
	case s.rank != nil:
		return []key.Binding{screen.Brief(d.Best, "next best"), screen.Brief(k.Rank.Equal, "equal to last"),
			screen.Brief(k.Rank.TakeBack, "take back"), screen.Brief(k.Rank.Leave, "leave ranking"), p.Next}
	}
	keys := []key.Binding{screen.Brief(d.Best, "best"), d.Tie, d.AllBad, d.Skip, screen.Brief(d.Undo, "undo"), screen.Brief(d.Rationale, "rationale")}
	if len(s.ctx.Compare.Candidates) >= 3 {
		keys = append(keys, screen.Brief(d.Rank, "rank"))
	}
	return append(keys, p.Next, screen.Brief(v.Prompt, "prompt"), screen.Brief(v.Persona, "persona"), screen.Brief(v.History, "history"),
		screen.Brief(p.Regenerate, "regenerate"), screen.Brief(p.FoldSummary, "fold"), screen.Brief(d.Amend, "amend"))
}

// FullHelp is every key of the screen, for the ? overlay.
func (s *Screen) FullHelp() [][]key.Binding {
	k := s.keys
	d, p, v := k.Decide, k.Panes, k.View
	return [][]key.Binding{
		{d.Best, d.Tie, d.AllBad, d.Skip, d.Undo, d.Rationale, d.Amend, k.Input.Save, k.Back},
		{d.Rank, k.Rank.Equal, k.Rank.TakeBack, k.Rank.Leave, v.Prompt, v.Persona, v.History},
		{p.Next, p.Prev, p.Up, p.Down, p.PageUp, p.PageDown, p.Top, p.Bottom, p.Regenerate, p.FoldSummary},
	}
}
