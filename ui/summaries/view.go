package summaries

// Drawing the screen: the progress line, the user and the question on
// top, the summaries side by side (from 100 columns) or one at a time
// under tabs, or the user's history over them.

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// paneCache keeps the summaries wrapped for the last item and width
// drawn: View joins lines, it does not wrap them each frame.
type paneCache struct {
	key   string
	width int
	lines [][]string // by slot
}

// get is the item's summaries (by slot), each wrapped to width cells,
// untrusted text made safe.
func (c *paneCache) get(it *item, width int) [][]string {
	if c.key != it.key() || c.width != width {
		c.key, c.width, c.lines = it.key(), width, make([][]string, len(it.Summaries))
		for i, sum := range it.Summaries {
			c.lines[i] = strings.Split(screen.Wrap(screen.Detab(screen.Clean(strings.TrimSpace(sum.Text))), width), "\n")
		}
	}
	return c.lines
}

// sideBySide reports whether the panes fit beside each other.
func (s *Screen) sideBySide() bool { return s.ctx.Width >= 100 }

// layout is the outer width of a pane, the width of its text and the
// height of the panes (or of the history), for n panes.
func (s *Screen) layout(n int) (outer, content, height int) {
	w := max(screen.MinWidth, s.ctx.Width)
	outer = w
	if s.sideBySide() {
		outer = w / n
	}
	top := 3 // the progress line, the user, the question
	if !s.sideBySide() && !s.overlay {
		top++ // the tab strip
	}
	return outer, max(1, outer-4), max(3, max(screen.MinHeight, s.ctx.Height)-2-top)
}

// View is the progress line, the user and the question, and the panes
// (or the history over them).
func (s *Screen) View() string {
	st := s.ctx.Styles
	w := max(screen.MinWidth, s.ctx.Width)
	if v, ok := s.nothingToJudge(w); ok {
		return v
	}
	it := s.current()
	if it == nil {
		return s.progressLine(w) + "\n\n" + st.Success.Render(fmt.Sprintf("Judged: all %s. ", screen.Plural(len(s.q.items), "user", "users"))) +
			st.Muted.Render("u takes back the last decision; q goes back.")
	}
	top := []string{s.progressLine(w),
		screen.Fit(st.Title.Render("User ")+st.Accent.Render(screen.Line(it.User))+
			st.Muted.Render(fmt.Sprintf(" · %d summaries · h: history and held-out pairs", len(it.Summaries))), w),
		screen.Fit(st.Title.Render(Question), w)}
	if !s.sideBySide() && !s.overlay {
		top = append(top, s.tabStrip(it, w))
	}
	outer, content, height := s.layout(len(it.Summaries))
	var body string
	if s.overlay {
		body = s.historyBox(it.User, w, height)
	} else {
		body = s.panesView(it, w, outer, content, height)
	}
	return strings.Join(top, "\n") + "\n" + body
}

// nothingToJudge is the screen while there is no item to show: loading,
// failed, or an empty queue, which says what the database holds.
func (s *Screen) nothingToJudge(w int) (string, bool) {
	st := s.ctx.Styles
	title := st.Title.Render("Compare summaries") + "\n\n"
	switch {
	case !s.loaded:
		return title + st.Muted.Render("loading the queue…"), true
	case s.loadErr != nil:
		return title + st.Error.Render(screen.Wrap("error: "+screen.Line(s.loadErr.Error()), w)), true
	case len(s.q.items) > 0:
		return "", false
	}
	spec := s.ctx.Compare
	want := "a summary by each of " + screen.Line(strings.TrimPrefix(spec.String(), screen.CompareSummaries+":")) + " (with different texts)"
	if spec.Mode == screen.CompareVersions {
		want = "a human edit of a machine-written summary (e on the User screen edits one)"
	}
	var found []string
	for _, name := range slices.Sorted(maps.Keys(s.writers)) {
		found = append(found, fmt.Sprintf("%s (%s)", screen.Line(name), screen.Plural(s.writers[name], "user", "users")))
	}
	have := "no summaries yet: i on the Users screen infers them."
	if len(found) > 0 {
		have = "Summaries here are by " + strings.Join(found, ", ") + "."
	}
	return title + screen.Wrap("Nothing to compare: no user has "+want+". "+have, w), true
}

