package decisions

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// Item is one decision opened from the list: the item as it was judged
// (the stored answers under the pane letters they were shown with; names
// stay hidden, so that the second look is as blind as the first) with
// the verdict marked. A verdict key replaces the decision; the screen
// shows the new one only once the store has it on disk.
type Item struct {
	ctx     *screen.Context
	keys    ItemKeyMap
	l       store.Label // the decision shown: the current one
	opened  string      // the id of the decision opened (the answers are read for it)
	loaded  bool
	panes   []itemPane // in pane order: panes[0] is a
	focus   int
	saving  bool
	shownAt time.Time
}

// itemPane is one stored answer, with its lines wrapped for the last
// width drawn.
type itemPane struct {
	text   string
	err    error
	offset int
	lines  []string
	width  int
}

type (
	answersMsg struct {
		id    string // the decision they were read for
		texts []string
		errs  []error
	}
	replacedMsg struct {
		old, retraction, stored store.Label
		err                     error
	}
)

// NewItem makes the screen of decision l; its Init reads the answers.
func NewItem(ctx *screen.Context, l store.Label) *Item {
	return &Item{ctx: ctx, keys: DefaultItemKeyMap(), l: l, opened: l.ID, panes: make([]itemPane, len(l.Candidates)), shownAt: time.Now().UTC()}
}

// Init reads the candidates' generations: the texts the decision was made
// on.
func (s *Item) Init() tea.Cmd {
	db, l := s.ctx.DB, s.l
	return func() tea.Msg {
		m := answersMsg{id: l.ID, texts: make([]string, len(l.Candidates)), errs: make([]error, len(l.Candidates))}
		summaries, err := judgedSummaries(db, l)
		for i, c := range l.Candidates {
			if c.SummaryID != "" { // a decision between summaries of the user
				text, ok := summaries[c.SummaryID]
				switch {
				case err != nil:
					m.errs[i] = err
				case !ok:
					m.errs[i] = errors.New("this summary is not in the database")
				default:
					m.texts[i] = text
				}
				continue
			}
			if c.GenerationID == "" {
				m.errs[i] = errors.New("no answer was stored for this pane")
				continue
			}
			g, err := db.Generation(c.GenerationID)
			switch {
			case errors.Is(err, store.ErrNotFound):
				m.errs[i] = errors.New("this answer is not in the database")
			case err != nil:
				m.errs[i] = err
			default:
				m.texts[i] = g.Text
			}
		}
		return m
	}
}

func (s *Item) Title() string { return "Decision" }
func (s *Item) Typing() bool  { return false }
func (s *Item) Close()        {}

func (s *Item) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case answersMsg:
		if msg.id != s.opened {
			return nil
		}
		s.loaded = true
		for i := range s.panes {
			s.panes[i] = itemPane{text: msg.texts[i], err: msg.errs[i]}
		}
	case replacedMsg:
		return s.replacedMsg(msg)
	case tea.KeyMsg:
		return s.key(msg)
	}
	return nil
}

func (s *Item) key(msg tea.KeyMsg) tea.Cmd {
	k := s.keys
	r, p := k.Replace, k.Panes
	n := len(s.panes)
	switch {
	case key.Matches(msg, k.Back):
		s.ctx.Pop(s)
	case key.Matches(msg, r.Best):
		i, _ := strconv.Atoi(msg.String())
		if i < 1 || i > n {
			return screen.Notice(fmt.Sprintf("there are %d panes: 1–%d names the best", n, n))
		}
		return s.replace(store.PaneLetter(i - 1))
	case key.Matches(msg, r.Tie):
		return s.replace(store.VerdictTie)
	case key.Matches(msg, r.AllBad):
		return s.replace(store.VerdictBothBad)
	case key.Matches(msg, r.Skip):
		return s.replace(store.VerdictSkip)
	case key.Matches(msg, p.Next):
		s.focus = (s.focus + 1) % n
	case key.Matches(msg, p.Prev):
		s.focus = (s.focus + n - 1) % n
	case key.Matches(msg, p.Up):
		s.scroll(-1)
	case key.Matches(msg, p.Down):
		s.scroll(1)
	case key.Matches(msg, p.PageUp):
		s.scroll(-max(1, s.paneHeight()-3))
	case key.Matches(msg, p.PageDown):
		s.scroll(max(1, s.paneHeight()-3))
	case key.Matches(msg, p.Top):
		s.scroll(-1 << 30)
	case key.Matches(msg, p.Bottom):
		s.scroll(1 << 30)
	}
	return nil
}

// replace commits verdict in place of the decision shown: a retraction
// of it and the new decision, in one fsync'd transaction, in a command.
func (s *Item) replace(verdict string) tea.Cmd {
	old := s.l
	switch {
	case s.saving:
		return nil
	case old.Verdict == verdict:
		return screen.Notice("that is the verdict already: another key replaces it, esc goes back")
	}
	now := time.Now().UTC()
	l := old
	l.ID, l.Amends, l.Verdict, l.Ranking, l.Rationale = "", "", verdict, nil, ""
	l.ShownAt, l.DecidedAt, l.AppVersion = s.shownAt, now, s.ctx.AppVersion
	l.Candidates = append([]store.Candidate(nil), old.Candidates...)
	s.saving = true
	db, appVersion := s.ctx.DB, s.ctx.AppVersion
	return func() tea.Msg {
		r, stored, err := db.ReplaceDecision(old, l, appVersion)
		return replacedMsg{old: old, retraction: r, stored: stored, err: err}
	}
}

// replacedMsg shows the new decision once it is on disk, and tells the
// other screens (the list, Stats, Compare's undo).
func (s *Item) replacedMsg(m replacedMsg) tea.Cmd {
	s.saving = false
	if m.err != nil {
		return screen.Failed(fmt.Errorf("the new verdict was NOT saved (the old one stands): %w", m.err))
	}
	s.l = m.stored
	text := fmt.Sprintf("replaced %s with %s on %s · %s (the old decision is kept, retracted)",
		screen.Verdict(m.old), screen.Verdict(m.stored), screen.Line(m.stored.User), screen.Line(m.stored.PromptID))
	return tea.Batch(screen.Notice(text), screen.LabelSaved, screen.LabelReplaced(m.old, m.stored))
}

func (s *Item) scroll(by int) {
	if s.focus >= len(s.panes) {
		return
	}
	p := &s.panes[s.focus]
	p.offset = max(0, min(p.offset+by, len(p.lines)-s.paneHeight()+2))
}

// judgedSummaries is the text of each of the user's summary versions by
// id, when l judged summaries (nil otherwise: nothing is read).
func judgedSummaries(db *store.DB, l store.Label) (map[string]string, error) {
	judged := false
	for _, c := range l.Candidates {
		judged = judged || c.SummaryID != ""
	}
	if !judged {
		return nil, nil
	}
	vs, err := db.Summaries(l.User)
	if err != nil {
		return nil, err
	}
	texts := make(map[string]string, len(vs))
	for _, v := range vs {
		texts[v.ID] = v.Text
	}
	return texts, nil
}
