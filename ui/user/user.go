// Package user is the User screen (a user's history beside their
// summary's versions, with the diff between versions and the persona behind
// a toggle) and the Edit screen it opens (a text area; ctrl+r re-infers):
// the screens that show and make a user's summaries.
package user

import (
	"context"
	"fmt"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/markdown"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// userWide is the width from which the history and the summary sit side
// by side; below it one shows at a time and tab switches.
const userWide = 100

// versionsShown is how many versions the list shows when not choosing.
const versionsShown = 5

// userPaneID names the User screen's two scrolling panes.
type userPaneID int

const (
	userPaneHistory userPaneID = iota
	userPaneSummary
)

// Screen shows one user: what they told us (history pairs, texts,
// profile; held-out pairs apart; the persona behind a toggle) beside what
// the summarizers made of it (the summary's versions).
type Screen struct {
	ctx  *screen.Context
	keys KeyMap
	user string

	loaded   bool
	err      error
	info     store.User
	signals  []store.Signal
	versions []store.Summary // oldest first
	current  int             // the current version's number: the newest, unless a merge added versions after it

	selVersion int  // the selected version's number; 0 follows the current one
	choosing   bool // the versions list has the arrows
	diff       bool // the summary pane shows the diff against the previous version
	persona    bool // the ground truth is shown
	focus      userPaneID
	saving     bool // a make-current is being written

	history, summary viewport.Model
	versionsTop      int // the summary content's line where the versions list starts

	inference *inference // a running inference, shown in the summary pane

	// The history's answers are Markdown, rendered as Compare renders
	// them (in commands, cached per width); base ends with the screen.
	md         *markdown.Renderer
	base       context.Context
	cancelBase context.CancelFunc

	loads, shown int // loads started, and the latest one shown
}

type (
	// userLoadedMsg is what the screen shows of its user, read at once.
	userLoadedMsg struct {
		user     string
		seq      int // which load: an older snapshot arriving late is dropped
		info     store.User
		signals  []store.Signal
		versions []store.Summary
		current  int
		err      error
	}
	// userSavedMsg reports a version made current again.
	userSavedMsg struct {
		user *Screen
		from int
		sum  store.Summary
		err  error
	}
)

// New makes the User screen of user; its Init reads them.
func New(ctx *screen.Context, user string) *Screen {
	base, cancel := context.WithCancel(context.Background())
	s := &Screen{ctx: ctx, keys: DefaultKeyMap(), user: user, history: viewport.New(1, 1), summary: viewport.New(1, 1),
		md: markdown.New(ctx.Styles), base: base, cancelBase: cancel}
	for _, vp := range []*viewport.Model{&s.history, &s.summary} {
		// The screen drives the viewports itself: their own key map has
		// d, u, f, b, h, l, which are this screen's keys.
		vp.KeyMap = viewport.KeyMap{}
		vp.MouseWheelEnabled = true
	}
	s.layout()
	return s
}

func (s *Screen) Init() tea.Cmd { return s.load() }

func (s *Screen) load() tea.Cmd {
	s.loads++
	db, user, seq := s.ctx.DB, s.user, s.loads
	return func() tea.Msg {
		m := userLoadedMsg{user: user, seq: seq}
		if m.info, m.err = db.User(user); m.err != nil {
			return m
		}
		if m.signals, m.err = db.Signals(user); m.err != nil {
			return m
		}
		m.versions, m.current, m.err = db.SummaryVersions(user)
		return m
	}
}

func (s *Screen) Title() string { return "User " + screen.Line(s.user) }

func (s *Screen) Typing() bool { return false }

func (s *Screen) Close() {
	s.cancelBase()
	if s.inference != nil {
		s.inference.stream.Close()
		s.inference = nil
	}
}

func (s *Screen) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case userLoadedMsg:
		if msg.user != s.user || msg.seq < s.shown {
			return nil
		}
		s.shown = msg.seq
		s.loaded, s.err = true, msg.err
		if msg.err == nil {
			s.info, s.signals, s.versions, s.current = msg.info, msg.signals, msg.versions, msg.current
		}
		if s.selectedIndex() < 0 {
			s.selVersion = 0 // the selected version is gone (it cannot be, but keep the view sane)
		}
		s.renderSummary()
		return s.renderHistory()
	case screen.DataChangedMsg, screen.JobDoneMsg:
		return s.load()
	case tea.WindowSizeMsg:
		return s.layout()
	case markdown.Msg:
		if s.md.Store(msg) {
			s.renderHistory()
		}
		return nil
	case screen.StreamMsg:
		if !s.inference.owns(msg.Stream) {
			return nil
		}
		s.inference.text = msg.Text
		s.renderSummary()
		s.summary.GotoBottom()
		return msg.Stream.Read()
	case screen.StreamDone[store.Summary]:
		if !s.inference.owns(msg.Stream) {
			return nil
		}
		return s.inferred(msg.Result, msg.Stream.Err())
	case userSavedMsg:
		if msg.user != s {
			return nil
		}
		s.saving = false
		if msg.err != nil {
			return screen.Failed(msg.err)
		}
		s.addVersion(msg.sum)
		s.selVersion, s.diff = 0, false
		s.renderSummary()
		return tea.Batch(screen.Notice(fmt.Sprintf("v%d is current again, as v%d", msg.from, msg.sum.Version)), screen.DataChanged)
	case tea.KeyMsg:
		return s.key(msg)
	case tea.MouseMsg:
		s.mouse(msg)
	}
	return nil
}