// progressLine: done / total with a bar, labels per hour this session.
func (s *Screen) progressLine(w int) string {
	st := s.ctx.Styles
	done, total := s.q.doneCount(), len(s.q.items)
	barW := max(10, min(30, w/5))
	filled := 0
	if total > 0 {
		filled = done * barW / total
	}
	parts := []string{fmt.Sprintf("%s %d/%d users judged", st.Bar(filled, barW), done, total)}
	if s.sessionN >= 5 { // a rate from fewer labels says little
		hours := max(time.Since(s.started).Hours(), 1.0/60) // not a wild rate after the first few seconds
		parts = append(parts, fmt.Sprintf("%.1f labels/h", float64(s.sessionN)/hours))
	}
	if s.saving {
		parts = append(parts, st.Warning.Render("saving…"))
	}
	return screen.Fit(strings.Join(parts, st.Muted.Render(" · ")), w)
}

// tabStrip names the panes, the focused one in brackets: "[a] b c".
func (s *Screen) tabStrip(it *item, w int) string {
	st := s.ctx.Styles
	parts := make([]string, len(it.Summaries))
	for i := range parts {
		if i == s.focus {
			parts[i] = st.Tag.Render("[" + store.PaneLetter(i) + "]")
		} else {
			parts[i] = " " + store.PaneLetter(i) + " "
		}
	}
	return screen.Fit(strings.Join(parts, " ")+st.Muted.Render("   tab: next summary"), w)
}

// panesView draws the panes side by side, or the focused one alone.
func (s *Screen) panesView(it *item, w, outer, content, height int) string {
	lines := s.panes.get(it, content)
	if !s.sideBySide() {
		s.focus = min(s.focus, len(it.Summaries)-1)
		return s.box(lines[s.order[s.focus]], s.focus, outer, content, height)
	}
	boxes := make([]string, len(it.Summaries))
	for pane, slot := range s.order {
		pw := outer
		if pane == len(s.order)-1 {
			pw = w - outer*(len(s.order)-1) // the last pane takes the remainder
		}
		boxes[pane] = s.box(lines[slot], pane, pw, pw-4, height)
	}
	return lipgloss.JoinHorizontal(lipgloss.Top, boxes...)
}

// box draws one pane: its letter (and where it is scrolled to) on its
// first line, the summary under it; focus is a heavier border and a
// marker, not colour alone.
func (s *Screen) box(lines []string, pane, outer, content, height int) string {
	st := s.ctx.Styles
	style, mark := st.Pane, "  "
	if pane == s.focus {
		style, mark = st.PaneFocused, "▸ "
	}
	inner := max(1, height-3) // the borders and the letter's line
	off := max(0, min(s.offsets[pane], len(lines)-inner))
	head := mark + st.Tag.Render(store.PaneLetter(pane))
	if len(lines) > inner {
		head += st.Muted.Render(fmt.Sprintf(" · lines %d–%d of %d", off+1, min(off+inner, len(lines)), len(lines)))
	}
	body := make([]string, 0, inner+1)
	body = append(body, screen.Fit(head, content))
	for r := range inner {
		l := ""
		if off+r < len(lines) {
			l = lines[off+r]
		}
		body = append(body, screen.Fit(l, content))
	}
	return style.Width(outer - 2).Render(strings.Join(body, "\n"))
}

// scrollPane scrolls the focused pane, if msg is a key that moves.
func (s *Screen) scrollPane(msg tea.KeyMsg) {
	it := s.current()
	if it == nil {
		return
	}
	_, content, height := s.layout(len(it.Summaries))
	n := len(s.panes.get(it, content)[s.order[s.focus]])
	inner := max(1, height-3)
	if by, ok := scrollBy(s.keys.Panes.NavKeys, msg, inner); ok {
		s.offsets[s.focus] = max(0, min(s.offsets[s.focus]+by, n-inner))
	}
}

// scrollBy is how far a key scrolls text shown page rows high.
func scrollBy(k screen.NavKeys, msg tea.KeyMsg, page int) (int, bool) {
	switch {
	case key.Matches(msg, k.Up):
		return -1, true
	case key.Matches(msg, k.Down):
		return 1, true
	case key.Matches(msg, k.PageUp):
		return -max(1, page-1), true
	case key.Matches(msg, k.PageDown):
		return max(1, page-1), true
	case key.Matches(msg, k.Top):
		return -1 << 30, true
	case key.Matches(msg, k.Bottom):
		return 1 << 30, true
	}
	return 0, false
}
