// Package summaries is the Compare summaries screen (--compare summaries):
// two to four summaries of one user side by side, blind, and the question
// which describes the user better. Its decisions are labels whose
// candidates name summaries (store/summary_labels.go): the summarizer's
// preference data, which export summaries --format pairs writes. The
// user's history and held-out pairs are one key away (history.go).
package summaries

import (
	"fmt"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// Question is what the annotator is asked of every item.
const Question = "Which summary describes this user better?"

// Screen is Compare summaries: one user at a time, the summaries the
// comparison names in panes shuffled per item and annotator, the writers
// never named. Every decision is committed by the store (fsync'd, with the
// session) before the screen moves on.
type Screen struct {
	ctx  *screen.Context
	keys KeyMap

	loaded  bool
	loadErr error
	q       *queue
	writers map[string]int // users with a summary by each writer: what an empty queue says
	session store.Session  // saved with every label
	cur     int            // queue position of the item shown; -1 when all are done
	order   []int          // the item's pane order: order[pane] is the slot
	offsets []int          // each pane's first line shown
	shownAt time.Time
	undo    []store.Label // the decisions u takes back, newest last
	saving  bool          // a label is being committed: decision keys wait for it
	focus   int           // the focused pane

	started  time.Time
	sessionN int // decisions made in this session and not taken back

	overlay bool // the history is open over the panes
	history map[string]*historyEntry
	panes   paneCache
}

// Messages of the screen.
type (
	loadedMsg struct {
		items   []item
		writers map[string]int
		labels  []store.Label // this annotator's current decisions of this comparison, oldest first
		session store.Session
		err     error
	}
	savedMsg struct {
		undo    bool
		label   store.Label   // as stored
		undone  store.Label   // for an undo: the decision taken back
		session store.Session // as stored with it
		err     error
	}
)

// undoDepth is how many decisions u can take back in a row.
const undoDepth = 50

// New makes the Compare summaries screen of ctx.Compare (a summaries
// spec); its Init reads the queue.
func New(ctx *screen.Context) *Screen {
	return &Screen{ctx: ctx, keys: DefaultKeyMap(), cur: -1, history: map[string]*historyEntry{}}
}

func (s *Screen) Init() tea.Cmd { return s.load() }

// load reads every user's summaries (one snapshot: the items), this
// annotator's decisions of this comparison (the items done) and session.
func (s *Screen) load() tea.Cmd {
	db, annotator, spec := s.ctx.DB, s.ctx.Annotator, s.ctx.Compare
	comparison := spec.Comparison()
	return func() tea.Msg {
		m := loadedMsg{writers: map[string]int{}}
		each := db.EachUserSummaries
		if spec.Mode == screen.CompareVersions {
			each = db.EachEditedUserSummaries // only the users a person edited have an item
		}
		m.err = each(func(u store.UserSummaries) error {
			seen := map[string]bool{}
			for _, v := range u.Versions {
				if w := store.SummaryBackend(v); !seen[w] {
					seen[w] = true
					m.writers[w]++
				}
			}
			if it, ok := itemOf(u.User, u.Versions, u.Current, spec); ok {
				m.items = append(m.items, it)
			}
			return nil
		})
		if m.err == nil {
			// The seed a new session gets is not used for the pane order
			// (paneOrder), but kept as Compare's sessions keep theirs.
			m.labels, m.session, m.err = screen.Decisions(db.CurrentSummaryLabels, db, annotator, comparison)
		}
		return m
	}
}

// Title is short: the status line carries the notices.
func (s *Screen) Title() string { return "Compare summaries" }

func (s *Screen) Typing() bool { return false }

// Close has nothing to cancel: the screen's commands are reads and
// commits that end on their own.
func (s *Screen) Close() {}

func (s *Screen) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case loadedMsg:
		return s.loadedMsg(msg)
	case savedMsg:
		return s.saved(msg)
	case historyMsg:
		s.history[msg.user] = &historyEntry{loaded: true, signals: msg.signals, err: msg.err}
		return nil
	case screen.DataChangedMsg:
		clear(s.history) // a screen above may have changed what is shown
		return nil
	case tea.KeyMsg:
		return s.key(msg)
	}
	return nil
}

// loadedMsg starts the session where it stopped: the items decided are
// done, the newest decisions can be taken back.
func (s *Screen) loadedMsg(m loadedMsg) tea.Cmd {
	spec := s.ctx.Compare
	if n := len(spec.Candidates); m.err == nil && (!spec.Summaries() || n < 2 || n > store.MaxCandidates) {
		m.err = fmt.Errorf("nothing to compare: the comparison %s is not of 2 to %d summaries (see --compare)", spec.String(), store.MaxCandidates)
	}
	if s.loaded, s.loadErr = true, m.err; m.err != nil {
		return nil
	}
	s.session, s.writers = m.session, m.writers
	done := map[string]bool{}
	for _, l := range m.labels {
		done[itemKey(l.User, l.PromptID)] = true
	}
	s.undo = screen.Undoable(m.labels, undoDepth) // earlier sessions' too
	s.q = newQueue(m.items, done)
	s.started = time.Now()
	s.show(s.q.resume(s.session.LastItem))
	return nil
}

// current is the item shown, or nil.
func (s *Screen) current() *item {
	if s.q == nil || s.cur < 0 {
		return nil
	}
	return &s.q.items[s.cur]
}

// show makes the item at pos the one shown: its panes in their order,
// scrolled to the top, the first focused.
func (s *Screen) show(pos int) {
	s.cur, s.focus, s.overlay = pos, 0, false
	it := s.current()
	if it == nil {
		s.order, s.offsets = nil, nil
		return
	}
	s.order = paneOrder(s.ctx.Annotator, it.User, s.ctx.Compare.Comparison(), len(it.Summaries))
	s.offsets = make([]int, len(it.Summaries))
	s.shownAt = time.Now().UTC()
}
