// Package compare is the Compare & label screen: blind side-by-side
// answers to a user's prompt, decided with one key and committed before the
// screen moves on; the labeling queue (queue.go), the Markdown of the
// answers (markdown.go) and keeping backend names out of the panes
// (redact.go).
package compare

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/markdown"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// Screen is Compare & label: one item (a user's prompt)
// at a time, its 2–4 candidate answers side by side in an order shuffled
// per item, names hidden until the decision. Every decision is committed
// by the store (fsync'd, with the session) before the screen moves on; the
// next items are generated in the background meanwhile.
type Screen struct {
	ctx    *screen.Context
	keys   KeyMap
	base   context.Context // every request of the screen; cancelled by Close
	cancel context.CancelFunc
	md     *markdown.Renderer

	loaded  bool
	loadErr error
	sel     screen.Selection // whose items are queued (NewFor)
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
	typing   rationaleTarget // what the rationale being typed is for
	typingAt string          // the key of the item it is for (rationaleItem)
	started  time.Time
	sessionN int               // decisions made in this session and not taken back
	verdicts map[string]string // item key → what this annotator's current decision on it is (tallyKind)
	panesTop int               // the first row of the panes on the last frame (for the mouse)

	reveal   bool     // name the candidates after each decision ([ui] reveal = "after")
	question string   // what the annotator is asked of every item
	overlay  *overlay // the prompt, persona or history over the panes; nil when closed
	rank     *ranking // the ranking being entered; nil outside ranking mode
	dbPath   string   // the database's file, for the export command at the end of the queue
}

// rationaleTarget is what a rationale being typed goes with.
type rationaleTarget int

const (
	rationaleItem rationaleTarget = iota // the item on screen: its next verdict carries it
	rationaleLast                        // the last decision, amended at once
)

// compareItem is one item on screen or in the background.
type compareItem struct {
	q       queueItem
	pos     int
	panes   []*pane // in display order: panes[0] is pane a
	shownAt time.Time
	// rationale is the annotator's note on this item, kept until a verdict
	// commits it with the label (and given back when that verdict is undone).
	rationale string
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
		queueData // the items, this annotator's decisions and session (queue_load.go)
		err       error
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

// New makes the Compare & label screen of ctx.Compare; its Init reads
// the queue.
func New(ctx *screen.Context) *Screen {
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
	s := &Screen{ctx: ctx, keys: DefaultKeyMap(), base: base, cancel: cancel, md: markdown.New(ctx.Styles), cur: -1, prefetchd: -1,
		items: map[string]*compareItem{}, summaries: map[string]*summaryEntry{},
		verdicts: map[string]string{}, input: in}
	var ui engine.UIConfig
	if ctx.Engine != nil {
		s.redactor = newRedactor(ctx.Engine.Backends())
		ui = ctx.Engine.Config().UI
	}
	if ctx.DB != nil {
		s.dbPath = ctx.DB.Path()
	}
	s.reveal = ui.Reveal == engine.RevealAfter
	s.question = questionOf(ctx.Compare, ui)
	return s
}

// DefaultQuestion is what an annotator is asked when nothing configures it.
const DefaultQuestion = "Which answer would this user prefer?"

// questionOf is the question of a comparison: the spec's own, else the
// configuration's for this comparison ([ui.questions], by mode or by
// candidate list), else its question for all, else the default.
func questionOf(spec screen.CompareSpec, ui engine.UIConfig) string {
	for _, q := range []string{spec.Question, ui.Questions[spec.Mode], ui.Questions[spec.Comparison()], ui.Question} {
		if q = strings.TrimSpace(q); q != "" {
			return q
		}
	}
	return DefaultQuestion
}

func (s *Screen) Init() tea.Cmd { return s.load() }

// load reads the queue, and this annotator's decisions and session of
// this comparison (queue_load.go).
func (s *Screen) load() tea.Cmd {
	db, opt := s.ctx.DB, s.queueOptions()
	return func() tea.Msg {
		d, err := readQueue(db, opt)
		return compareLoadedMsg{queueData: d, err: err}
	}
}

// Title is short: the status line also carries the names revealed after
// a decision.
func (s *Screen) Title() string { return "Compare" }

func (s *Screen) Typing() bool { return s.input.Focused() }

// Unsaved names what quitting now would lose.
func (s *Screen) Unsaved() string {
	if s.input.Focused() && strings.TrimSpace(s.input.Value()) != "" {
		return "the rationale being typed"
	}
	if it := s.current(); it != nil && it.rationale != "" {
		return "the rationale of the item on screen (a verdict saves it)"
	}
	return ""
}

// Close cancels every request of the screen: their commands return, and
// no goroutine of the screen is left running.
func (s *Screen) Close() { s.cancel() }

func (s *Screen) Update(msg tea.Msg) tea.Cmd {
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
	case screen.LabelReplacedMsg:
		// Replaced on the Decisions screen: u takes back what is current.
		for i, l := range s.undo {
			if l.ID == msg.Old.ID {
				s.undo[i] = msg.New
			}
		}
		if s.q != nil { // a skip replaced does not come back
			s.q.replaced(msg.Old, msg.New)
			s.verdicts[itemKey(msg.New.User, msg.New.PromptID)] = tallyKind(msg.New)
		}
		return nil
	case overlaySignalsMsg:
		s.overlaySignals(msg)
		return nil
	case markdown.Msg:
		s.md.Store(msg)
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

func (s *Screen) loadedMsg(m compareLoadedMsg) tea.Cmd {
	s.loaded, s.loadErr = true, m.err
	if m.err != nil {
		return nil
	}
	if n := len(s.ctx.Compare.Candidates); n < 2 || n > store.MaxCandidates {
		s.loadErr = fmt.Errorf("nothing to compare: %d candidates configured (want 2 to %d; see --compare)", n, store.MaxCandidates)
		return nil
	}
	s.session = m.session
	for _, l := range m.labels {
		s.verdicts[itemKey(l.User, l.PromptID)] = tallyKind(l)
	}
	// Undo reaches back into earlier sessions too: the newest decisions,
	// by when they were made (after a merge, storage order is merge order).
	byTime := slices.Clone(m.labels)
	slices.SortStableFunc(byTime, func(a, b store.Label) int { return a.DecidedAt.Compare(b.DecidedAt) })
	s.undo = append(s.undo, byTime[max(0, len(byTime)-undoDepth):]...)
	s.q = m.queue(s.ctx.Queue.Skips)
	s.cur = s.q.resume(s.session.LastItem)
	s.started = time.Now()
	return s.enter()
}
