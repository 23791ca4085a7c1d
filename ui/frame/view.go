package frame

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/x/ansi"

	"github.com/popi-tui/popi-tui/ui/screen"
)

// View draws the top screen (or the question) in the frame.
func (f *Frame) View() string { return f.Framed(f.Body()) }

// Body is what the frame holds: the top screen, with the question (if
// one is asked) drawn over its middle.
func (f *Frame) Body() string {
	body := f.Top().View()
	if f.dialog == nil {
		return body
	}
	w, h, st := f.ctx.Width, f.ctx.Height, f.ctx.Styles
	box := strings.Split(st.Dialog.Render(screen.Wrap(f.dialog.question, min(60, w-8))), "\n")
	lines := screen.Block(body, w, h-2)
	for len(lines) < h-2 {
		lines = append(lines, strings.Repeat(" ", w))
	}
	return overlay(lines, box, w)
}

// overlay draws box over the middle of lines (each w cells wide), the
// lines around it still showing.
func overlay(lines, box []string, w int) string {
	bw := 0
	for _, l := range box {
		bw = max(bw, ansi.StringWidth(l))
	}
	bw = min(bw, w)
	x, y := (w-bw)/2, max(0, (len(lines)-len(box))/2)
	for i, b := range box {
		if y+i >= len(lines) {
			break
		}
		l := lines[y+i]
		lines[y+i] = ansi.Truncate(l, x, "") + screen.Fit(b, bw) + ansi.TruncateLeft(l, x+bw, "")
	}
	return strings.Join(lines, "\n")
}

// Framed draws body above the status and help lines, exactly the
// terminal's size; below 60×20 it says, wrapped to fit, that the terminal
// is too small.
func (f *Frame) Framed(body string) string {
	w, h := f.ctx.Width, f.ctx.Height
	if w < screen.MinWidth || h < screen.MinHeight {
		msg := fmt.Sprintf("Terminal too small (%d×%d): popi-tui needs %d×%d.", w, h, screen.MinWidth, screen.MinHeight)
		ls := strings.Split(screen.Wrap(msg, max(1, w)), "\n")
		return strings.Join(ls[:min(len(ls), max(1, h))], "\n")
	}
	lines := screen.Block(body, w, h-2)
	for len(lines) < h-2 {
		lines = append(lines, strings.Repeat(" ", w))
	}
	return strings.Join(lines, "\n") + "\n" + screen.Fit(f.statusLine(), w) + "\n" + screen.Fit(f.helpLine(w), w)
}

func (f *Frame) statusLine() string {
	st := f.ctx.Styles
	parts := []string{st.Title.Render("popi-tui"), f.Top().Title()}
	if n := f.ctx.Jobs.Running(); n > 0 {
		parts = append(parts, st.Accent.Render(screen.Plural(n, "job", "jobs")+" running (J)"))
	}
	if f.status != "" {
		s := screen.Line(f.status)
		if f.isErr {
			s = st.Error.Render("error: " + s)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, st.Muted.Render(" · "))
}

// helpLine is the keys of the top screen, most important first, as many
// as fit beside the program's own: ? and q always (q says whether it goes
// back or quits), J, S, D and E after them when there is room. While a text
// field has the keys they are text, and only the screen's are shown.
// bubbles/help draws the line.
func (f *Frame) helpLine(w int) string {
	top := f.Top()
	var must, more []key.Binding
	if !top.Typing() {
		quit := screen.Brief(f.keys.Quit, "back")
		if len(f.screens) == 1 {
			quit = screen.Brief(f.keys.Quit, "quit")
		}
		must = []key.Binding{f.keys.Help, quit}
		more = []key.Binding{f.keys.Jobs, f.keys.Stats, f.keys.Decisions, f.keys.Export}
	}
	f.line.Width = w
	return f.line.ShortHelpView(fitKeys(w, top.ShortHelp(), must, more))
}

// fitKeys is keys, in order, as many as fit w cells beside must (a key
// that does not fit ends them: none after it shows in its place), then
// must, then as many of more as still fit.
func fitKeys(w int, keys, must, more []key.Binding) []key.Binding {
	used := 0
	cells := func(b key.Binding) int { // b's width on the line, with its separator
		n := ansi.StringWidth(b.Help().Key) + 1 + ansi.StringWidth(b.Help().Desc)
		if used > 0 {
			n += ansi.StringWidth(separator)
		}
		return n
	}
	for _, b := range must {
		used += cells(b)
	}
	take := func(list []key.Binding) (taken []key.Binding) {
		for _, b := range list {
			if !b.Enabled() {
				continue
			}
			n := cells(b)
			if used+n > w {
				break
			}
			taken, used = append(taken, b), used+n
		}
		return taken
	}
	out := append(take(keys), must...)
	return append(out, take(more)...)
}