// addVersion shows a version just stored, and current, before the reload
// that confirms it (which may have come first).
func (s *Screen) addVersion(v store.Summary) {
	if n := len(s.versions); n == 0 || s.versions[n-1].Version < v.Version {
		s.versions = append(s.versions, v)
		s.current = v.Version
	}
}

// key takes a key: while a version is being chosen the arrows move the
// choice, else they scroll the focused pane.
func (s *Screen) key(msg tea.KeyMsg) tea.Cmd {
	k := s.keys
	if s.choosing && s.chooseKey(msg) {
		return nil
	}
	switch {
	case key.Matches(msg, k.Back):
		s.ctx.Pop(s)
		return nil
	case key.Matches(msg, k.Panes.Next):
		s.focus = 1 - s.focus
		s.choosing = false
		s.renderSummary()
	case key.Matches(msg, k.Versions.Choose):
		if len(s.versions) == 0 {
			return screen.Notice("no summary versions yet: i infers one, e writes one")
		}
		s.choosing, s.focus = true, userPaneSummary
		s.renderSummary()
		s.revealSelection()
	case key.Matches(msg, k.Versions.Diff):
		s.diff = !s.diff
		s.focus = userPaneSummary
		s.renderSummary()
	case key.Matches(msg, k.Persona):
		s.persona = !s.persona
		cmd := s.renderHistory()
		if s.persona {
			s.focus = userPaneHistory
			s.history.GotoTop() // the persona is the pane's first section
		}
		return cmd
	case key.Matches(msg, k.Summary.Edit):
		if s.inference != nil {
			return screen.Notice("a summary is being inferred: edit it once it is saved")
		}
		base := store.Summary{User: s.user}
		if sel, ok := s.selected(); ok {
			base = sel
		}
		s.ctx.Push(NewEdit(s.ctx, s.user, base))
		return nil
	case key.Matches(msg, k.Summary.Infer):
		return s.infer()
	case key.Matches(msg, k.Versions.MakeCurrent):
		return s.makeCurrent()
	case key.Matches(msg, k.Label) && s.ctx.NewLabeling != nil:
		s.ctx.Push(s.ctx.NewLabeling(s.ctx, screen.Selection{Users: []string{s.user}, Name: "user " + s.user}))
		return nil
	default:
		k.Panes.Scroll(s.focused(), msg)
	}
	return nil
}

