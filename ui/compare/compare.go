package ui

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// compareScreen is screen 4, Compare & label: one item (a user's prompt)
// at a time, its 2–4 candidate answers side by side in an order shuffled
// per item, names hidden until the decision. Every decision is committed
// by the store (fsync'd, with the session) before the screen moves on; the
// next items are generated in the background meanwhile.
type compareScreen struct {
	ctx    *screen.Context
	base   context.Context // every request of the screen; cancelled by Close
	cancel context.CancelFunc
	md     *markdown

	loaded  bool
	loadErr error
	q       *queue
	session store.Session // saved with every label
	cur     int           // queue position of the current item; -1 when all are done

	items       map[string]*compareItem  // current, prefetched and recently decided items
	summaries   map[string]*summaryEntry // by user
	undo        []store.Label            // the decisions u takes back, newest last
	redactor    redactor                 // takes backend names out of the errors shown in panes
	inputPrompt string                   // what the rationale is for, before it is fitted
	prefetchd   int                      // the item whose successors were prefetched (-1: none)

	saving   bool // a label is being committed: decision keys wait for it
	focus    int  // the focused pane (display index)
	folded   bool // the summary is folded away
	input    textinput.Model
	started  time.Time
	sessionN int // decisions made in this session and not taken back
	agree    int // decisive labels on replayed pairs that picked the dataset's choice
	decisive int
	panesTop int // the first row of the panes on the last frame (for the mouse)
}

// compareItem is one item on screen or in the background.
type compareItem struct {
	q       queueItem
	pos     int
	panes   []*pane // in display order: panes[0] is pane a
	shownAt time.Time
}

// pane is one candidate answer of an item.
type pane struct {
	slot   int // index in ctx.Compare.Candidates
	cand   screen.CandidateSpec
	st     *screen.Stream // the request filling it (nil before it starts)
	text   string
	done   bool
	gen    *store.Generation // the finished answer
	err    error
	offset int // first line shown

	// plain is the streaming text wrapped, kept until the text or the
	// width changes.
	plain      []string
	plainText  string
	plainWidth int
}

type summaryEntry struct {
	loaded bool
	ok     bool
	s      store.Summary
	err    error
}

// Messages of the screen.
type (
	compareLoadedMsg struct {
		items   []queueItem
		labels  []store.Label // this annotator's current decisions, oldest first
		session store.Session
		err     error
	}
	compareSummaryMsg struct {
		user string
		s    store.Summary
		ok   bool
		err  error
	}
	labelSavedMsg struct {
		op      labelOp
		label   store.Label   // as stored
		undone  store.Label   // for opUndo: the decision taken back
		session store.Session // as stored with it
		err     error
	}
)

type labelOp int

const (
	opDecide labelOp = iota
	opUndo
	opRationale
)

// undoDepth is how many decisions u can take back in a row.
const undoDepth = 50

func newCompareScreen(ctx *screen.Context) *compareScreen {
	base, cancel := context.WithCancel(context.Background())
	in := textinput.New()
	in.Prompt = "rationale: "
	in.Placeholder = "why this verdict? (enter saves, esc cancels)"
	in.CharLimit = 2000
	// A steady cursor: a blinking one redraws the screen twice a second
	// for nothing.
	in.Cursor.SetMode(cursor.CursorStatic)
	in.PromptStyle = ctx.Styles.Accent
	in.TextStyle = ctx.Styles.Base
	in.PlaceholderStyle = ctx.Styles.Muted
	s := &compareScreen{ctx: ctx, base: base, cancel: cancel, md: newMarkdown(ctx.Styles), cur: -1, prefetchd: -1,
		items: map[string]*compareItem{}, summaries: map[string]*summaryEntry{},
		input: in}
	if ctx.Engine != nil {
		s.redactor = newRedactor(ctx.Engine.Backends())
	}
	return s
}

func (s *compareScreen) Init() tea.Cmd { return s.load() }

