package compare

// Drawing the screen: the progress line, the summary and the prompt on
// top, the panes side by side (from 100 columns) or one at a time under
// tabs. View only joins what is laid out already (Markdown is rendered in
// commands and cached).

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/markdown"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// sideBySide reports whether the panes fit beside each other (100
// columns and more); below, one pane shows at a time, with tabs.
func (s *Screen) sideBySide() (bool, int) {
	n := len(s.ctx.Compare.Candidates)
	return s.ctx.Width >= 100, n
}

// paneWidths is the outer width of a pane and the width of its text.
func (s *Screen) paneWidths(n int) (outer, content int) {
	w := max(screen.MinWidth, s.ctx.Width)
	outer = w
	if w >= 100 && n > 0 {
		outer = w / n
	}
	return outer, max(1, outer-4)
}

// paneHeight is the outer height of the panes, from the last layout.
func (s *Screen) paneHeight() int {
	return max(3, s.ctx.Height-2-s.panesTop)
}

// paneLines is what a pane shows, as lines content cells wide.
func (s *Screen) paneLines(p *pane, content int) []string {
	st := s.ctx.Styles
	switch {
	case p.err != nil:
		msg := s.redactor.redact(p.err.Error()) // the reason, not the name
		hint := "r regenerates this pane · s skips the item"
		if errors.Is(p.err, engine.ErrNoSummary) {
			hint = "this user has no summary yet: infer one (i on the Users screen) · s skips the item"
		}
		ls := markdown.Plain("error: "+msg, content)
		for i := range ls {
			ls[i] = st.Error.Render(ls[i])
		}
		return append(append(ls, strings.Repeat(" ", content)), st.Muted.Render(screen.Fit(hint, content)))
	case p.done && strings.TrimSpace(p.text) == "":
		return []string{st.Muted.Render(screen.Fit("(an empty answer)", content))}
	case p.done:
		if ls, ok := s.md.Cached(p.text, content); ok {
			return ls
		}
		// Being rendered: the plain text until then.
	case p.text == "":
		return []string{st.Muted.Render(screen.Fit("waiting for the answer…", content))}
	}
	if p.plainText != p.text || p.plainWidth != content {
		p.plain, p.plainText, p.plainWidth = markdown.Plain(p.text, content), p.text, content
	}
	return p.plain
}

