package screen

import (
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/store"
)

// LabelReplacedMsg says a decision was replaced from the Decisions screen
// (store.ReplaceDecision): Old is taken back and New is current. Every
// screen gets it, after the store has it on disk: one that keeps
// decisions (Compare's undo) swaps Old for New, so that it never takes
// back a decision that is no longer current.
type LabelReplacedMsg struct{ Old, New store.Label }

// LabelReplaced is the command that tells every screen of a replacement.
func LabelReplaced(old, new store.Label) tea.Cmd {
	return func() tea.Msg { return LabelReplacedMsg{Old: old, New: new} }
}

// Verdict says a decision in a few words: "b best", "tie", "all bad",
// "skipped", or a ranking, best first: "b > a > c".
func Verdict(l store.Label) string {
	switch l.Verdict {
	case store.VerdictTie:
		return "tie"
	case store.VerdictBothBad:
		return "all bad"
	case store.VerdictSkip:
		return "skipped"
	case "":
		if len(l.Ranking) > 0 {
			return strings.Join(l.Ranking, " > ")
		}
		return "–"
	}
	return l.Verdict + " best"
}