// load reads the queue, and this annotator's decisions and session of
// this comparison (a decision between other candidates is another
// judgement: it neither marks an item done nor counts for agreement here).
func (s *compareScreen) load() tea.Cmd {
	db, annotator, replayOnly := s.ctx.DB, s.ctx.Annotator, s.ctx.Compare.ReplayOnly()
	comparison := s.ctx.Compare.Comparison()
	return func() tea.Msg {
		var m compareLoadedMsg
		m.err = db.EachSignal(func(sig store.Signal) error {
			if it, ok := queueItemOf(sig, replayOnly); ok {
				m.items = append(m.items, it)
			}
			return nil
		})
		if m.err != nil {
			return m
		}
		if m.err = db.CurrentLabels(func(l store.Label) error {
			if l.Annotator == annotator && store.Comparison(l.Candidates) == comparison {
				m.labels = append(m.labels, l)
			}
			return nil
		}); m.err != nil {
			return m
		}
		var ok bool
		m.session, ok, m.err = db.Session(annotator, comparison)
		if !ok || m.session.Seed == 0 {
			m.session = store.Session{Annotator: annotator, Compare: comparison, Seed: rand.Int64N(1<<62) + 1}
		}
		return m
	}
}

// Title is short: the status line also carries the names revealed after
// a decision.
func (s *compareScreen) Title() string { return "Compare" }
func (s *compareScreen) Typing() bool  { return s.input.Focused() }

// Unsaved names what quitting now would lose.
func (s *compareScreen) Unsaved() string {
	if s.input.Focused() && strings.TrimSpace(s.input.Value()) != "" {
		return "the rationale being typed"
	}
	return ""
}

// Close cancels every request of the screen: their commands return, and
// no goroutine of the screen is left running.
func (s *compareScreen) Close() { s.cancel() }

func (s *compareScreen) ShortHelp() []key.Binding {
	k := s.ctx.Keys
	if s.input.Focused() {
		return []key.Binding{k.SaveRationale, k.Cancel}
	}
	// Most used first: the line is cut to the terminal's width, and ? is
	// kept early so the rest can be found.
	return []key.Binding{k.Best, k.Tie, k.AllBad, k.Skip, k.Undo, k.Help, k.Rationale, k.NextPane, k.Regenerate, k.ToggleSummary, k.Quit}
}

func (s *compareScreen) FullHelp() [][]key.Binding {
	k := s.ctx.Keys
	return [][]key.Binding{
		{k.Best, k.Tie, k.AllBad, k.Skip, k.Undo, k.Rationale, k.SaveRationale, k.Back},
		{k.NextPane, k.PrevPane, k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom, k.Regenerate, k.ToggleSummary},
	}
}

func (s *compareScreen) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case compareLoadedMsg:
		return s.loadedMsg(msg)
	case compareSummaryMsg:
		s.summaries[msg.user] = &summaryEntry{loaded: true, ok: msg.ok, s: msg.s, err: msg.err}
		return nil
	case screen.StreamMsg:
		return s.streamed(msg)
	case screen.StreamDone[store.Generation]:
		return s.streamDone(msg)
	case labelSavedMsg:
		return s.saved(msg)
	case markdownMsg:
		s.md.store(msg)
		return nil
	case tea.WindowSizeMsg:
		if s.input.Focused() {
			s.sizeInput()
		}
		return s.renderAround()
	case screen.DataChangedMsg:
		// A summary may have been edited: read the shown ones again.
		clear(s.summaries)
		if it := s.current(); it != nil {
			return s.loadSummary(it.q.User)
		}
		return nil
	case tea.MouseMsg:
		return s.mouse(msg)
	case tea.KeyMsg:
		return s.key(msg)
	}
	return nil
}

func (s *compareScreen) loadedMsg(m compareLoadedMsg) tea.Cmd {
	s.loaded, s.loadErr = true, m.err
	if m.err != nil {
		return nil
	}
	if n := len(s.ctx.Compare.Candidates); n < 2 || n > store.MaxCandidates {
		s.loadErr = fmt.Errorf("nothing to compare: %d candidates configured (want 2 to %d; see --compare)", n, store.MaxCandidates)
		return nil
	}
	s.session = m.session
	done := map[string]bool{}
	for _, l := range m.labels {
		done[itemKey(l.User, l.PromptID)] = true
	}
	s.agree, s.decisive = agreement(m.labels)
	// Undo reaches back into earlier sessions too: the newest decisions,
	// by when they were made (after a merge, storage order is merge order).
	byTime := slices.Clone(m.labels)
	slices.SortStableFunc(byTime, func(a, b store.Label) int { return a.DecidedAt.Compare(b.DecidedAt) })
	s.undo = append(s.undo, byTime[max(0, len(byTime)-undoDepth):]...)
	s.q = newQueue(m.items, done)
	s.cur = s.q.resume(s.session.LastItem)
	s.started = time.Now()
	return s.enter()
}