// View is the progress line, the item's user, summary and prompt, and its
// panes with the rationale being typed under them.
func (s *Screen) View() string {
	w := max(screen.MinWidth, s.ctx.Width)
	h := max(screen.MinHeight, s.ctx.Height) - 2
	if v, ok := s.nothingToLabel(w); ok {
		return v
	}
	it := s.current()
	if it == nil {
		return s.endOfQueue(w)
	}
	top := s.head(it, w, h)
	s.panesTop = len(top)
	ph := h - len(top)
	if s.input.Focused() {
		ph--
	}
	var b strings.Builder
	for _, l := range top {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	if s.overlay != nil {
		s.drawOverlay(&b, w, max(3, ph))
	} else {
		s.drawPanes(&b, it, w, max(3, ph))
	}
	if s.input.Focused() {
		b.WriteByte('\n')
		b.WriteString(screen.Fit(s.input.View(), w))
	}
	return b.String()
}

// nothingToLabel is the screen while there is no queue to show: loading,
// failed, or empty.
func (s *Screen) nothingToLabel(w int) (string, bool) {
	st := s.ctx.Styles
	title := st.Title.Render("Compare & label") + "\n\n"
	switch {
	case !s.loaded:
		return title + st.Muted.Render("loading the queue…"), true
	case s.loadErr != nil:
		return title + st.Error.Render(screen.Fit("error: "+screen.Line(s.loadErr.Error()), w)), true
	case s.q.len() == 0:
		what := "tasks or held-out pairs"
		if s.ctx.Compare.ReplayOnly() {
			what = "held-out pairs (replayed answers exist for those only)"
		}
		return title + screen.Wrap(s.emptyText(what), w), true
	}
	return "", false
}

// promptFold is how many lines of a long prompt show above the panes; e
// opens the whole of it.
const promptFold = 3

// head is what stands above the panes: the progress line, the item's
// user, the question, the summary and the prompt (folded, and sharing what
// the panes leave: at least 6 rows stay for them), the rationale kept for
// the item, the ranking being entered, and the tab strip when the panes
// are stacked.
func (s *Screen) head(it *compareItem, w, h int) []string {
	st := s.ctx.Styles
	kind := "task " + it.q.PromptID
	if it.q.Heldout {
		kind = "held-out pair " + it.q.PromptID
	}
	top := []string{s.progressLine(w),
		screen.Fit(st.Title.Render("User ")+st.Accent.Render(screen.Line(it.q.User))+st.Muted.Render(" · "+screen.Line(kind)+" · p persona · h history"), w),
		screen.Fit(st.Title.Render("Question: ")+st.Accent.Render(screen.Line(s.question)), w)}
	var below []string // under the prompt
	if l, ok := s.rationaleLine(it, w); ok {
		below = append(below, l)
	}
	if s.rank != nil {
		below = append(below, s.rankingLine(w))
	}
	if side, _ := s.sideBySide(); !side && s.overlay == nil {
		below = append(below, s.tabStrip(it, w))
	}
	fixed := len(top) + len(below) + 1 // the prompt's first line
	if s.input.Focused() {
		fixed++
	}
	room := max(2, h-fixed-6)
	sum := s.summaryLines(it, w)
	sumRoom := min(len(sum), max(1, room/2))
	if len(sum) > sumRoom {
		sum = append(sum[:sumRoom-1:sumRoom-1], st.Muted.Render(screen.Fit(sum[sumRoom-1], w-2)+" …"))
	}
	top = append(top, sum...)
	top = append(top, s.promptLines(it, w, max(1, min(promptFold, room-sumRoom+1)))...)
	return append(top, below...)
}

// promptLines is the prompt wrapped to w, at most n lines: a longer one is
// cut, its last line saying how to read the rest.
func (s *Screen) promptLines(it *compareItem, w, n int) []string {
	st := s.ctx.Styles
	ls := strings.Split(screen.Wrap(st.Title.Render("Prompt: ")+screen.Detab(screen.Clean(it.q.Prompt)), w), "\n")
	if len(ls) <= n {
		return ls
	}
	more := st.Muted.Render(fmt.Sprintf(" … +%d lines (e expands)", len(ls)-n))
	last := screen.Fit(ls[n-1], max(1, w-ansi.StringWidth(more)))
	return append(ls[:n-1:n-1], strings.TrimRight(last, " ")+more)
}

// drawPanes draws the item's panes ph rows high: side by side, or the
// focused one alone.
func (s *Screen) drawPanes(b *strings.Builder, it *compareItem, w, ph int) {
	outer, content := s.paneWidths(len(it.panes))
	if side, _ := s.sideBySide(); !side {
		s.focus = min(s.focus, len(it.panes)-1)
		b.WriteString(strings.Join(s.box(it.panes[s.focus], s.focus, outer, content, ph), "\n"))
		return
	}
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
}

// progressLine: done / total with a bar, labels per hour this session,
// agreement with the dataset's choice on replayed pairs.
func (s *Screen) progressLine(w int) string {
	st := s.ctx.Styles
	done, total := s.q.doneCount(), s.q.len()
	barW := max(10, min(30, w/5))
	filled := 0
	if total > 0 {
		filled = done * barW / total // a bar that looks full is done
	}
	bar := st.Bar(filled, barW)
	parts := []string{fmt.Sprintf("%s %d/%d done", bar, done, total)}
	if scope := s.scope(); scope != "" {
		parts = append(parts, st.Muted.Render(scope))
	}
	// No agreement with the dataset here: annotators who watch it learn to
	// match the dataset, which spoils the agreement measured (Stats shows it).
	parts = append(parts, s.rate()+" labels/h")
	if s.saving {
		parts = append(parts, st.Warning.Render("saving…"))
	}
	return screen.Fit(strings.Join(parts, st.Muted.Render(" · ")), w)
}

// rateFrom is the first label of a session from which its rate is shown:
// after one label in a minute it would read 60 an hour.
const rateFrom = 5

// rate is this session's labels per hour, "–" before rateFrom of them.
func (s *Screen) rate() string {
	if s.sessionN < rateFrom {
		return "–"
	}
	hours := max(time.Since(s.started).Hours(), 1.0/3600)
	return fmt.Sprintf("%.1f", float64(s.sessionN)/hours)
}

// summaryLines is the pinned summary (or why there is none), wrapped.
func (s *Screen) summaryLines(it *compareItem, w int) []string {
	st := s.ctx.Styles
	e := s.summaries[it.q.User]
	var head, body string
	switch {
	case e == nil || !e.loaded:
		head = "Summary: reading…"
	case e.err != nil:
		head = "Summary: error: " + e.err.Error()
	case !e.ok && s.ctx.Compare.ReplayOnly():
		head = "Summary: none for this user (the dataset's answers never use one)"
	case !e.ok:
		head = "Summary: none yet (i on the Users screen infers one)"
	case s.folded:
		head = fmt.Sprintf("Summary v%d (%s): folded — f shows it", e.s.Version, screen.SummaryState(&e.s))
	default:
		head = fmt.Sprintf("Summary v%d (%s, f folds): ", e.s.Version, screen.SummaryState(&e.s))
		if s.ctx.Compare.ReplayOnly() {
			// Replayed answers never saw it: it is there to know the user.
			head = fmt.Sprintf("Summary v%d (%s; the dataset's answers never use it; f folds): ", e.s.Version, screen.SummaryState(&e.s))
		}
		body = strings.ReplaceAll(screen.Clean(e.s.Text), "\t", " ")
	}
	if body == "" {
		return []string{st.Muted.Render(screen.Fit(screen.Line(head), w))}
	}
	return strings.Split(screen.Wrap(st.Muted.Render(screen.Line(head))+body, w), "\n")
}

// tabStrip names the panes, the focused one in brackets: "[a] b c".
func (s *Screen) tabStrip(it *compareItem, w int) string {
	st := s.ctx.Styles
	var parts []string
	for i, p := range it.panes {
		name := store.PaneLetter(i) + paneMark(p)
		if s.rank != nil && s.rank.rankOf(i) > 0 {
			name += fmt.Sprintf("#%d", s.rank.rankOf(i))
		}
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

// box draws one pane: a border with its letter, its state and its rank
// (in ranking mode) in the top edge and the scroll position in the bottom
// one; focus is a heavier border and a marker, not colour alone.
func (s *Screen) box(p *pane, i, outer, content, height int) []string {
	mark := " "
	if i == s.focus {
		mark = "▸"
	}
	state := "done"
	switch {
	case p.err != nil:
		state = "failed"
	case !p.done:
		state = "streaming…"
	}
	title := fmt.Sprintf("%s%s · %s", mark, store.PaneLetter(i), state)
	if s.rank != nil {
		if n := s.rank.rankOf(i); n > 0 {
			title += fmt.Sprintf(" · rank %d", n)
		}
	}
	lines := s.paneLines(p, content)
	off := max(0, min(p.offset, len(lines)-max(1, height-2)))
	return s.ctx.Styles.PaneBox(title, lines, off, outer, content, height, i == s.focus)
}
