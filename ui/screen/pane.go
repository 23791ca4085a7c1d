package screen

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// PaneBox draws one answer's pane as Compare lays it out: height rows of
// outer cells, a border with the title in its top edge and, when lines do
// not fit, the rows shown in the bottom one; focus is a heavier border
// (and a marker the caller puts in the title, not colour alone). lines
// are content cells wide; the first shown is offset, clamped to the last
// screenful. A pane wider than its text pads on the right.
func (s Styles) PaneBox(title string, lines []string, offset, outer, content, height int, focused bool) []string {
	bs, border := s.Pane, lipgloss.RoundedBorder()
	if focused {
		bs, border = s.PaneFocused, lipgloss.ThickBorder()
	}
	edge := s.Renderer().NewStyle().Foreground(bs.GetBorderTopForeground())
	inner := max(1, height-2)
	off := max(0, min(offset, len(lines)-inner))
	title = ansi.Truncate(title, max(0, outer-3), "")
	top := edge.Render(border.TopLeft+border.Top) + s.Tag.Render(title) +
		edge.Render(strings.Repeat(border.Top, max(0, outer-3-ansi.StringWidth(title)))+border.TopRight)
	pos := ""
	if len(lines) > inner {
		pos = ansi.Truncate(fmt.Sprintf(" %d–%d/%d ", off+1, min(off+inner, len(lines)), len(lines)), max(0, outer-2), "")
	}
	bottom := edge.Render(border.BottomLeft + strings.Repeat(border.Bottom, max(0, outer-2-ansi.StringWidth(pos))) + pos + border.BottomRight)
	// The same edges on every row: styled once per pane, not per row.
	left, right := edge.Render(border.Left)+" ", strings.Repeat(" ", max(1, outer-3-content))+edge.Render(border.Right)
	blank := strings.Repeat(" ", content)
	out := append(make([]string, 0, height), top)
	for r := range inner {
		l := blank
		if off+r < len(lines) {
			l = lines[off+r]
		}
		out = append(out, left+l+right)
	}
	return append(out, bottom)
}
