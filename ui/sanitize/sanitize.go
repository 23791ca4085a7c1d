// Package sanitize makes untrusted text (from data files, models and
// servers) safe to put on a terminal: no escape sequences and no control
// characters reach it. Every piece of such text passes through here before
// it is printed or rendered.
package sanitize

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Text removes escape sequences (CSI, OSC, DCS, APC, PM, SOS and two-byte
// ones, in their 7-bit and 8-bit forms), C0 and C1 control characters but
// newline and tab, DEL, and the bidirectional overrides that can make text
// display other than it reads; invalid UTF-8 becomes U+FFFD. Other text is
// kept as it is.
func Text(s string) string {
	if clean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
			i++
			continue
		case r == 0x1b: // ESC
			i = skipEscape(s, i+1)
			continue
		case r == 0x9b: // 8-bit CSI
			i = skipCSI(s, i+size)
			continue
		case r == 0x9d || r == 0x90 || r == 0x98 || r == 0x9e || r == 0x9f: // 8-bit OSC, DCS, SOS, PM, APC
			i = skipString(s, i+size)
			continue
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || isBidiControl(r):
			// dropped
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// Line is Text for one line of output: newlines and tabs become spaces.
func Line(s string) string {
	s = Text(s)
	if strings.ContainsAny(s, "\n\t") {
		s = strings.Map(func(r rune) rune {
			if r == '\n' || r == '\t' {
				return ' '
			}
			return r
		}, s)
	}
	return s
}

// Names is a list of untrusted names as one line: the first shown of
// them, each through Line, joined by commas, then how many more there are
// ("u1, u2, u3 and 2 more").
func Names(names []string, shown int) string {
	out := make([]string, 0, min(len(names), shown))
	for _, n := range names[:min(len(names), max(shown, 0))] {
		out = append(out, Line(n))
	}
	s := strings.Join(out, ", ")
	switch more := len(names) - len(out); {
	case more > 0 && s == "":
		s = fmt.Sprintf("%d more", more)
	case more > 0:
		s += fmt.Sprintf(" and %d more", more)
	}
	return s
}

// Styled is Text for text our own renderer styled (glamour's output): its
// colours and attributes, SGR sequences such as ESC[1;38;5;203m, are kept
// and nothing else is. The renderer's input was untrusted, and it turns
// character references ("&#27;") back into the controls Text took out, so
// its output is checked again; tabs, which have no width a layout can
// count, become four spaces.
func Styled(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '[' {
			end := skipCSI(s, i+2)
			if isSGR(s[i+2 : end]) {
				b.WriteString(s[i:end])
			}
			i = end
			continue
		}
		j := i + 1
		for j < len(s) && s[j] != 0x1b {
			j++
		}
		b.WriteString(strings.ReplaceAll(Text(s[i:j]), "\t", "    "))
		i = j
	}
	return b.String()
}

// isSGR reports whether a CSI's body (parameters and final byte) selects
// graphic rendition: digits, ";" and ":" ending in "m".
func isSGR(body string) bool {
	if body == "" || body[len(body)-1] != 'm' {
		return false
	}
	for i := 0; i < len(body)-1; i++ {
		if c := body[i]; (c < '0' || c > '9') && c != ';' && c != ':' {
			return false
		}
	}
	return true
}

// clean reports whether s needs no change (the common case, checked fast).
func clean(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return cleanSlow(s[i:])
		}
		if (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

func cleanSlow(s string) bool {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return false
			}
		}
		if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || (r >= 0x80 && r < 0xa0) || isBidiControl(r) {
			return false
		}
	}
	return true
}

func isBidiControl(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f || r == 0x061c
}

// skipEscape returns the index after the escape sequence whose ESC ends
// just before i.
func skipEscape(s string, i int) int {
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case '[':
		return skipCSI(s, i+1)
	case ']', 'P', 'X', '^', '_':
		return skipString(s, i+1)
	}
	// A two-byte sequence (ESC c, ESC 7, …): drop the next character too.
	_, size := utf8.DecodeRuneInString(s[i:])
	return i + size
}

// skipCSI skips a control sequence's parameters and intermediates up to
// and including its final byte (0x40–0x7e).
func skipCSI(s string, i int) int {
	for ; i < len(s); i++ {
		if c := s[i]; c >= 0x40 && c <= 0x7e {
			return i + 1
		}
	}
	return i
}

// skipString skips a control string up to its terminator: BEL, ST (ESC \)
// or 8-bit ST (U+009C).
func skipString(s string, i int) int {
	for i < len(s) {
		switch {
		case s[i] == 0x07:
			return i + 1
		case s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\':
			return i + 2
		case strings.HasPrefix(s[i:], "\u009c"):
			return i + len("\u009c")
		}
		i++
	}
	return i
}
