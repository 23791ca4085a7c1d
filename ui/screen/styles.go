package screen

import (
	"io"
	"strings"

	"github.com/charmbracelet/bubbles/progress"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/popi-tui/popi-tui/themes"
)

// Styles is every style the screens use, made once from a theme. With
// colour off (NO_COLOR) the renderer drops all colour and the screens
// still say everything in text.
type Styles struct {
	r       *lipgloss.Renderer
	Theme   themes.Theme
	NoColor bool

	Base, Title, Muted, Accent, Error, Success, Warning lipgloss.Style
	Selected, Header, StatusBar, HelpKey, HelpDesc      lipgloss.Style
	Pane, PaneFocused, Dialog, Tag                      lipgloss.Style
}

// NewStyles derives the styles from a theme, for output w; noColor turns
// colour off.
func NewStyles(t themes.Theme, w io.Writer, noColor bool) Styles {
	r := lipgloss.NewRenderer(w)
	if noColor {
		r.SetColorProfile(termenv.Ascii)
	}
	c := func(hex string) lipgloss.Color { return lipgloss.Color(hex) }
	s := Styles{r: r, Theme: t, NoColor: noColor}
	s.Base = r.NewStyle().Foreground(c(t.Fg))
	s.Title = r.NewStyle().Foreground(c(t.Accent)).Bold(true)
	s.Muted = r.NewStyle().Foreground(c(t.Muted))
	s.Accent = r.NewStyle().Foreground(c(t.Accent))
	s.Error = r.NewStyle().Foreground(c(t.Error))
	s.Success = r.NewStyle().Foreground(c(t.Success))
	s.Warning = r.NewStyle().Foreground(c(t.Warning))
	s.Selected = r.NewStyle().Foreground(c(t.SelectedFg)).Background(c(t.SelectedBg))
	s.Header = r.NewStyle().Foreground(c(t.Muted)).Bold(true)
	s.StatusBar = r.NewStyle().Foreground(c(t.Muted))
	s.HelpKey = r.NewStyle().Foreground(c(t.Accent))
	s.HelpDesc = r.NewStyle().Foreground(c(t.Muted))
	s.Pane = r.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(c(t.Border)).Padding(0, 1)
	s.PaneFocused = s.Pane.BorderForeground(c(t.Accent)).Border(lipgloss.ThickBorder())
	s.Dialog = r.NewStyle().Border(lipgloss.DoubleBorder()).BorderForeground(c(t.Accent)).Padding(1, 2)
	s.Tag = r.NewStyle().Foreground(c(t.Accent)).Bold(true)
	return s
}

// Renderer is the renderer the styles were made with.
func (s Styles) Renderer() *lipgloss.Renderer { return s.r }

// ProgressBar is a bubbles progress bar in the theme's colours, or in
// plain characters without colour.
func (s Styles) ProgressBar(opts ...progress.Option) progress.Model {
	return ProgressBar(s.Theme, s.NoColor, opts...)
}

// ProgressBar is a bubbles progress bar in t's accent colour, or, with
// noColor, in plain characters (# and .): the one theming of progress
// bars, the UI's jobs and the command line's bulk runs alike.
func ProgressBar(t themes.Theme, noColor bool, opts ...progress.Option) progress.Model {
	if noColor {
		opts = append(opts, progress.WithColorProfile(termenv.Ascii), progress.WithFillCharacters('#', '.'))
	} else {
		opts = append(opts, progress.WithSolidFill(t.Accent))
	}
	return progress.New(opts...)
}

// Bar is a horizontal bar width cells wide, the first filled of them in
// the accent colour as █ and the rest as ░, so that it reads without
// colour too: the labeling progress and the Stats screen's charts.
func (s Styles) Bar(filled, width int) string {
	filled = max(0, min(width, filled))
	return s.Accent.Render(strings.Repeat("█", filled)) + s.Muted.Render(strings.Repeat("░", width-filled))
}

// Cells is how many of width cells a fraction in [0, 1] fills, to the
// nearest cell.
func Cells(frac float64, width int) int {
	return int(max(0, min(1, frac))*float64(width) + 0.5)
}
