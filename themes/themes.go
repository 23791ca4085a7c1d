// Package themes holds popi-tui's colours: named palettes, the default
// that follows the terminal's background, and the rule for turning colour
// off. Only ui uses it. Colour never carries meaning alone: the screens
// mark what matters with text and symbols too.
package themes

import (
	"fmt"
	"sort"

	"github.com/charmbracelet/lipgloss"
)

// Theme is a named palette. Colours are hex strings so that any renderer
// (Lip Gloss styles, the Bubbles progress bar) can take them.
type Theme struct {
	Name string
	Dark bool // meant for a dark background

	Fg         string // ordinary text
	Muted      string // secondary text: counts, hints, ids
	Border     string // pane borders
	Accent     string // titles, progress, the focused pane's border
	SelectedFg string // the row under the cursor
	SelectedBg string
	Error      string // failures (always said in words too)
	Success    string // the preferred response, a saved decision
	Warning    string // the dispreferred response, a pending question
}

var byName = map[string]Theme{
	"dark": {Name: "dark", Dark: true,
		Fg: "#D8DEE9", Muted: "#8A8F98", Border: "#4C566A", Accent: "#7D9CFF",
		SelectedFg: "#FFFFFF", SelectedBg: "#3B4252", Error: "#FF6B6B", Success: "#8FD18F", Warning: "#E5C07B"},
	"light": {Name: "light", Dark: false,
		Fg: "#2E3440", Muted: "#5F6670", Border: "#A0A8B4", Accent: "#2F54C9",
		SelectedFg: "#000000", SelectedBg: "#DDE4F0", Error: "#C62828", Success: "#2E7D32", Warning: "#9A6700"},
	"high-contrast": {Name: "high-contrast", Dark: true,
		Fg: "#FFFFFF", Muted: "#FFFFFF", Border: "#FFFFFF", Accent: "#FFFF00",
		SelectedFg: "#000000", SelectedBg: "#FFFF00", Error: "#FF5555", Success: "#55FF55", Warning: "#FFFF55"},
}

// Names lists the themes, sorted.
func Names() []string {
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Lookup returns a theme by name; "" picks dark or light to match the
// terminal's background.
func Lookup(name string) (Theme, error) {
	if name == "" {
		if lipgloss.HasDarkBackground() {
			return byName["dark"], nil
		}
		return byName["light"], nil
	}
	t, ok := byName[name]
	if !ok {
		return Theme{}, fmt.Errorf("unknown theme %q (want one of %v)", name, Names())
	}
	return t, nil
}

// ColorDisabled reports whether colour is off: NO_COLOR set to any
// non-empty value (https://no-color.org).
func ColorDisabled(getenv func(string) string) bool { return getenv("NO_COLOR") != "" }
