package screen

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/sanitize"
)

// Width, truncation and wrapping of text that may carry styling go through
// charmbracelet/x/ansi (display cells, escape-aware), never byte slicing.

// Fit makes s exactly w cells wide: cut with an ellipsis, or padded.
func Fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if ansi.StringWidth(s) > w {
		s = ansi.Truncate(s, w, "…")
	}
	if pad := w - ansi.StringWidth(s); pad > 0 {
		s += strings.Repeat(" ", pad)
	}
	return s
}

// FitMiddle is Fit for names that differ at their ends (user-000123,
// alignx/4f2a…91c0): a name too wide keeps its start and its end, cut in
// the middle, so that two long names stay told apart.
func FitMiddle(s string, w int) string {
	n := ansi.StringWidth(s)
	if w <= 0 || n <= w || w < 5 {
		return Fit(s, w)
	}
	head := (w - 1) / 2
	tail := w - 1 - head
	return ansi.Truncate(s, head, "") + "…" + ansi.TruncateLeft(s, n-tail, "")
}

// Wrap breaks s into lines of at most w cells, at spaces where it can.
func Wrap(s string, w int) string {
	if w <= 0 {
		return ""
	}
	return ansi.Wrap(s, w, " -")
}

// Clean is untrusted text (data files, models, servers) made safe for the
// terminal; Line is the same for a single line.
func Clean(s string) string { return sanitize.Text(s) }
func Line(s string) string  { return sanitize.Line(s) }

// Detab turns tabs into spaces: a tab's width depends on where the
// terminal's tab stops are, which the layout cannot know.
func Detab(s string) string {
	if !strings.Contains(s, "\t") {
		return s
	}
	return strings.ReplaceAll(s, "\t", "    ")
}

// Block splits rendered text into lines, keeping at most n (n < 0: all),
// each fitted to w cells.
func Block(s string, w, n int) []string {
	ls := strings.Split(s, "\n")
	if n >= 0 && len(ls) > n {
		ls = ls[:n]
	}
	for i := range ls {
		ls[i] = Fit(ls[i], w)
	}
	return ls
}

// Plural is "1 thing" or "n things".
func Plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// SummaryState names where a user's current summary came from.
func SummaryState(s *store.Summary) string {
	switch {
	case s == nil:
		return "none"
	case s.Source == store.SourceHuman:
		return "edited"
	case s.Source == store.SourceHeuristic:
		return "heuristic"
	}
	return "model"
}