// current is the item on screen, or nil.
func (s *compareScreen) current() *compareItem {
	if s.q == nil || s.cur < 0 {
		return nil
	}
	return s.item(s.cur)
}

// item returns the state of the item at a queue position, making it (with
// its pane order) the first time.
func (s *compareScreen) item(pos int) *compareItem {
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
func (s *compareScreen) enter() tea.Cmd {
	s.focus = 0
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
func (s *compareScreen) maybePrefetch() tea.Cmd {
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
func (s *compareScreen) prune() {
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
func (s *compareScreen) start(it *compareItem) tea.Cmd {
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
func (s *compareScreen) generate(it *compareItem, p *pane, force bool) tea.Cmd {
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
func (s *compareScreen) find(st *screen.Stream) (*compareItem, *pane) {
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
func (s *compareScreen) streamed(m screen.StreamMsg) tea.Cmd {
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

func (s *compareScreen) streamDone(m screen.StreamDone[store.Generation]) tea.Cmd {
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
func (s *compareScreen) render(it *compareItem) tea.Cmd {
	_, cw := s.paneWidths(len(it.panes))
	var cmds []tea.Cmd
	for _, p := range it.panes {
		if p.done && p.err == nil && strings.TrimSpace(p.text) != "" {
			cmds = append(cmds, s.md.request(s.base, p.text, cw))
		}
	}
	return tea.Batch(cmds...)
}

// renderAround asks for the Markdown of the current item and the ones
// coming up (after a resize: at the new width).
func (s *compareScreen) renderAround() tea.Cmd {
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
func (s *compareScreen) loadSummary(user string) tea.Cmd {
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

func (s *compareScreen) key(msg tea.KeyMsg) tea.Cmd {
	k := s.ctx.Keys
	if s.input.Focused() {
		switch {
		case key.Matches(msg, k.SaveRationale):
			return s.saveRationale()
		case key.Matches(msg, k.Cancel):
			s.input.Blur()
			s.input.SetValue("")
			return screen.Notice("rationale not saved")
		}
		var cmd tea.Cmd
		s.input, cmd = s.input.Update(msg)
		return cmd
	}
	it := s.current()
	switch {
	case key.Matches(msg, k.Back):
		s.ctx.Pop(s)
		return nil
	case key.Matches(msg, k.Best):
		n, _ := strconv.Atoi(msg.String())
		if it != nil && (n < 1 || n > len(it.panes)) {
			return screen.Notice(fmt.Sprintf("there are %d panes: 1–%d names the best", len(it.panes), len(it.panes)))
		}
		return s.decide(store.PaneLetter(n - 1))
	case key.Matches(msg, k.Tie):
		return s.decide(store.VerdictTie)
	case key.Matches(msg, k.AllBad):
		return s.decide(store.VerdictBothBad)
	case key.Matches(msg, k.Skip):
		return s.decide(store.VerdictSkip)
	case key.Matches(msg, k.Undo):
		return s.undoLast()
	case key.Matches(msg, k.Rationale):
		return s.openRationale()
	case key.Matches(msg, k.ToggleSummary):
		s.folded = !s.folded
	case it == nil:
	case key.Matches(msg, k.NextPane):
		s.focus = (s.focus + 1) % len(it.panes)
	case key.Matches(msg, k.PrevPane):
		s.focus = (s.focus + len(it.panes) - 1) % len(it.panes)
	case key.Matches(msg, k.Regenerate):
		if s.saving {
			return nil
		}
		p := it.panes[s.focus]
		return tea.Batch(s.generate(it, p, true), screen.Notice("regenerating pane "+store.PaneLetter(s.focus)))
	case key.Matches(msg, k.Up):
		s.scroll(it, s.focus, -1)
	case key.Matches(msg, k.Down):
		s.scroll(it, s.focus, 1)
	case key.Matches(msg, k.PageUp):
		s.scroll(it, s.focus, -max(1, s.paneHeight()-3))
	case key.Matches(msg, k.PageDown):
		s.scroll(it, s.focus, max(1, s.paneHeight()-3))
	case key.Matches(msg, k.Top):
		s.scroll(it, s.focus, -1<<30)
	case key.Matches(msg, k.Bottom):
		s.scroll(it, s.focus, 1<<30)
	}
	return nil
}

// mouse scrolls the pane under the wheel (side by side) or the focused
// one (stacked).
func (s *compareScreen) mouse(m tea.MouseMsg) tea.Cmd {
	it := s.current()
	if it == nil || !tea.MouseEvent(m).IsWheel() || m.Y < s.panesTop {
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

func (s *compareScreen) scroll(it *compareItem, i, by int) {
	p := it.panes[i]
	_, cw := s.paneWidths(len(it.panes))
	n := len(s.paneLines(p, cw))
	p.offset = max(0, min(p.offset+by, n-s.paneHeight()+2))
}

// decide commits a verdict on the current item; the screen moves on when
// the store says it is on disk.
func (s *compareScreen) decide(verdict string) tea.Cmd {
	it := s.current()
	switch {
	case s.saving:
		return nil
	case !s.loaded:
		return screen.Notice("still loading the queue")
	case it == nil:
		return screen.Notice("every item is labeled: u takes back the last decision, q goes back")
	}
	if verdict != store.VerdictSkip {
		for i, p := range it.panes {
			switch {
			case p.err != nil:
				return screen.Notice(fmt.Sprintf("pane %s failed: r regenerates it (focus it with tab), s skips the item", store.PaneLetter(i)))
			case !p.done:
				return screen.Notice(fmt.Sprintf("pane %s is still coming in: decide when every answer is whole", store.PaneLetter(i)))
			}
		}
	}
	now := time.Now().UTC()
	l := store.Label{Kind: store.LabelDecision, User: it.q.User, PromptID: it.q.PromptID, Prompt: it.q.Prompt,
		Verdict: verdict, Annotator: s.ctx.Annotator, ShownAt: it.shownAt, DecidedAt: now, AppVersion: s.ctx.AppVersion}
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

// commit stores a label with the session in one fsync'd transaction.
func (s *compareScreen) commit(op labelOp, l, undone store.Label, sess store.Session) tea.Cmd {
	db := s.ctx.DB
	return func() tea.Msg {
		stored, err := db.AddLabel(l, &sess)
		return labelSavedMsg{op: op, label: stored, undone: undone, session: sess, err: err}
	}
}

// undoLast takes back the newest decision with a retraction record; its
// item becomes the current one again.
func (s *compareScreen) undoLast() tea.Cmd {
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

func (s *compareScreen) openRationale() tea.Cmd {
	if s.saving {
		return nil
	}
	if len(s.undo) == 0 {
		return screen.Notice("no decision yet: the rationale goes with the last decision made")
	}
	last := s.undo[len(s.undo)-1]
	// Say which decision it goes with: the screen has moved on from it.
	s.inputPrompt = fmt.Sprintf("rationale for %s · %s (%s)", screen.Line(last.User), screen.Line(last.PromptID), verdictText(last.Verdict))
	s.sizeInput()
	s.input.SetValue(last.Rationale)
	s.input.CursorEnd()
	return s.input.Focus()
}

// sizeInput fits the rationale field to the width: the prompt gets at
// most half of it, and the text scrolls sideways in the rest, cursor in
// view.
func (s *compareScreen) sizeInput() {
	w := s.ctx.Width
	s.input.Prompt = ansi.Truncate(s.inputPrompt, w/2-2, "…") + ": "
	s.input.Width = max(8, w-ansi.StringWidth(s.input.Prompt)-2)
	s.input.SetCursor(s.input.Position()) // scrolls again for the new width
}

// saveRationale records the rationale as a new decision that copies the
// last one and amends it: labels are never changed in place.
func (s *compareScreen) saveRationale() tea.Cmd {
	text := strings.TrimSpace(s.input.Value())
	s.input.Blur()
	s.input.SetValue("")
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
	sess := s.session
	sess.UpdatedAt = l.DecidedAt
	s.saving = true
	return s.commit(opRationale, l, store.Label{}, sess)
}

// saved applies a committed label; only now does the screen move on.
func (s *compareScreen) saved(m labelSavedMsg) tea.Cmd {
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
func (s *compareScreen) apply(m labelSavedMsg) tea.Cmd {
	l := m.label
	k := itemKey(l.User, l.PromptID)
	switch m.op {
	case opDecide:
		s.q.setDone(k, true)
		s.pushUndo(l)
		s.sessionN++
		s.count(l, 1)
		s.cur = s.q.next(s.cur + 1)
		return tea.Batch(s.enter(), screen.Notice(fmt.Sprintf("saved %s · %s", verdictText(l.Verdict), revealLine(l.Candidates))))
	case opUndo:
		s.undo = s.undo[:len(s.undo)-1]
		s.sessionN = max(0, s.sessionN-1)
		s.count(m.undone, -1)
		s.q.setDone(k, false)
		text := fmt.Sprintf("took back %s on %s · %s: it is the current item again", verdictText(m.undone.Verdict), screen.Line(l.User), screen.Line(l.PromptID))
		if pos, ok := s.q.index[k]; ok {
			s.cur = pos
			return tea.Batch(s.enter(), screen.Notice(text))
		}
		return screen.Notice(fmt.Sprintf("took back %s on %s · %s (not part of this comparison)", verdictText(m.undone.Verdict), screen.Line(l.User), screen.Line(l.PromptID)))
	case opRationale:
		s.undo[len(s.undo)-1] = l
		return screen.Notice("rationale saved with the decision on " + screen.Line(l.User) + " · " + screen.Line(l.PromptID))
	}
	return nil
}

func (s *compareScreen) pushUndo(l store.Label) {
	s.undo = append(s.undo, l)
	if len(s.undo) > undoDepth {
		s.undo = s.undo[len(s.undo)-undoDepth:]
	}
}

// count adds (n = 1) or removes (n = -1) a decision from the agreement.
func (s *compareScreen) count(l store.Label, n int) {
	if a, d := l.AgreesWithDataset(); d {
		s.decisive += n
		if a {
			s.agree += n
		}
	}
}

// Layout.

// sideBySide reports whether the panes fit beside each other (100
// columns and more); below, one pane shows at a time, with tabs.
func (s *compareScreen) sideBySide() (bool, int) {
	n := len(s.ctx.Compare.Candidates)
	return s.ctx.Width >= 100, n
}

// paneWidths is the outer width of a pane and the width of its text.
func (s *compareScreen) paneWidths(n int) (outer, content int) {
	w := max(screen.MinWidth, s.ctx.Width)
	outer = w
	if w >= 100 && n > 0 {
		outer = w / n
	}
	return outer, max(1, outer-4)
}

// paneHeight is the outer height of the panes, from the last layout.
func (s *compareScreen) paneHeight() int {
	return max(3, s.ctx.Height-2-s.panesTop)
}

// paneLines is what a pane shows, as lines content cells wide.
func (s *compareScreen) paneLines(p *pane, content int) []string {
	st := s.ctx.Styles
	switch {
	case p.err != nil:
		msg := s.redactor.redact(p.err.Error()) // the reason, not the name
		hint := "r regenerates this pane · s skips the item"
		if errors.Is(p.err, engine.ErrNoSummary) {
			hint = "this user has no summary yet: infer one (i on the Users screen) · s skips the item"
		}
		ls := plainLines("error: "+msg, content)
		for i := range ls {
			ls[i] = st.Error.Render(ls[i])
		}
		return append(append(ls, strings.Repeat(" ", content)), st.Muted.Render(screen.Fit(hint, content)))
	case p.done && strings.TrimSpace(p.text) == "":
		return []string{st.Muted.Render(screen.Fit("(an empty answer)", content))}
	case p.done:
		if ls, ok := s.md.cached(p.text, content); ok {
			return ls
		}
		// Being rendered: the plain text until then.
	case p.text == "":
		return []string{st.Muted.Render(screen.Fit("waiting for the answer…", content))}
	}
	if p.plainText != p.text || p.plainWidth != content {
		p.plain, p.plainText, p.plainWidth = plainLines(p.text, content), p.text, content
	}
	return p.plain
}

func (s *compareScreen) View() string {
	st := s.ctx.Styles
	w := max(screen.MinWidth, s.ctx.Width)
	h := max(screen.MinHeight, s.ctx.Height) - 2
	switch {
	case !s.loaded:
		return st.Title.Render("Compare & label") + "\n\n" + st.Muted.Render("loading the queue…")
	case s.loadErr != nil:
		return st.Title.Render("Compare & label") + "\n\n" + st.Error.Render(screen.Fit("error: "+screen.Line(s.loadErr.Error()), w))
	case s.q.len() == 0:
		what := "tasks or held-out pairs"
		if s.ctx.Compare.ReplayOnly() {
			what = "held-out pairs (replayed answers exist for those only)"
		}
		return st.Title.Render("Compare & label") + "\n\n" + screen.Wrap("Nothing to label: no user has "+what+". popi-tui import FILE loads some.", w)
	}
	var top []string
	top = append(top, s.progressLine(w))
	it := s.current()
	if it == nil {
		top = append(top, "", st.Success.Render(fmt.Sprintf("All %d items are labeled. ", s.q.len()))+
			st.Muted.Render("u takes back the last decision; c adds a rationale to it; q goes back."))
		if s.input.Focused() { // a rationale for the last decision
			top = append(top, "", screen.Fit(s.input.View(), w))
		}
		return strings.Join(top, "\n")
	}
	kind := "task " + it.q.PromptID
	if it.q.Heldout {
		kind = "held-out pair " + it.q.PromptID
	}
	top = append(top, screen.Fit(st.Title.Render("User ")+st.Accent.Render(screen.Line(it.q.User))+st.Muted.Render(" · "+screen.Line(kind)), w))

	// The summary and the prompt share what the panes leave: at least 6
	// rows stay for the panes.
	side, _ := s.sideBySide()
	fixed := len(top) + 1 // the prompt's first line
	if !side {
		fixed++ // the tab strip
	}
	if s.input.Focused() {
		fixed++
	}
	room := max(2, h-fixed-6)
	sum := s.summaryLines(it, w)
	promptLines := strings.Split(screen.Wrap(st.Title.Render("Prompt: ")+strings.ReplaceAll(screen.Clean(it.q.Prompt), "\t", "    "), w), "\n")
	sumRoom := min(len(sum), max(1, room/2))
	if len(sum) > sumRoom {
		sum = append(sum[:sumRoom-1:sumRoom-1], st.Muted.Render(screen.Fit(sum[sumRoom-1], w-2)+" …"))
	}
	promptRoom := max(1, min(len(promptLines), room-sumRoom+1))
	if len(promptLines) > promptRoom {
		promptLines = append(promptLines[:promptRoom-1:promptRoom-1], screen.Fit(promptLines[promptRoom-1], w-2)+" …")
	}
	top = append(top, sum...)
	top = append(top, promptLines...)
	if !side {
		top = append(top, s.tabStrip(it, w))
	}
	s.panesTop = len(top)
	ph := h - len(top)
	if s.input.Focused() {
		ph--
	}
	ph = max(3, ph)

	var b strings.Builder
	for _, l := range top {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	outer, content := s.paneWidths(len(it.panes))
	if side {
		boxes := make([][]string, len(it.panes))
		for i, p := range it.panes {
			pw := outer
			if i == len(it.panes)-1 {
				pw = w - outer*(len(it.panes)-1) // the last pane takes the remainder
			}
			boxes[i] = s.box(p, i, pw, content, ph)
		}
		for r := range ph {
			for i := range boxes {
				b.WriteString(boxes[i][r])
			}
			if r < ph-1 {
				b.WriteByte('\n')
			}
		}
	} else {
		s.focus = min(s.focus, len(it.panes)-1)
		b.WriteString(strings.Join(s.box(it.panes[s.focus], s.focus, outer, content, ph), "\n"))
	}
	if s.input.Focused() {
		b.WriteByte('\n')
		b.WriteString(screen.Fit(s.input.View(), w))
	}
	return b.String()
}

// progressLine: done / total with a bar, labels per hour this session,
// agreement with the dataset's choice on replayed pairs.
func (s *compareScreen) progressLine(w int) string {
	st := s.ctx.Styles
	done, total := s.q.doneCount(), s.q.len()
	barW := max(10, min(30, w/5))
	filled := 0
	if total > 0 {
		filled = done * barW / total // a bar that looks full is done
	}
	bar := st.Bar(filled, barW)
	parts := []string{fmt.Sprintf("%s %d/%d done", bar, done, total)}
	rate := "– labels/h"
	if s.sessionN > 0 {
		hours := max(time.Since(s.started).Hours(), 1.0/60) // not a wild rate after the first few seconds
		rate = fmt.Sprintf("%.1f labels/h", float64(s.sessionN)/hours)
	}
	parts = append(parts, rate)
	hasReplay := false
	for _, c := range s.ctx.Compare.Candidates {
		hasReplay = hasReplay || c.Replay != ""
	}
	switch {
	case s.decisive > 0:
		parts = append(parts, fmt.Sprintf("agreement w/ dataset %d/%d (%.0f%%)", s.agree, s.decisive, 100*float64(s.agree)/float64(s.decisive)))
	case hasReplay:
		parts = append(parts, "agreement w/ dataset –")
	}
	if s.saving {
		parts = append(parts, st.Warning.Render("saving…"))
	}
	return screen.Fit(strings.Join(parts, st.Muted.Render(" · ")), w)
}

// summaryLines is the pinned summary (or why there is none), wrapped.
func (s *compareScreen) summaryLines(it *compareItem, w int) []string {
	st := s.ctx.Styles
	e := s.summaries[it.q.User]
	var head, body string
	switch {
	case e == nil || !e.loaded:
		head = "Summary: reading…"
	case e.err != nil:
		head = "Summary: error: " + e.err.Error()
	case !e.ok && s.ctx.Compare.ReplayOnly():
		head = "Summary: none for this user (these answers were written without one)"
	case !e.ok:
		head = "Summary: none yet (i on the Users screen infers one)"
	case s.folded:
		head = fmt.Sprintf("Summary v%d (%s): folded — f shows it", e.s.Version, screen.SummaryState(&e.s))
	default:
		head = fmt.Sprintf("Summary v%d (%s, f folds): ", e.s.Version, screen.SummaryState(&e.s))
		body = strings.ReplaceAll(screen.Clean(e.s.Text), "\t", " ")
	}
	if body == "" {
		return []string{st.Muted.Render(screen.Fit(screen.Line(head), w))}
	}
	return strings.Split(screen.Wrap(st.Muted.Render(screen.Line(head))+body, w), "\n")
}

// tabStrip names the panes, the focused one in brackets: "[a] b c".
func (s *compareScreen) tabStrip(it *compareItem, w int) string {
	st := s.ctx.Styles
	var parts []string
	for i, p := range it.panes {
		name := store.PaneLetter(i) + paneMark(p)
		if i == s.focus {
			parts = append(parts, st.Tag.Render("["+name+"]"))
		} else {
			parts = append(parts, " "+name+" ")
		}
	}
	return screen.Fit(strings.Join(parts, " ")+st.Muted.Render("   tab: next pane"), w)
}

// paneMark says a pane's state in a character: still coming, failed.
func paneMark(p *pane) string {
	switch {
	case p.err != nil:
		return "!"
	case !p.done:
		return "…"
	}
	return ""
}

// box draws one pane: a border with its letter and state in the top edge
// and the scroll position in the bottom one; focus is a heavier border
// and a marker, not colour alone.
func (s *compareScreen) box(p *pane, i, outer, content, height int) []string {
	st := s.ctx.Styles
	bs, border := st.Pane, lipgloss.RoundedBorder()
	mark := " "
	if i == s.focus {
		bs, border, mark = st.PaneFocused, lipgloss.ThickBorder(), "▸"
	}
	edge := st.Renderer().NewStyle().Foreground(bs.GetBorderTopForeground())
	lines := s.paneLines(p, content)
	inner := max(1, height-2)
	off := max(0, min(p.offset, len(lines)-inner))
	state := "done"
	switch {
	case p.err != nil:
		state = "failed"
	case !p.done:
		state = "streaming…"
	}
	title := fmt.Sprintf("%s%s · %s", mark, store.PaneLetter(i), state)
	title = ansi.Truncate(title, max(0, outer-3), "")
	top := edge.Render(border.TopLeft+border.Top) + st.Tag.Render(title) +
		edge.Render(strings.Repeat(border.Top, max(0, outer-3-ansi.StringWidth(title)))+border.TopRight)
	pos := ""
	if len(lines) > inner {
		pos = fmt.Sprintf(" %d–%d/%d ", off+1, min(off+inner, len(lines)), len(lines))
		pos = ansi.Truncate(pos, max(0, outer-2), "")
	}
	bottom := edge.Render(border.BottomLeft + strings.Repeat(border.Bottom, max(0, outer-2-ansi.StringWidth(pos))) + pos + border.BottomRight)
	// The same edges on every row: styled once per frame, not per row. A
	// pane wider than its text (the last one takes the columns left over)
	// pads on the right.
	left, right := edge.Render(border.Left)+" ", strings.Repeat(" ", max(1, outer-3-content))+edge.Render(border.Right)
	blank := strings.Repeat(" ", content)
	out := make([]string, 0, height)
	out = append(out, top)
	for r := range inner {
		l := blank
		if off+r < len(lines) {
			l = lines[off+r]
		}
		out = append(out, left+l+right)
	}
	return append(out, bottom)
}
