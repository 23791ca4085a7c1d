package decisions

// Drawing an opened decision: its user, verdict and prompt on top, the
// answers side by side from 100 columns (one at a time below, with tabs),
// as Compare lays them out, each pane's letter marked with what the
// verdict said of it. Answers are shown as plain text, wrapped at the
// pane's width (long words broken), without Markdown rendering: what
// matters on a second look is what each answer says.

import (
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// promptRows is the most rows the prompt takes above the answers.
const promptRows = 4

// sideBySide reports whether the panes fit beside each other.
func (s *Item) sideBySide() bool { return s.ctx.Width >= 100 }

// paneWidths is the outer width of a pane and the width of its text.
func (s *Item) paneWidths() (outer, content int) {
	w := max(screen.MinWidth, s.ctx.Width)
	outer = w
	if s.sideBySide() && len(s.panes) > 0 {
		outer = w / len(s.panes)
	}
	return outer, max(1, outer-4)
}

// paneHeight is the outer height of the panes.
func (s *Item) paneHeight() int {
	return max(3, max(screen.MinHeight, s.ctx.Height)-2-len(s.head(max(screen.MinWidth, s.ctx.Width))))
}

func (s *Item) View() string {
	w := max(screen.MinWidth, s.ctx.Width)
	top := s.head(w)
	out := slices.Clone(top)
	if !s.loaded {
		return strings.Join(append(out, s.ctx.Styles.Muted.Render("reading the answers…")), "\n")
	}
	outer, content := s.paneWidths()
	ph := s.paneHeight()
	if !s.sideBySide() {
		s.focus = min(s.focus, len(s.panes)-1)
		return strings.Join(append(out, s.box(s.focus, outer, content, ph)...), "\n")
	}
	boxes := make([][]string, len(s.panes))
	for i := range s.panes {
		pw := outer
		if i == len(s.panes)-1 {
			pw = w - outer*(len(s.panes)-1) // the last pane takes the remainder
		}
		boxes[i] = s.box(i, pw, content, ph)
	}
	for r := range ph {
		var b strings.Builder
		for i := range boxes {
			b.WriteString(boxes[i][r])
		}
		out = append(out, b.String())
	}
	return strings.Join(out, "\n")
}

// head is the lines above the panes: who and what, the verdict, the
// prompt (a few rows of it), and the tabs when the panes are stacked.
func (s *Item) head(w int) []string {
	st := s.ctx.Styles
	l := s.l
	lines := []string{screen.Fit(st.Title.Render("Decision ")+st.Accent.Render(screen.Line(l.User))+
		st.Muted.Render(fmt.Sprintf(" · %s · decided %s", screen.Line(l.PromptID), l.DecidedAt.Local().Format("2006-01-02 15:04"))), w)}
	verdict := st.Success.Render("Your verdict: "+screen.Verdict(l)) + st.Muted.Render(" · 1–4, t, x or s replaces it")
	if s.saving {
		verdict += st.Warning.Render(" · saving…")
	}
	lines = append(lines, screen.Fit(verdict, w))
	prompt := strings.Split(screen.Wrap(st.Title.Render("Prompt: ")+screen.Detab(screen.Clean(l.Prompt)), w), "\n")
	if len(prompt) > promptRows {
		prompt = append(prompt[:promptRows-1:promptRows-1], screen.Fit(prompt[promptRows-1], w-2)+" …")
	}
	lines = append(lines, prompt...)
	if !s.sideBySide() {
		lines = append(lines, s.tabStrip(w))
	}
	return lines
}

// mark says what the verdict said of pane i, in words (never by colour
// alone).
func (s *Item) mark(i int) string {
	l, p := s.l, store.PaneLetter(i)
	switch {
	case l.Verdict == p:
		return "★ best"
	case l.Verdict == store.VerdictTie:
		return "tie"
	case l.Verdict == store.VerdictBothBad:
		return "bad"
	case store.RankOf(l.Ranking, p) > 0:
		return fmt.Sprintf("rank %d", store.RankOf(l.Ranking, p))
	}
	return ""
}

// tabStrip names the panes, the focused one in brackets: "[a ★ best] b".
func (s *Item) tabStrip(w int) string {
	st := s.ctx.Styles
	parts := make([]string, len(s.panes))
	for i := range s.panes {
		name := store.PaneLetter(i)
		if m := s.mark(i); m != "" {
			name += " · " + m
		}
		if i == s.focus {
			parts[i] = st.Tag.Render("[" + name + "]")
		} else {
			parts[i] = " " + name + " "
		}
	}
	return screen.Fit(strings.Join(parts, " ")+st.Muted.Render("   tab: next pane"), w)
}

// lines is pane i's text wrapped to content cells, kept until the width
// changes.
func (s *Item) lines(i, content int) []string {
	p := &s.panes[i]
	if p.lines != nil && p.width == content {
		return p.lines
	}
	st := s.ctx.Styles
	switch {
	case p.err != nil:
		p.lines = []string{st.Error.Render(screen.Fit(screen.Line(p.err.Error()), content))}
	case strings.TrimSpace(p.text) == "":
		p.lines = []string{st.Muted.Render(screen.Fit("(an empty answer)", content))}
	default:
		wrapped := ansi.Wrap(screen.Detab(screen.Clean(p.text)), content, " -")
		p.lines = screen.Block(wrapped, content, -1)
	}
	p.width = content
	return p.lines
}

// box draws pane i, its letter marked with the verdict's word for it.
func (s *Item) box(i, outer, content, height int) []string {
	lines := s.lines(i, content)
	p := &s.panes[i]
	p.offset = max(0, min(p.offset, len(lines)-max(1, height-2)))
	title := " " + store.PaneLetter(i)
	if i == s.focus {
		title = "▸" + store.PaneLetter(i)
	}
	if m := s.mark(i); m != "" {
		title += " · " + m
	}
	return s.ctx.Styles.PaneBox(title, lines, p.offset, outer, content, height, i == s.focus)
}
