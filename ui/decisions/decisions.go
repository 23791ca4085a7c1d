// Package decisions is the Decisions screen: this annotator's decisions in
// this comparison, newest first, filtered as one types; enter opens one
// (Item: the stored answers under the pane letters they were shown with,
// the verdict marked), where a verdict key replaces it. A replacement is
// a retraction of the old decision and the new one, committed together
// and fsync'd (store.ReplaceDecision) before the screen shows it.
package decisions

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// Screen lists the decisions. The list is read again whenever a label is
// saved or replaced, here or on Compare under it.
type Screen struct {
	ctx    *screen.Context
	keys   ListKeyMap
	loaded bool
	err    error
	gen    int           // reads started: an older read's answer is dropped
	all    []store.Label // newest first
	search []string      // per decision, what the filter looks in (lower case)
	shown  []int         // indexes into all that pass the filter
	cur    screen.Cursor // over shown
	filter textinput.Model
}

type loadedMsg struct {
	gen    int
	labels []store.Label
	err    error
}

// New makes the Decisions screen of ctx's annotator and comparison; its
// Init reads them.
func New(ctx *screen.Context) *Screen {
	f := textinput.New()
	f.Prompt = "/"
	f.Placeholder = "filter by user, prompt or verdict"
	f.CharLimit = 200
	return &Screen{ctx: ctx, keys: DefaultListKeyMap(), filter: f}
}

func (s *Screen) Init() tea.Cmd { return s.load() }

func (s *Screen) load() tea.Cmd {
	s.gen++
	gen, db, annotator, comparison := s.gen, s.ctx.DB, s.ctx.Annotator, s.ctx.Compare.Comparison()
	return func() tea.Msg {
		ls, err := db.AnnotatorDecisions(annotator, comparison)
		return loadedMsg{gen: gen, labels: ls, err: err}
	}
}

func (s *Screen) Title() string { return "Decisions" }
func (s *Screen) Typing() bool  { return s.filter.Focused() }
func (s *Screen) Close()        {}

// visible is how many rows fit under the title, the filter and the
// column heads.
func (s *Screen) visible() int { return max(1, s.ctx.Height-2-4) }

func (s *Screen) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case loadedMsg:
		if msg.gen != s.gen {
			return nil
		}
		s.loaded, s.err = true, msg.err
		s.loadedList(msg.labels)
	case screen.LabelSavedMsg, screen.DataChangedMsg:
		return s.load()
	case tea.KeyMsg:
		return s.key(msg)
	}
	return nil
}

// loadedList takes a new read of the list, the cursor kept on its item:
// a replaced decision moves to the top, and the cursor with it.
func (s *Screen) loadedList(ls []store.Label) {
	keep := ""
	if l, ok := s.current(); ok {
		keep = l.ItemKey()
	}
	s.all = ls
	s.search = make([]string, len(ls))
	for i, l := range ls {
		s.search[i] = strings.ToLower(strings.Join([]string{l.User, l.PromptID, l.Prompt, screen.Verdict(l)}, "\x00"))
	}
	s.applyFilter()
	for i, j := range s.shown {
		if s.all[j].ItemKey() == keep {
			s.cur.At = i
		}
	}
	s.cur.Scroll(len(s.shown), s.visible())
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
			return cmd
		}
		s.applyFilter()
		return nil
	}
	if by, ok := k.Nav.Step(msg, s.visible(), len(s.shown)); ok {
		s.cur.Move(by, len(s.shown), s.visible())
		return nil
	}
	switch {
	case key.Matches(msg, k.List.Filter):
		return s.filter.Focus()
	case key.Matches(msg, k.List.ClearFilter) && s.filter.Value() != "":
		s.filter.SetValue("")
		s.applyFilter()
	case key.Matches(msg, k.Back):
		s.ctx.Pop(s)
	case key.Matches(msg, k.List.Open):
		if l, ok := s.current(); ok {
			s.ctx.Push(NewItem(s.ctx, l))
		}
	}
	return nil
}

func (s *Screen) current() (store.Label, bool) {
	if s.cur.At < 0 || s.cur.At >= len(s.shown) {
		return store.Label{}, false
	}
	return s.all[s.shown[s.cur.At]], true
}

// applyFilter keeps the decisions whose user, prompt or verdict holds
// every word of the filter.
func (s *Screen) applyFilter() {
	words := strings.Fields(strings.ToLower(s.filter.Value()))
	s.shown = s.shown[:0]
	for i, text := range s.search {
		ok := true
		for _, w := range words {
			ok = ok && strings.Contains(text, w)
		}
		if ok {
			s.shown = append(s.shown, i)
		}
	}
	s.cur.Scroll(len(s.shown), s.visible())
}

// View is the title, the filter, the column heads and a row per
// decision: when, user, prompt, verdict.
func (s *Screen) View() string {
	st := s.ctx.Styles
	w := max(screen.MinWidth, s.ctx.Width)
	title := st.Title.Render("Decisions") + st.Muted.Render(fmt.Sprintf("  %s · %s", screen.Line(s.ctx.Annotator), screen.Line(s.ctx.Compare.Comparison())))
	switch {
	case !s.loaded:
		return title + "\n\n" + st.Muted.Render("reading your decisions…")
	case s.err != nil:
		return title + "\n\n" + st.Error.Render(screen.Fit("error: "+screen.Line(s.err.Error()), w))
	case len(s.all) == 0:
		return title + "\n\n" + screen.Wrap("No decisions of yours in this comparison yet: l on the Users screen starts labeling.", w)
	}
	lines := []string{screen.Fit(title+st.Muted.Render(fmt.Sprintf("  %d of %d", len(s.shown), len(s.all))), w)}
	switch {
	case s.filter.Focused() || s.filter.Value() != "":
		lines = append(lines, screen.Fit(s.filter.View(), w))
	default:
		lines = append(lines, st.Muted.Render(screen.Fit("newest first · enter opens one to replace its verdict · / filters", w)))
	}
	uw, vw := min(24, max(10, w/5)), 10
	pw := w - 12 - uw - vw - 3
	lines = append(lines, st.Header.Render(screen.Fit(fmt.Sprintf(" %-11s %s %s %s", "decided", screen.Fit("user", uw), screen.Fit("prompt", pw), "verdict"), w)))
	for i := s.cur.Offset; i < len(s.shown) && i < s.cur.Offset+s.visible(); i++ {
		l := s.all[s.shown[i]]
		prompt := screen.Line(l.PromptID) + " " + screen.Line(strings.Join(strings.Fields(l.Prompt), " "))
		row := fmt.Sprintf("%-11s %s %s %s", l.DecidedAt.Local().Format("01-02 15:04"),
			screen.Fit(screen.Line(l.User), uw), screen.Fit(prompt, pw), screen.Fit(screen.Verdict(l), vw))
		if i == s.cur.At {
			row = st.Selected.Render(screen.Fit("▸"+row, w))
		} else {
			row = screen.Fit(" "+row, w)
		}
		lines = append(lines, row)
	}
	if len(s.shown) == 0 {
		lines = append(lines, st.Muted.Render(screen.Fit("no decision matches the filter (esc clears it)", w)))
	}
	return strings.Join(lines, "\n")
}
