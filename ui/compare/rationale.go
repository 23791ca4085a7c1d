package compare

// The rationale: c writes the one of the item on screen, which waits with
// the item (no record yet) and goes into the label of its next verdict, so
// that a verdict and its reason are one record, as in Prodigy and Argilla;
// C amends the last decision's, as a new record that replaces it.

import (
	"fmt"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// openRationale focuses the rationale field for the item on screen or for
// the last decision. With no item on screen (every item labeled) the
// rationale can only be the last decision's.
func (s *Screen) openRationale(target rationaleTarget) tea.Cmd {
	if s.saving {
		return nil // the item on screen is about to change
	}
	it := s.current()
	if it == nil {
		target = rationaleLast
	}
	var text string
	switch target {
	case rationaleItem:
		s.inputPrompt = "rationale for this item (your verdict saves it)"
		s.typingAt, text = it.q.key(), it.rationale
	default:
		if len(s.undo) == 0 {
			return screen.Notice("no decision yet: C amends the last decision's rationale, c writes this item's")
		}
		last := s.undo[len(s.undo)-1]
		// Say which decision it goes with: the screen has moved on from it.
		s.inputPrompt = fmt.Sprintf("amend the rationale of %s · %s (%s)", screen.Line(last.User), screen.Line(last.PromptID), decisionText(last))
		text = last.Rationale
	}
	s.typing = target
	s.sizeInput()
	s.input.SetValue(text)
	s.input.CursorEnd()
	return s.input.Focus()
}

// sizeInput fits the rationale field to the width: the prompt gets at
// most half of it, and the text scrolls sideways in the rest, cursor in
// view.
func (s *Screen) sizeInput() {
	w := s.ctx.Width
	s.input.Prompt = ansi.Truncate(s.inputPrompt, w/2-2, "…") + ": "
	s.input.Width = max(8, w-ansi.StringWidth(s.input.Prompt)-2)
	s.input.SetCursor(s.input.Position()) // scrolls again for the new width
}

// saveRationale keeps an item's rationale for its verdict, or records the
// last decision's as a new decision that copies it and amends it: labels
// are never changed in place.
func (s *Screen) saveRationale() tea.Cmd {
	text := strings.TrimSpace(s.input.Value())
	s.input.Blur()
	s.input.SetValue("")
	if s.typing == rationaleItem {
		it, ok := s.items[s.typingAt]
		switch {
		case !ok || s.q.doneKey(s.typingAt):
			return screen.Notice("rationale not kept: its item was decided meanwhile")
		case text == it.rationale:
			return screen.Notice("rationale unchanged")
		case text == "":
			it.rationale = ""
			return screen.Notice("rationale cleared")
		}
		it.rationale = text
		return screen.Notice("rationale kept: your verdict on this item saves it")
	}
	if s.saving || len(s.undo) == 0 {
		return nil
	}
	last := s.undo[len(s.undo)-1]
	if text == "" || text == last.Rationale {
		return screen.Notice("rationale unchanged")
	}
	l := last
	l.ID, l.Amends, l.Rationale = "", last.ID, text
	l.DecidedAt, l.AppVersion = time.Now().UTC(), s.ctx.AppVersion
	l.Candidates = append([]store.Candidate(nil), last.Candidates...)
	l.Ranking = append([]string(nil), last.Ranking...)
	sess := s.session
	sess.UpdatedAt = l.DecidedAt
	s.saving = true
	return s.commit(opRationale, l, store.Label{}, sess)
}

// rationaleLine is the kept rationale of the item on screen, one line.
func (s *Screen) rationaleLine(it *compareItem, w int) (string, bool) {
	if it.rationale == "" || s.input.Focused() {
		return "", false
	}
	st := s.ctx.Styles
	return screen.Fit(st.Muted.Render("Rationale (saved with your verdict; c edits): ")+screen.Line(it.rationale), w), true
}

// decisionText is how a decision reads in the status line: "a best",
// "tie", "ranking b > a = c".
func decisionText(l store.Label) string {
	if len(l.Ranking) > 0 {
		return "ranking " + rankingText(l.Ranking)
	}
	return verdictText(l.Verdict)
}
