package user

import (
	"io"
	"strings"
	"testing"

	"github.com/popi-tui/popi-tui/themes"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// diffString writes a diff one line per entry with its marker, as it is
// shown.
func diffString(d []diffLine) string {
	var b strings.Builder
	for _, l := range d {
		b.WriteString(l.Op.marker() + l.Text + "\n")
	}
	return b.String()
}

func TestLineDiff(t *testing.T) {
	tests := []struct {
		name     string
		from, to string
		want     string
	}{
		{"both empty", "", "", ""},
		{"all added", "", "a\nb", "+ a\n+ b\n"},
		{"all removed", "a\nb\n", "", "- a\n- b\n"},
		{"same", "a\nb", "a\nb", "  a\n  b\n"},
		{"final newline is not a line", "a\nb\n", "a\nb", "  a\n  b\n"},
		{"crlf is a line break", "a\r\nb", "a\nb", "  a\n  b\n"},
		{"append", "a\nb", "a\nb\nc", "  a\n  b\n+ c\n"},
		{"prepend", "b\nc", "a\nb\nc", "+ a\n  b\n  c\n"},
		{"change in the middle", "a\nb\nc", "a\nB\nc", "  a\n- b\n+ B\n  c\n"},
		{"remove in the middle", "a\nb\nc", "a\nc", "  a\n- b\n  c\n"},
		{"replace everything", "a\nb", "c\nd", "- a\n- b\n+ c\n+ d\n"},
		{"move a line", "a\nb\nc", "b\nc\na", "- a\n  b\n  c\n+ a\n"},
		{"interleaved", "a\nx\nb\ny\nc", "a\nb\nz\nc", "  a\n- x\n  b\n- y\n+ z\n  c\n"},
		{"repeated lines", "a\na\nb", "a\nb\nb", "  a\n- a\n+ b\n  b\n"},
		{"blank lines count", "a\n\nb", "a\nb", "  a\n- \n  b\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := lineDiff(tt.from, tt.to)
			if got := diffString(d); got != tt.want {
				t.Errorf("lineDiff(%q, %q) =\n%s\nwant\n%s", tt.from, tt.to, got, tt.want)
			}
			// Whatever the diff, keeping "  " and "- " lines rebuilds from,
			// keeping "  " and "+ " lines rebuilds to.
			var from, to []string
			for _, l := range d {
				if l.Op != diffAdd {
					from = append(from, l.Text)
				}
				if l.Op != diffDel {
					to = append(to, l.Text)
				}
			}
			if !slicesEqual(from, splitLines(tt.from)) || !slicesEqual(to, splitLines(tt.to)) {
				t.Errorf("the diff does not rebuild both texts: %q / %q", from, to)
			}
		})
	}
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestLineDiffIsMinimal checks the LCS: the kept lines are as many as can
// be.
func TestLineDiffIsMinimal(t *testing.T) {
	tests := []struct {
		from, to string
		kept     int
	}{
		{"a\nb\nc\nd\ne", "b\nd\ne\nf", 3},
		{"x\na\ny\nb\nz\nc", "a\nb\nc", 3},
		{"1\n2\n3\n4", "4\n3\n2\n1", 1},
	}
	for _, tt := range tests {
		kept := 0
		for _, l := range lineDiff(tt.from, tt.to) {
			if l.Op == diffSame {
				kept++
			}
		}
		if kept != tt.kept {
			t.Errorf("lineDiff(%q, %q) keeps %d lines, want %d", tt.from, tt.to, kept, tt.kept)
		}
	}
}

// TestLineDiffLarge checks that texts past the table's bound still diff
// correctly (ends trimmed, the middle replaced).
func TestLineDiffLarge(t *testing.T) {
	var a, b []string
	for i := range 3000 {
		a = append(a, "old "+strings.Repeat("x", i%7)+string(rune('a'+i%26)))
		b = append(b, "new "+strings.Repeat("y", i%5)+string(rune('a'+i%26)))
	}
	from := "head\n" + strings.Join(a, "\n") + "\ntail"
	to := "head\n" + strings.Join(b, "\n") + "\ntail"
	d := lineDiff(from, to)
	added, removed := diffStats(d)
	if added != 3000 || removed != 3000 || d[0] != (diffLine{diffSame, "head"}) || d[len(d)-1] != (diffLine{diffSame, "tail"}) {
		t.Errorf("large diff: +%d -%d, first %+v, last %+v", added, removed, d[0], d[len(d)-1])
	}
}

func TestRenderDiff(t *testing.T) {
	theme, _ := themes.Lookup("dark")
	st := screen.NewStyles(theme, io.Discard, true)
	tests := []struct {
		name     string
		from, to string
		width    int
		want     string
	}{
		{"markers", "a\nb", "a\nc", 20, "  a\n- b\n+ c"},
		{"wrapped lines keep their marker", "", "one two three four", 10, "+ one two\n+ three\n+ four"},
		{"escape sequences are removed", "x", "y\x1b[31m red\x1b]0;t\x07\u009b2J", 30, "- x\n+ y red"},
		{"tabs become spaces", "", "a\tb", 20, "+ a    b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := renderDiff(lineDiff(tt.from, tt.to), tt.width, st)
			if got != tt.want {
				t.Errorf("renderDiff =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}
