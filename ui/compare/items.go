package compare

// The items of a session on screen and in the background: each pane's
// request streams its answer (screen.Stream); the next items are
// prefetched once the current one's answers are in.

import (
	"context"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// current is the item on screen, or nil.
func (s *Screen) current() *compareItem {
	if s.q == nil || s.cur < 0 {
		return nil
	}
	return s.item(s.cur)
}

// item returns the state of the item at a queue position, making it (with
// its pane order) the first time.
func (s *Screen) item(pos int) *compareItem {
	qi := s.q.items[pos]
	k := qi.key()
	if it, ok := s.items[k]; ok {
		return it
	}
	cands := s.ctx.Compare.Candidates
	it := &compareItem{q: qi, pos: pos}
	for _, slot := range paneOrder(s.session.Seed, k, len(cands)) {
		it.panes = append(it.panes, &pane{slot: slot, cand: cands[slot]})
	}
	s.items[k] = it
	return it
}

// enter shows the current item: its requests started (or their progress
// picked up), its summary read, and, once its answers are in, the next
// items prefetched.
func (s *Screen) enter() tea.Cmd {
	s.focus = 0
	s.overlay, s.rank = nil, nil // they belong to the item left
	it := s.current()
	if it == nil {
		return nil
	}
	it.shownAt = time.Now().UTC()
	cmds := []tea.Cmd{s.start(it), s.loadSummary(it.q.User), s.render(it)}
	for _, p := range it.panes {
		if p.st != nil && !p.done {
			p.text = p.st.Text()
			cmds = append(cmds, p.st.Read())
		}
	}
	cmds = append(cmds, s.maybePrefetch())
	s.prune()
	return tea.Batch(cmds...)
}

// maybePrefetch starts the next items once the current one's answers are
// all in: prefetching earlier would compete for the server with the
// answers being read.
func (s *Screen) maybePrefetch() tea.Cmd {
	it := s.current()
	if it == nil || s.prefetchd == s.cur || !it.complete() {
		return nil
	}
	s.prefetchd = s.cur
	var cmds []tea.Cmd
	for _, pos := range s.q.upcoming(s.cur, s.ctx.Prefetch) {
		next := s.item(pos)
		cmds = append(cmds, s.start(next), s.loadSummary(next.q.User))
	}
	return tea.Batch(cmds...)
}

// complete reports whether every pane has its answer or its error.
func (it *compareItem) complete() bool {
	for _, p := range it.panes {
		if !p.done {
			return false
		}
	}
	return true
}

// prune lets go of items that are neither on screen, nor coming up, nor
// within reach of undo, once their requests are over.
func (s *Screen) prune() {
	keep := map[string]bool{}
	if it := s.current(); it != nil {
		keep[it.q.key()] = true
		for _, pos := range s.q.upcoming(s.cur, s.ctx.Prefetch) {
			keep[s.q.items[pos].key()] = true
		}
	}
	for _, l := range s.undo[max(0, len(s.undo)-5):] {
		keep[itemKey(l.User, l.PromptID)] = true
	}
	for k, it := range s.items {
		if !keep[k] && it.complete() {
			delete(s.items, k)
		}
	}
}

// start begins the requests of an item's panes that have none yet.
func (s *Screen) start(it *compareItem) tea.Cmd {
	var cmds []tea.Cmd
	for _, p := range it.panes {
		if p.st == nil {
			cmds = append(cmds, s.generate(it, p, false))
		}
	}
	return tea.Batch(cmds...)
}

// generate runs one pane's request in a command; its text is read from
// the stream while the item is on screen, and its end arrives as a
// screen.StreamDone.
func (s *Screen) generate(it *compareItem, p *pane, force bool) tea.Cmd {
	if p.st != nil {
		p.st.Close()
	}
	e := s.ctx.Engine
	req := engine.GenerateRequest{User: it.q.User, PromptID: it.q.PromptID, Condition: p.cand.Condition,
		Backend: p.cand.Backend, Replay: p.cand.Replay, Force: force}
	st, run := screen.Start(s.base, func(ctx context.Context, onDelta func(engine.Delta)) (store.Generation, error) {
		g, _, err := e.Generate(ctx, req, onDelta)
		return g, err
	})
	p.st, p.text, p.done, p.gen, p.err, p.offset = st, "", false, nil, nil, 0
	if s.cur == it.pos {
		return tea.Batch(run, st.Read())
	}
	return run
}

// find locates the pane a stream fills (nil when it was replaced by a
// regeneration or its item let go).
func (s *Screen) find(st *screen.Stream) (*compareItem, *pane) {
	for _, it := range s.items {
		for _, p := range it.panes {
			if p.st == st {
				return it, p
			}
		}
	}
	return nil, nil
}

// streamed shows a pane's text so far, and reads on while its item is on
// screen.
func (s *Screen) streamed(m screen.StreamMsg) tea.Cmd {
	it, p := s.find(m.Stream)
	if p == nil || p.done {
		return nil
	}
	p.text = m.Text
	if it.pos == s.cur {
		return m.Stream.Read()
	}
	return nil
}

func (s *Screen) streamDone(m screen.StreamDone[store.Generation]) tea.Cmd {
	it, p := s.find(m.Stream)
	if p == nil {
		return nil
	}
	p.done = true
	if err := m.Stream.Err(); err != nil {
		p.err = err
		p.text = ""
	} else {
		g := m.Result
		p.gen, p.text = &g, g.Text
	}
	// Render now, while the person reads: a prefetched item then appears
	// without waiting for glamour.
	render := s.render(it)
	if it.pos == s.cur {
		return tea.Batch(render, s.maybePrefetch())
	}
	return render
}

// render asks for the Markdown of an item's finished answers at the
// current pane width.
func (s *Screen) render(it *compareItem) tea.Cmd {
	_, cw := s.paneWidths(len(it.panes))
	var cmds []tea.Cmd
	for _, p := range it.panes {
		if p.done && p.err == nil && strings.TrimSpace(p.text) != "" {
			cmds = append(cmds, s.md.Request(s.base, p.text, cw))
		}
	}
	return tea.Batch(cmds...)
}

// renderAround asks for the Markdown of the current item and the ones
// coming up (after a resize: at the new width).
func (s *Screen) renderAround() tea.Cmd {
	it := s.current()
	if it == nil {
		return nil
	}
	cmds := []tea.Cmd{s.render(it)}
	for _, pos := range s.q.upcoming(s.cur, s.ctx.Prefetch) {
		if next, ok := s.items[s.q.items[pos].key()]; ok {
			cmds = append(cmds, s.render(next))
		}
	}
	return tea.Batch(cmds...)
}

// loadSummary reads a user's current summary, once.
func (s *Screen) loadSummary(user string) tea.Cmd {
	if _, ok := s.summaries[user]; ok {
		return nil
	}
	s.summaries[user] = &summaryEntry{}
	db := s.ctx.DB
	return func() tea.Msg {
		sum, ok, err := db.CurrentSummary(user)
		return compareSummaryMsg{user: user, s: sum, ok: ok, err: err}
	}
}
