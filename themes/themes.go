// Package themes holds popi-tui's colours: named palettes and the rule
// for turning colour off. Only ui uses it.
package themes

import (
	"fmt"
	"sort"

	"github.com/charmbracelet/lipgloss"
)

// Theme is a named palette. Colours are hex strings so that any renderer
// (Lip Gloss styles, the Bubbles progress bar) can take them.
type Theme struct {
	Name   string
	Accent string // progress, focus, the current choice
	Muted  string // secondary text
	Error  string // failures (always said in words too: colour is never the only signal)
}

var byName = map[string]Theme{
	"dark":          {Name: "dark", Accent: "#7D9CFF", Muted: "#8A8F98", Error: "#FF6B6B"},
	"light":         {Name: "light", Accent: "#2F54C9", Muted: "#5F6670", Error: "#C62828"},
	"high-contrast": {Name: "high-contrast", Accent: "#FFFF00", Muted: "#FFFFFF", Error: "#FF0000"},
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
