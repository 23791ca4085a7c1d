package ui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// helpOverlay is the "?" overlay: every binding of the top screen, then
// the program's own, in as many columns as the width holds; what is still
// taller than the screen scrolls.
type helpOverlay struct {
	open   bool
	offset int // first line shown, when it scrolls
}

// helpGap is the space between two columns of bindings.
const helpGap = 4

// lines lays the groups out for a w×h area, scrolled to the offset; last
// is the largest offset (0: it all fits).
func (o helpOverlay) lines(st screen.Styles, title string, groups [][]key.Binding, w, h int) (out []string, last int) {
	keyw := 0
	var cols [][]string // one per group, each line "key  desc"
	for _, g := range groups {
		for _, b := range g {
			if b.Enabled() {
				keyw = max(keyw, ansi.StringWidth(b.Help().Key))
			}
		}
	}
	for _, g := range groups {
		var col []string
		for _, b := range g {
			if !b.Enabled() {
				continue
			}
			h := b.Help()
			col = append(col, st.HelpKey.Render(screen.Fit(h.Key, keyw))+"  "+st.HelpDesc.Render(h.Desc))
		}
		if len(col) > 0 {
			cols = append(cols, col)
		}
	}
	colw := 0
	for _, c := range cols {
		for _, l := range c {
			colw = max(colw, ansi.StringWidth(l))
		}
	}
	// As many columns as fit side by side; the groups fill them in
	// order, each column about as tall as the others.
	n := max(1, min(len(cols), (w-2+helpGap)/(colw+helpGap)))
	total := 0
	for _, c := range cols {
		total += len(c) + 1
	}
	target := (total + n - 1) / n
	var stacks [][]string
	var cur []string
	for _, c := range cols {
		if len(cur) > 0 && len(cur)+len(c) > target && len(stacks) < n-1 {
			stacks = append(stacks, cur)
			cur = nil
		}
		if len(cur) > 0 {
			cur = append(cur, "")
		}
		cur = append(cur, c...)
	}
	stacks = append(stacks, cur)
	blocks := make([]string, len(stacks))
	for i, s := range stacks {
		for j := range s {
			s[j] = screen.Fit(s[j], colw)
		}
		blocks[i] = strings.Join(s, "\n")
		if i < len(stacks)-1 {
			blocks[i] = lipgloss.NewStyle().PaddingRight(helpGap).Render(blocks[i])
		}
	}
	body := strings.Split(lipgloss.JoinHorizontal(lipgloss.Top, blocks...), "\n")

	// Title, blank line, body, blank line, hint: the body gets the rest.
	room := max(1, h-4)
	last = max(0, len(body)-room)
	hint := "? or esc closes this help."
	if last > 0 {
		from := min(o.offset, last)
		end := from + room
		hint = fmt.Sprintf("↑/↓ pgup/pgdn scroll (%d/%d) · %s", end, len(body), hint)
		body = body[from:end]
	}
	out = []string{st.Title.Render("Keys — " + title), ""}
	for _, l := range body {
		out = append(out, "  "+l)
	}
	return append(out, "", st.Muted.Render(hint)), last
}
