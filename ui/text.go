package ui

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/popi-tui/popi-tui/ui/sanitize"
)

// Width, truncation and wrapping of text that may carry styling go through
// charmbracelet/x/ansi (display cells, escape-aware), never byte slicing.

// fit makes s exactly w cells wide: cut with an ellipsis, or padded.
func fit(s string, w int) string {
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

// wrap breaks s into lines of at most w cells, at spaces where it can.
func wrap(s string, w int) string {
	if w <= 0 {
		return ""
	}
	return ansi.Wrap(s, w, " -")
}

// clean is untrusted text (data files, models, servers) made safe for the
// terminal; line is the same for a single line.
func clean(s string) string { return sanitize.Text(s) }
func line(s string) string  { return sanitize.Line(s) }

// lines splits rendered text into lines, and joins them back, keeping at
// most n (n < 0: all), each fitted to w cells.
func block(s string, w, n int) []string {
	ls := strings.Split(s, "\n")
	if n >= 0 && len(ls) > n {
		ls = ls[:n]
	}
	for i := range ls {
		ls[i] = fit(ls[i], w)
	}
	return ls
}

// plural is "1 thing" or "n things".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