// chooseKey takes the keys that move the choice of a version or end
// choosing; it reports whether msg was one.
func (s *Screen) chooseKey(msg tea.KeyMsg) bool {
	k := s.keys
	switch {
	case key.Matches(msg, k.Panes.Up):
		s.moveSelection(-1)
	case key.Matches(msg, k.Panes.Down):
		s.moveSelection(1)
	case key.Matches(msg, k.Panes.Top):
		s.moveSelection(-len(s.versions))
	case key.Matches(msg, k.Panes.Bottom):
		s.moveSelection(len(s.versions))
	case key.Matches(msg, k.Versions.Choose), key.Matches(msg, k.Versions.Done), key.Matches(msg, k.Back):
		s.choosing = false
		s.renderSummary()
	default:
		return false
	}
	return true
}

func (s *Screen) focused() *viewport.Model {
	if s.focus == userPaneHistory {
		return &s.history
	}
	return &s.summary
}

// mouse scrolls the pane under the pointer (the shown one when stacked).
func (s *Screen) mouse(msg tea.MouseMsg) {
	vp := s.focused()
	if s.wide() {
		vp = &s.summary
		if msg.X < s.ctx.Width/2 {
			vp = &s.history
		}
	}
	*vp, _ = vp.Update(msg)
}

// selectedIndex is the index in versions of the selected version, -1 when
// there is none.
func (s *Screen) selectedIndex() int {
	if s.selVersion == 0 {
		return s.currentIndex()
	}
	return s.versionIndex(s.selVersion)
}

// currentIndex is the index in versions of the current version (the
// newest if the store named none of them), -1 when there are none.
func (s *Screen) currentIndex() int {
	if i := s.versionIndex(s.current); i >= 0 {
		return i
	}
	return len(s.versions) - 1
}

func (s *Screen) versionIndex(version int) int {
	for i, v := range s.versions {
		if v.Version == version {
			return i
		}
	}
	return -1
}

func (s *Screen) selected() (store.Summary, bool) {
	if i := s.selectedIndex(); i >= 0 {
		return s.versions[i], true
	}
	return store.Summary{}, false
}

// moveSelection moves the selection n versions; reaching the current one
// follows the current version again, so a new one selects itself.
func (s *Screen) moveSelection(n int) {
	if len(s.versions) == 0 {
		return
	}
	i := max(0, min(len(s.versions)-1, s.selectedIndex()+n))
	s.selVersion = s.versions[i].Version
	if i == s.currentIndex() {
		s.selVersion = 0
	}
	s.renderSummary()
	s.revealSelection()
}

// revealSelection scrolls the summary pane so the selected version's line
// of the versions list is in view.
func (s *Screen) revealSelection() {
	ln := s.versionsTop + 1 + s.selectedIndex()
	if ln < s.summary.YOffset {
		s.summary.SetYOffset(ln)
	} else if ln >= s.summary.YOffset+s.summary.Height {
		s.summary.SetYOffset(ln - s.summary.Height + 1)
	}
}

// makeCurrent makes the selected version current again: a new version
// with its text and source whose parent is the selected one (versions are
// never changed or removed).
func (s *Screen) makeCurrent() tea.Cmd {
	sel, ok := s.selected()
	switch {
	case !ok:
		return screen.Notice("no summary versions yet")
	case s.selectedIndex() == s.currentIndex():
		return screen.Notice(fmt.Sprintf("v%d is already current: v selects another version", sel.Version))
	case s.saving:
		return nil
	}
	s.saving = true
	db, user, from := s.ctx.DB, s, sel.Version
	again := sel
	again.ID, again.Version, again.CreatedAt, again.Parent = "", 0, time.Time{}, sel.Version
	return func() tea.Msg {
		sum, err := db.AddSummary(again)
		return userSavedMsg{user: user, from: from, sum: sum, err: err}
	}
}
