package summaries

// Keys and the decisions they make: a decision or an undo is a label
// committed by the store (fsync'd, with the session) in a command, and the
// screen moves on only on its success message.

import (
	"fmt"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// key takes a key: the history's while it is open, else a verdict or a
// pane's.
func (s *Screen) key(msg tea.KeyMsg) tea.Cmd {
	d, p := s.keys.Decide, s.keys.Panes
	if s.overlay {
		if key.Matches(msg, s.keys.Back, p.History) {
			s.overlay = false
			return nil
		}
		s.scrollHistory(msg)
		return nil
	}
	it := s.current()
	if v, ok := s.keys.verdict(msg); ok {
		if n := int(v[0]-'a') + 1; it != nil && len(v) == 1 && n > len(it.Summaries) {
			return screen.Notice(fmt.Sprintf("there are %d summaries: 1–%d names the best", len(it.Summaries), len(it.Summaries)))
		}
		return s.decide(v)
	}
	switch {
	case key.Matches(msg, s.keys.Back):
		s.ctx.Pop(s)
	case key.Matches(msg, d.Undo):
		return s.undoLast()
	case it == nil:
	case key.Matches(msg, p.History):
		return s.openHistory(it.User)
	case key.Matches(msg, p.Next):
		s.focus = (s.focus + 1) % len(it.Summaries)
	case key.Matches(msg, p.Prev):
		s.focus = (s.focus + len(it.Summaries) - 1) % len(it.Summaries)
	default:
		s.scrollPane(msg)
	}
	return nil
}

// decide commits a verdict on the item shown; the screen moves on when
// the store says it is on disk.
func (s *Screen) decide(verdict string) tea.Cmd {
	it := s.current()
	switch {
	case s.saving:
		return nil
	case !s.loaded:
		return screen.Notice("still loading the queue")
	case it == nil:
		return screen.Notice("every user is judged: u takes back the last decision, q goes back")
	}
	now := time.Now().UTC()
	l := store.Label{Kind: store.LabelDecision, User: it.User, PromptID: it.PromptID, Prompt: Question,
		Verdict: verdict, Annotator: s.ctx.Annotator, ShownAt: s.shownAt, DecidedAt: now, AppVersion: s.ctx.AppVersion}
	for pane, slot := range s.order {
		sum, cand := it.Summaries[slot], s.ctx.Compare.Candidates[slot]
		l.Candidates = append(l.Candidates, store.Candidate{Pane: store.PaneLetter(pane), Slot: slot,
			Backend: cand.Backend, Model: sum.Model, Condition: cand.Condition, SummaryID: sum.ID})
	}
	sess := s.session
	sess.Position, sess.LastItem, sess.UpdatedAt = s.q.doneCount()+1, it.key(), now
	return s.commit(false, l, store.Label{}, sess)
}

// commit stores a label with the session in one fsync'd transaction;
// decision keys wait for it.
func (s *Screen) commit(undo bool, l, undone store.Label, sess store.Session) tea.Cmd {
	s.saving = true
	return screen.CommitLabel(s.ctx.DB, l, sess, func(stored store.Label, err error) tea.Msg {
		return savedMsg{undo: undo, label: stored, undone: undone, session: sess, err: err}
	})
}

// undoLast takes back the newest decision with a retraction record; its
// item is shown again.
func (s *Screen) undoLast() tea.Cmd {
	switch {
	case s.saving || !s.loaded:
		return nil
	case len(s.undo) == 0:
		return screen.Notice("nothing to undo")
	}
	last := s.undo[len(s.undo)-1]
	now := time.Now().UTC()
	sess := s.session
	sess.Position, sess.UpdatedAt = max(0, s.q.doneCount()-1), now
	// A reopened session then starts at the item taken back.
	sess.LastItem = ""
	if pos, ok := s.q.index[itemKey(last.User, last.PromptID)]; ok && pos > 0 {
		sess.LastItem = s.q.items[pos-1].key()
	}
	return s.commit(true, last.Retraction(now, s.ctx.AppVersion), last, sess)
}

// saved applies a committed label; only now does the screen move on.
func (s *Screen) saved(m savedMsg) tea.Cmd {
	s.saving = false
	if m.err != nil {
		what := "the decision"
		if m.undo {
			what = "the undo"
		}
		return screen.Failed(fmt.Errorf("%s was NOT saved (try again): %w", what, m.err))
	}
	s.session = m.session
	l := m.label
	k := itemKey(l.User, l.PromptID)
	if !m.undo {
		s.q.setDone(k, true)
		s.undo = append(s.undo, l)
		s.undo = s.undo[max(0, len(s.undo)-undoDepth):]
		s.sessionN++
		s.show(s.q.next(s.cur + 1))
		return tea.Batch(screen.LabelSaved, screen.Notice(fmt.Sprintf("saved: %s on %s", verdictText(l.Verdict), screen.Line(l.User))))
	}
	s.undo = s.undo[:len(s.undo)-1]
	s.sessionN = max(0, s.sessionN-1)
	s.q.setDone(k, false)
	text := fmt.Sprintf("took back %s on %s", verdictText(m.undone.Verdict), screen.Line(l.User))
	if pos, ok := s.q.index[k]; ok {
		s.show(pos)
		return tea.Batch(screen.LabelSaved, screen.Notice(text+": it is shown again"))
	}
	return tea.Batch(screen.LabelSaved, screen.Notice(text+" (its summaries have changed since: not in this queue)"))
}
