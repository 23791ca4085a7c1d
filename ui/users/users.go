// Package users is the Users screen, the program's first: every user,
// filtered as one types, with what they hold and what was made of them;
// it opens a user (package user) and labeling (package compare), and
// starts the bulk jobs (through the Context's Jobs).
package users

import (
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/compare"
	"github.com/popi-tui/popi-tui/ui/screen"
	"github.com/popi-tui/popi-tui/ui/summaries"
	"github.com/popi-tui/popi-tui/ui/user"
)

// Screen lists every user. It holds the ids packed in a store.UserIndex
// (keys alone, 16 MB for a million users) and reads the details of only
// the rows on screen, so 1,000,000 users cost no more than 30 to show.
type Screen struct {
	ctx     *screen.Context
	keys    KeyMap
	loaded  bool
	idx     *store.UserIndex // every user, in order
	query   string           // the filter that made shown
	shown   []int32          // places in idx that pass the filter, in order
	rows    map[string]row   // details of rows read so far
	pending map[string]bool  // rows being read
	labels  map[string]int   // this annotator's current decisions per user
	// gen counts the changes to the database seen: rows read before the
	// latest are stale when they arrive, and dropped.
	gen    int
	filter textinput.Model // "/" focuses it
	cursor int             // index into shown
	offset int             // first shown row on screen
	err    error
}

// row is what a line of the list says about a user.
type row struct {
	counts  store.Counts
	summary *store.Summary
}

type (
	usersLoadedMsg struct {
		idx    *store.UserIndex
		labels map[string]int
		err    error
	}
	rowsLoadedMsg struct {
		gen  int
		rows []store.Overview
		err  error
	}
)

// New makes the Users screen; its Init reads the user ids.
func New(ctx *screen.Context) *Screen {
	f := textinput.New()
	f.Prompt = "/"
	f.Placeholder = "filter users"
	f.CharLimit = 200
	return &Screen{ctx: ctx, keys: DefaultKeyMap(), rows: map[string]row{}, pending: map[string]bool{}, filter: f}
}

func (s *Screen) Init() tea.Cmd { return s.load() }

func (s *Screen) load() tea.Cmd {
	db, annotator := s.ctx.DB, s.ctx.Annotator
	return func() tea.Msg {
		idx, err := db.UserIndex()
		if err != nil {
			return usersLoadedMsg{err: err}
		}
		labels, err := db.LabelsByUser(annotator)
		return usersLoadedMsg{idx: idx, labels: labels, err: err}
	}
}

func (s *Screen) Title() string { return "Users" }
func (s *Screen) Typing() bool  { return s.filter.Focused() }
func (s *Screen) Close()        {}

// visible is how many rows fit.
func (s *Screen) visible() int { return max(1, s.ctx.Height-2-4) }

func (s *Screen) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case usersLoadedMsg:
		// A reload (after every saved summary, closed screen, finished
		// job) keeps the cursor on its user: with 100,000 users, losing
		// one's place is losing work.
		keep, _ := s.current()
		s.loaded, s.err = true, msg.err
		s.idx, s.labels = msg.idx, msg.labels
		s.query, s.shown = "", nil
		s.filterKeeping(keep)
		return s.fetch()
	case rowsLoadedMsg:
		if msg.gen != s.gen {
			return nil // read before the last change: fetch reads them again
		}
		if msg.err != nil {
			return screen.Failed(msg.err)
		}
		for _, o := range msg.rows {
			s.rows[o.User.ID] = row{counts: o.User.Counts, summary: o.Summary}
			delete(s.pending, o.User.ID)
		}
		return nil
	case screen.DataChangedMsg, screen.JobDoneMsg:
		s.gen++
		clear(s.rows)
		clear(s.pending)
		return s.load()
	case tea.WindowSizeMsg:
		s.scroll()
		return s.fetch()
	case tea.KeyMsg:
		return s.key(msg)
	}
	return nil
}

