package user

// Drawing the User screen: the two panes side by side (from 100 columns)
// or one at a time under tabs.

import (
	"fmt"

	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/popi-tui/popi-tui/ui/screen"
)

// wide reports whether the panes sit side by side.
func (s *Screen) wide() bool { return s.ctx.Width >= userWide }

// paneSizes are the outer sizes of the panes: side by side, or one at a
// time under a tab line.
func (s *Screen) paneSizes() (histW, sumW, h int) {
	body := max(3, s.ctx.Height-2-1) // the status and help lines, the header
	if s.wide() {
		return s.ctx.Width / 2, s.ctx.Width - s.ctx.Width/2, body
	}
	return s.ctx.Width, s.ctx.Width, max(3, body-1)
}

// layout sizes the panes for the terminal and renders their content for
// that width (asking for the answers' Markdown at it); the scroll
// positions are kept.
func (s *Screen) layout() tea.Cmd {
	hw, sw, h := s.paneSizes()
	// A pane: border (2) and padding (2) across; border (2) and its title
	// line down.
	s.history.Width, s.history.Height = max(1, hw-4), max(1, h-3)
	s.summary.Width, s.summary.Height = max(1, sw-4), max(1, h-3)
	s.renderSummary()
	return s.renderHistory()
}

func (s *Screen) View() string {
	st := s.ctx.Styles
	w := s.ctx.Width
	head := st.Title.Render(screen.Line(s.user))
	switch {
	case !s.loaded:
		head += st.Muted.Render("  loading…")
	case s.err == nil:
		c := s.info.Counts
		head += st.Muted.Render(fmt.Sprintf("  %s · %d held out · %s · %s · %s",
			screen.Plural(c.HistoryPairs, "pair", "pairs"), c.HeldoutPairs, screen.Plural(c.Texts, "text", "texts"),
			screen.Plural(c.Profiles, "profile", "profiles"), screen.Plural(c.Tasks, "task", "tasks")))
	}
	if s.err != nil {
		return screen.Fit(head, w) + "\n" + st.Error.Render(screen.Wrap("error: "+screen.Line(s.err.Error()), w))
	}
	hw, sw, h := s.paneSizes()
	hist := s.pane("History", &s.history, s.focus == userPaneHistory, hw, h)
	sum := s.pane(s.summaryTitle(), &s.summary, s.focus == userPaneSummary, sw, h)
	if s.wide() {
		return screen.Fit(head, w) + "\n" + lipgloss.JoinHorizontal(lipgloss.Top, hist, sum)
	}
	tab := func(name string, on bool) string {
		if on {
			return st.Selected.Render("[" + name + "]")
		}
		return st.Muted.Render(" " + name + " ")
	}
	tabs := tab("History", s.focus == userPaneHistory) + " " + tab("Summary", s.focus == userPaneSummary) + st.Muted.Render("  tab switches")
	shown := hist
	if s.focus == userPaneSummary {
		shown = sum
	}
	return screen.Fit(head, w) + "\n" + screen.Fit(tabs, w) + "\n" + shown
}

func (s *Screen) summaryTitle() string {
	switch {
	case s.inference != nil:
		return "Summary — inferring…"
	case s.diff:
		return "Summary — diff"
	}
	return "Summary"
}

// pane draws a viewport in a border with its title; the focused pane is
// marked by "▸" and a heavier border, not by colour alone.
func (s *Screen) pane(title string, vp *viewport.Model, focused bool, w, h int) string {
	st := s.ctx.Styles
	style, mark := st.Pane, "  "
	if focused {
		style, mark = st.PaneFocused, "▸ "
	}
	head := mark + title
	if vp.TotalLineCount() > vp.Height {
		head += fmt.Sprintf("  %d%%", int(vp.ScrollPercent()*100))
	}
	body := st.Header.Render(screen.Fit(head, vp.Width)) + "\n" + vp.View()
	return style.Width(max(1, w-2)).Height(max(1, h-2)).MaxHeight(h).Render(body)
}
