// Package help is the ? overlay: every key of the top screen, then the
// program's own, in as many columns as the width holds; what is still
// taller than the screen scrolls. (The one-line help at the bottom is the
// frame's, drawn with bubbles/help.)
package help

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/popi-tui/popi-tui/ui/screen"
)

// Overlay is the ? overlay's state: open or not, and how far it is
// scrolled.
type Overlay struct {
	open   bool
	offset int // first line shown, when it scrolls
	keys   KeyMap
}

// KeyMap is the overlay's keys: it closes with ?, q or esc and scrolls
// with the keys lists scroll with.
type KeyMap struct {
	Close key.Binding
	screen.NavKeys
}

// New is a closed overlay.
func New() Overlay {
	return Overlay{keys: KeyMap{
		Close:   key.NewBinding(key.WithKeys("?", "q", "esc"), key.WithHelp("?/esc", "close")),
		NavKeys: screen.DefaultNavKeys(),
	}}
}

// Open shows the overlay from its top; Close hides it.
func (o *Overlay) Open()       { *o = Overlay{open: true, keys: o.keys} }
func (o *Overlay) Close()      { o.open = false }
func (o Overlay) IsOpen() bool { return o.open }

// Offset is the first line shown, when the overlay scrolls.
func (o Overlay) Offset() int { return o.offset }

// Update takes a key while the overlay is open: last is the largest
// offset (from Lines) and page the lines a page scrolls.
func (o *Overlay) Update(msg tea.KeyMsg, last, page int) {
	k := o.keys
	switch {
	case key.Matches(msg, k.Close):
		o.open = false
	case key.Matches(msg, k.Up):
		o.offset = max(0, min(last, o.offset)-1)
	case key.Matches(msg, k.Down):
		o.offset = min(last, o.offset+1)
	case key.Matches(msg, k.PageUp):
		o.offset = max(0, min(last, o.offset)-page)
	case key.Matches(msg, k.PageDown):
		o.offset = min(last, o.offset+page)
	case key.Matches(msg, k.Top):
		o.offset = 0
	case key.Matches(msg, k.Bottom):
		o.offset = last
	}
}

// gap is the space between two columns of bindings.
const gap = 4

// Lines lays the groups out for a w×h area, scrolled to the offset,
// under a title naming the screen; last is the largest offset (0: it all
// fits).
func (o Overlay) Lines(st screen.Styles, title string, groups [][]key.Binding, w, h int) (out []string, last int) {
	body := strings.Split(lipgloss.JoinHorizontal(lipgloss.Top, stacks(columns(st, groups), w)...), "\n")
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

// columns is one column of "key  desc" lines per group with an enabled
// binding, the keys padded to the widest.
func columns(st screen.Styles, groups [][]key.Binding) [][]string {
	keyw := 0
	for _, g := range groups {
		for _, b := range g {
			if b.Enabled() {
				keyw = max(keyw, ansi.StringWidth(b.Help().Key))
			}
		}
	}
	var cols [][]string
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
	return cols
}

// stacks puts the columns side by side, as many as fit in w, the groups
// filling them in order, each about as tall as the others; it returns
// them drawn, padded to be joined.
func stacks(cols [][]string, w int) []string {
	colw := 0
	for _, c := range cols {
		for _, l := range c {
			colw = max(colw, ansi.StringWidth(l))
		}
	}
	n := max(1, min(len(cols), (w-2+gap)/(colw+gap)))
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
			blocks[i] = lipgloss.NewStyle().PaddingRight(gap).Render(blocks[i])
		}
	}
	return blocks
}