func (s *Screen) key(msg tea.KeyMsg) tea.Cmd {
	k := s.keys
	if s.filter.Focused() {
		switch {
		case key.Matches(msg, k.List.ClearFilter):
			s.filter.SetValue("")
			s.filter.Blur()
		case key.Matches(msg, k.List.Open):
			s.filter.Blur()
		default:
			var cmd tea.Cmd
			s.filter, cmd = s.filter.Update(msg)
			s.applyFilter()
			return tea.Batch(cmd, s.fetch())
		}
		s.applyFilter()
		return s.fetch()
	}
	switch {
	case key.Matches(msg, k.Nav.Up):
		s.move(-1)
	case key.Matches(msg, k.Nav.Down):
		s.move(1)
	case key.Matches(msg, k.Nav.PageUp):
		s.move(-s.visible())
	case key.Matches(msg, k.Nav.PageDown):
		s.move(s.visible())
	case key.Matches(msg, k.Nav.Top):
		s.move(-len(s.shown))
	case key.Matches(msg, k.Nav.Bottom):
		s.move(len(s.shown))
	case key.Matches(msg, k.List.Filter):
		s.filter.Focus()
		return textinput.Blink
	case key.Matches(msg, k.List.ClearFilter):
		if s.filter.Value() != "" {
			s.filter.SetValue("")
			s.applyFilter()
		}
	case key.Matches(msg, k.List.Open):
		if id, ok := s.current(); ok {
			s.ctx.Push(user.New(s.ctx, id))
		}
		return nil
	case key.Matches(msg, k.Work.Label) && s.ctx.Compare.Summaries():
		s.ctx.Push(summaries.New(s.ctx))
		return nil
	case key.Matches(msg, k.Work.Label):
		return s.label()
	case key.Matches(msg, k.Work.Infer):
		return s.ctx.Jobs.InferMissing()
	case key.Matches(msg, k.Work.Generate):
		return s.ctx.Jobs.Generate(s.ctx.Compare)
	default:
		return nil
	}
	return s.fetch()
}

// label opens labeling of the users the filter shows: everyone's items
// without a filter.
func (s *Screen) label() tea.Cmd {
	var sel screen.Selection
	switch n := len(s.shown); {
	case s.query == "":
	case n == 0:
		return screen.Notice(fmt.Sprintf("no user matches %q: nothing to label", screen.Line(s.filter.Value())))
	case n == 1:
		id := s.idx.ID(int(s.shown[0]))
		sel = screen.Selection{Users: []string{id}, Name: "user " + id}
	default:
		sel = screen.Selection{Users: make([]string, n), Name: fmt.Sprintf("the %d users matching %q", n, s.filter.Value())}
		for i, j := range s.shown {
			sel.Users[i] = s.idx.ID(int(j))
		}
	}
	s.ctx.Push(compare.NewFor(s.ctx, sel))
	return nil
}

func (s *Screen) current() (string, bool) {
	if s.cursor < 0 || s.cursor >= len(s.shown) {
		return "", false
	}
	return s.idx.ID(int(s.shown[s.cursor])), true
}

func (s *Screen) move(n int) {
	s.cursor = max(0, min(len(s.shown)-1, s.cursor+n))
	s.scroll()
}

// scroll keeps the cursor on screen.
func (s *Screen) scroll() {
	v := s.visible()
	if s.cursor < s.offset {
		s.offset = s.cursor
	}
	if s.cursor >= s.offset+v {
		s.offset = s.cursor - v + 1
	}
	s.offset = max(0, min(s.offset, max(0, len(s.shown)-v)))
}

// applyFilter keeps the users whose id contains the filter text (any
// case); the cursor stays on its user when it still passes. A filter that
// extends the last one narrows the last result instead of scanning all.
func (s *Screen) applyFilter() {
	keep, _ := s.current()
	s.filterKeeping(keep)
}

// filterKeeping is applyFilter with the cursor kept on the user keep.
func (s *Screen) filterKeeping(keep string) {
	q := strings.ToLower(strings.TrimSpace(s.filter.Value()))
	if s.shown != nil && q == s.query {
		return
	}
	from := s.shown
	if s.shown == nil || !strings.Contains(q, s.query) || len(s.shown) == s.idx.Len() {
		from = nil // every user: one scan of the packed ids is quicker
	}
	s.shown, s.query = s.idx.Match(q, from), q
	s.cursor = 0
	if i := s.idx.Find(keep); keep != "" && i >= 0 {
		// shown is in index order: the kept user is found by halving.
		if at, ok := slices.BinarySearch(s.shown, int32(i)); ok {
			s.cursor = at
		}
	}
	s.scroll()
}

