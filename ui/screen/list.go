package screen

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// Cursor is a list's cursor (At, an index into the rows shown) and the
// first row on screen (Offset): the moving and scrolling lists share.
type Cursor struct{ At, Offset int }

// Move moves the cursor by rows within n rows, visible of them on screen.
func (c *Cursor) Move(by, n, visible int) {
	c.At = max(0, min(n-1, c.At+by))
	c.Scroll(n, visible)
}

// Scroll keeps the cursor's row among the visible rows on screen.
func (c *Cursor) Scroll(n, visible int) {
	c.At = max(0, min(c.At, n-1))
	if c.At < c.Offset {
		c.Offset = c.At
	}
	if c.At >= c.Offset+visible {
		c.Offset = c.At - visible + 1
	}
	c.Offset = max(0, min(c.Offset, n-visible))
}

// Step is how far a moving key takes a list's cursor, a page being page
// rows and the list n rows long; ok is false for another key.
func (k NavKeys) Step(msg tea.KeyMsg, page, n int) (by int, ok bool) {
	switch {
	case key.Matches(msg, k.Up):
		return -1, true
	case key.Matches(msg, k.Down):
		return 1, true
	case key.Matches(msg, k.PageUp):
		return -page, true
	case key.Matches(msg, k.PageDown):
		return page, true
	case key.Matches(msg, k.Top):
		return -n, true
	case key.Matches(msg, k.Bottom):
		return n, true
	}
	return 0, false
}
