package compare

// Keys, the mouse, and the decisions they make: a decision, an undo or a
// rationale is a label committed by the store (fsync'd, with the session)
// in a command, and the screen moves on only on its success message.

import (
	"fmt"
	"strconv"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// key takes a key: the rationale's while it is typed, the overlay's while
// it is open, the ranking's in ranking mode, else a verdict or a pane's.
func (s *Screen) key(msg tea.KeyMsg) tea.Cmd {
	k := s.keys
	if s.input.Focused() {
		switch {
		case key.Matches(msg, k.Input.Save):
			return s.saveRationale()
		case key.Matches(msg, k.Input.Cancel):
			s.input.Blur()
			s.input.SetValue("")
			return screen.Notice("rationale not changed")
		}
		var cmd tea.Cmd
		s.input, cmd = s.input.Update(msg)
		return cmd
	}
	if s.overlay != nil {
		return s.overlayKey(msg)
	}
	if s.rank != nil {
		if cmd, ok := s.rankKey(msg); ok {
			return cmd
		}
	}
	if cmd, ok := s.decisionKey(msg); ok {
		return cmd
	}
	return s.paneKey(msg)
}

// decisionKey takes the keys that decide or annotate the item, and those
// that open what stands behind it (the prompt, the persona, the history).
func (s *Screen) decisionKey(msg tea.KeyMsg) (tea.Cmd, bool) {
	k := s.keys
	d, v := k.Decide, k.View
	it := s.current()
	switch {
	case key.Matches(msg, k.Back):
		s.ctx.Pop(s)
		return nil, true
	case key.Matches(msg, d.Best):
		n, _ := strconv.Atoi(msg.String())
		if it != nil && (n < 1 || n > len(it.panes)) {
			return screen.Notice(fmt.Sprintf("there are %d panes: 1–%d names the best", len(it.panes), len(it.panes))), true
		}
		return s.decide(store.PaneLetter(n-1), nil), true
	case key.Matches(msg, d.Tie):
		return s.decide(store.VerdictTie, nil), true
	case key.Matches(msg, d.AllBad):
		return s.decide(store.VerdictBothBad, nil), true
	case key.Matches(msg, d.Skip):
		return s.decide(store.VerdictSkip, nil), true
	case key.Matches(msg, d.Undo):
		return s.undoLast(), true
	case key.Matches(msg, d.Rationale):
		return s.openRationale(rationaleItem), true
	case key.Matches(msg, d.Amend):
		return s.openRationale(rationaleLast), true
	case key.Matches(msg, d.Rank):
		return s.toggleRanking(), true
	case key.Matches(msg, v.Prompt):
		return s.openOverlay(overlayPrompt), true
	case key.Matches(msg, v.Persona):
		return s.openOverlay(overlayPersona), true
	case key.Matches(msg, v.History):
		return s.openOverlay(overlayHistory), true
	}
	return nil, false
}

// paneKey takes the keys that move between the panes and scroll them.
func (s *Screen) paneKey(msg tea.KeyMsg) tea.Cmd {
	p := s.keys.Panes
	it := s.current()
	switch {
	case key.Matches(msg, p.FoldSummary):
		s.folded = !s.folded
	case it == nil:
	case key.Matches(msg, p.Next):
		s.focus = (s.focus + 1) % len(it.panes)
	case key.Matches(msg, p.Prev):
		s.focus = (s.focus + len(it.panes) - 1) % len(it.panes)
	case key.Matches(msg, p.Regenerate):
		return s.regenerate(it)
	case key.Matches(msg, p.Up):
		s.scroll(it, s.focus, -1)
	case key.Matches(msg, p.Down):
		s.scroll(it, s.focus, 1)
	case key.Matches(msg, p.PageUp):
		s.scroll(it, s.focus, -max(1, s.paneHeight()-3))
	case key.Matches(msg, p.PageDown):
		s.scroll(it, s.focus, max(1, s.paneHeight()-3))
	case key.Matches(msg, p.Top):
		s.scroll(it, s.focus, -1<<30)
	case key.Matches(msg, p.Bottom):
		s.scroll(it, s.focus, 1<<30)
	}
	return nil
}

// regenerate asks the focused pane's answer again; a replayed answer is
// the dataset's own, and says so rather than doing nothing.
func (s *Screen) regenerate(it *compareItem) tea.Cmd {
	if s.saving {
		return nil
	}
	p := it.panes[s.focus]
	if p.cand.Replay != "" {
		what := "its answer is fixed"
		if s.ctx.Compare.ReplayOnly() {
			// Every pane replays the dataset: saying so names no pane.
			what = "it replays the dataset's own response"
		}
		return screen.Notice(fmt.Sprintf("pane %s cannot be regenerated: %s", store.PaneLetter(s.focus), what))
	}
	return tea.Batch(s.generate(it, p, true), screen.Notice("regenerating pane "+store.PaneLetter(s.focus)))
}

// mouse scrolls the pane under the wheel (side by side) or the focused
// one (stacked).
func (s *Screen) mouse(m tea.MouseMsg) tea.Cmd {
	it := s.current()
	if it == nil || !tea.MouseEvent(m).IsWheel() || m.Y < s.panesTop {
		return nil
	}
	if o := s.overlay; o != nil { // the overlay covers the panes
		if m.Button == tea.MouseButtonWheelUp {
			o.offset = max(0, o.offset-3)
		} else {
			o.offset += 3 // at most the end, where it is drawn
		}
		return nil
	}
	i := s.focus
	if side, _ := s.sideBySide(); side {
		pw, _ := s.paneWidths(len(it.panes))
		i = min(len(it.panes)-1, m.X/max(1, pw))
	}
	switch m.Button {
	case tea.MouseButtonWheelUp:
		s.scroll(it, i, -3)
	case tea.MouseButtonWheelDown:
		s.scroll(it, i, 3)
	}
	return nil
}

func (s *Screen) scroll(it *compareItem, i, by int) {
	p := it.panes[i]
	_, cw := s.paneWidths(len(it.panes))
	n := len(s.paneLines(p, cw))
	p.offset = max(0, min(p.offset+by, n-s.paneHeight()+2))
}

// decide commits a verdict (or, verdict "", a ranking of the panes) on the
// current item, with the rationale kept for it; the screen moves on when
// the store says it is on disk.
func (s *Screen) decide(verdict string, ranking []string) tea.Cmd {
	it := s.current()
	switch {
	case s.saving:
		return nil
	case !s.loaded:
		return screen.Notice("still loading the queue")
	case it == nil:
		return screen.Notice("every item is labeled: u takes back the last decision, C amends its rationale, q goes back")
	}
	if verdict != store.VerdictSkip {
		if cmd := s.unready(it); cmd != nil {
			return cmd
		}
	}
	now := time.Now().UTC()
	l := store.Label{Kind: store.LabelDecision, User: it.q.User, PromptID: it.q.PromptID, Prompt: it.q.Prompt,
		Verdict: verdict, Ranking: ranking, Rationale: it.rationale,
		Annotator: s.ctx.Annotator, ShownAt: it.shownAt, DecidedAt: now, AppVersion: s.ctx.AppVersion}
	if e := s.summaries[it.q.User]; e != nil && e.ok {
		l.SummaryID, l.SummaryVersion, l.SummaryHash = e.s.ID, e.s.Version, store.TextHash(e.s.Text)
	}
	for i, p := range it.panes {
		c := store.Candidate{Pane: store.PaneLetter(i), Slot: p.slot, Backend: p.cand.Backend, Condition: p.cand.Condition, Replay: p.cand.Replay}
		if p.gen != nil {
			c.Backend, c.Model, c.GenerationID = p.gen.Backend, p.gen.Model, p.gen.ID
		}
		l.Candidates = append(l.Candidates, c)
	}
	sess := s.session
	sess.Position, sess.LastItem, sess.UpdatedAt = s.q.doneCount()+1, it.q.key(), now
	s.saving = true
	return s.commit(opDecide, l, store.Label{}, sess)
}

// unready says why the item cannot be judged yet (a pane failed or is
// still coming in), or is nil when it can.
func (s *Screen) unready(it *compareItem) tea.Cmd {
	for i, p := range it.panes {
		switch {
		case p.err != nil:
			return screen.Notice(fmt.Sprintf("pane %s failed: r regenerates it (focus it with tab), s skips the item", store.PaneLetter(i)))
		case !p.done:
			return screen.Notice(fmt.Sprintf("pane %s is still coming in: decide when every answer is whole", store.PaneLetter(i)))
		}
	}
	return nil
}

// commit stores a label with the session in one fsync'd transaction.
func (s *Screen) commit(op labelOp, l, undone store.Label, sess store.Session) tea.Cmd {
	db := s.ctx.DB
	return func() tea.Msg {
		stored, err := db.AddLabel(l, &sess)
		return labelSavedMsg{op: op, label: stored, undone: undone, session: sess, err: err}
	}
}

// undoLast takes back the newest decision with a retraction record; its
// item becomes the current one again.
func (s *Screen) undoLast() tea.Cmd {
	switch {
	case s.saving:
		return nil
	case len(s.undo) == 0:
		return screen.Notice("nothing to undo")
	}
	last := s.undo[len(s.undo)-1]
	now := time.Now().UTC()
	r := last.Retraction(now, s.ctx.AppVersion)
	sess := s.session
	sess.Position, sess.UpdatedAt = max(0, s.q.doneCount()-1), now
	// A reopened session then starts at the item taken back.
	if pos, ok := s.q.index[itemKey(last.User, last.PromptID)]; ok {
		sess.LastItem = s.q.before(pos)
	}
	s.saving = true
	return s.commit(opUndo, r, last, sess)
}

// saved applies a committed label; only now does the screen move on.
func (s *Screen) saved(m labelSavedMsg) tea.Cmd {
	s.saving = false
	if m.err != nil {
		what := map[labelOp]string{opDecide: "the decision", opUndo: "the undo", opRationale: "the rationale"}[m.op]
		return screen.Failed(fmt.Errorf("%s was NOT saved (try again): %w", what, m.err))
	}
	s.session = m.session
	return tea.Batch(s.apply(m), screen.LabelSaved)
}

// apply moves on from a label on disk: the next item after a decision,
// the item taken back after an undo.
func (s *Screen) apply(m labelSavedMsg) tea.Cmd {
	l := m.label
	k := itemKey(l.User, l.PromptID)
	switch m.op {
	case opDecide:
		s.q.decided(k, l.Verdict)
		s.pushUndo(l)
		s.sessionN++
		s.verdicts[k] = tallyKind(l)
		if it, ok := s.items[k]; ok {
			it.rationale = "" // it is in the label now
		}
		s.rank = nil
		s.cur = s.q.next(s.cur + 1)
		text := "saved " + decisionText(l)
		if l.Rationale != "" {
			text += " with its rationale"
		}
		if s.reveal {
			text += " · " + revealLine(l.Candidates)
		}
		return tea.Batch(s.enter(), screen.Notice(text))
	case opUndo:
		s.undo = s.undo[:len(s.undo)-1]
		s.sessionN = max(0, s.sessionN-1)
		delete(s.verdicts, k)
		s.q.undone(k, m.undone.Verdict)
		s.rank = nil
		text := fmt.Sprintf("took back %s on %s · %s: it is the current item again", decisionText(m.undone), screen.Line(l.User), screen.Line(l.PromptID))
		if pos, ok := s.q.index[k]; ok {
			s.cur = pos
			// Its rationale comes back with it, for the verdict made again.
			s.item(pos).rationale = m.undone.Rationale
			return tea.Batch(s.enter(), screen.Notice(text))
		}
		return screen.Notice(fmt.Sprintf("took back %s on %s · %s (not part of this comparison)", decisionText(m.undone), screen.Line(l.User), screen.Line(l.PromptID)))
	case opRationale:
		s.undo[len(s.undo)-1] = l
		return screen.Notice("rationale saved with the decision on " + screen.Line(l.User) + " · " + screen.Line(l.PromptID))
	}
	return nil
}

func (s *Screen) pushUndo(l store.Label) {
	s.undo = append(s.undo, l)
	if len(s.undo) > undoDepth {
		s.undo = s.undo[len(s.undo)-undoDepth:]
	}
}