// fetch reads the details of rows on screen that are not read yet.
func (s *Screen) fetch() tea.Cmd {
	var want []string
	end := min(len(s.shown), s.offset+s.visible())
	for _, i := range s.shown[min(s.offset, end):end] {
		id := s.idx.ID(int(i))
		if _, ok := s.rows[id]; !ok && !s.pending[id] {
			want = append(want, id)
			s.pending[id] = true
		}
	}
	if len(want) == 0 {
		return nil
	}
	db, gen := s.ctx.DB, s.gen
	return func() tea.Msg {
		rows, err := db.Overviews(want)
		return rowsLoadedMsg{gen: gen, rows: rows, err: err}
	}
}

func (s *Screen) View() string {
	st := s.ctx.Styles
	w := s.ctx.Width
	var b strings.Builder
	head := st.Title.Render("Users")
	switch {
	case !s.loaded:
		head += st.Muted.Render("  loading…")
	case s.filter.Value() != "":
		head += st.Muted.Render(fmt.Sprintf("  %d of %d match", len(s.shown), s.idx.Len()))
	default:
		head += st.Muted.Render(fmt.Sprintf("  %d", s.idx.Len()))
	}
	b.WriteString(screen.Fit(head, w) + "\n")
	if s.filter.Focused() || s.filter.Value() != "" {
		b.WriteString(screen.Fit(s.filter.View(), w) + "\n")
	} else {
		b.WriteString("\n")
	}
	if s.err != nil {
		b.WriteString(st.Error.Render("error: "+screen.Line(s.err.Error())) + "\n")
		return b.String()
	}
	if s.loaded && s.idx.Len() == 0 {
		b.WriteString(st.Muted.Render("No users yet: popi-tui import FILE loads some (or popi-tui demo).") + "\n")
		return b.String()
	}
	// The columns after the id take usersFixedWidth cells; the id gets
	// the rest, up to 32.
	idw := max(8, min(32, w-usersFixedWidth))
	b.WriteString(st.Header.Render(screen.Fit(fmt.Sprintf("  %-*s %10s %6s  %-10s %6s %6s", idw, "user", "pairs h/ho", "tasks", "summary", "labels", "saving"), w)) + "\n")
	end := min(len(s.shown), s.offset+s.visible())
	for n, i := range s.shown[min(s.offset, end):end] {
		id := s.idx.ID(int(i))
		text := fmt.Sprintf("%-*s %10s %6s  %-10s %6d %6s", idw, screen.FitMiddle(screen.Line(id), idw), "…", "", "", s.labels[id], "")
		if r, ok := s.rows[id]; ok {
			state, saving := screen.SummaryState(r.summary), "-"
			if r.summary != nil && r.summary.HistoryTokens > 0 && r.summary.SummaryTokens > 0 {
				ratio := float64(r.summary.HistoryTokens) / float64(r.summary.SummaryTokens)
				saving = fmt.Sprintf("×%.1f", ratio)
				if ratio >= 100 { // the column is 6 cells
					saving = fmt.Sprintf("×%.0f", ratio)
				}
			}
			text = fmt.Sprintf("%-*s %10s %6d  %-10s %6d %6s", idw, screen.FitMiddle(screen.Line(id), idw),
				fmt.Sprintf("%d/%d", r.counts.HistoryPairs, r.counts.HeldoutPairs), r.counts.Tasks, state, s.labels[id], saving)
		}
		if s.offset+n == s.cursor {
			b.WriteString(st.Selected.Render(screen.Fit("› "+text, w)) + "\n")
		} else {
			b.WriteString(screen.Fit("  "+text, w) + "\n")
		}
	}
	return b.String()
}

// usersFixedWidth is the width of a row but its id: the cursor mark and
// the columns after the id with the spaces between them.
const usersFixedWidth = 2 + 1 + 10 + 1 + 6 + 2 + 10 + 1 + 6 + 1 + 6
