package sanitize

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "Prefers short answers.", "Prefers short answers."},
		{"unicode kept", "café naïve 😀 日本語", "café naïve 😀 日本語"},
		{"newline and tab kept", "a\n\tb", "a\n\tb"},
		{"colour", "\x1b[31mred\x1b[0m", "red"},
		{"cursor movement", "ab\x1b[2Acd\x1b[10;20H", "abcd"},
		{"clear screen", "\x1b[2J\x1b[Hhi", "hi"},
		{"OSC title with BEL", "\x1b]0;pwned\x07text", "text"},
		{"OSC hyperlink with ST", "\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\", "click"},
		{"OSC 52 clipboard", "\x1b]52;c;cm0gLXJmIC8=\x07x", "x"},
		{"DCS", "\x1bPq#0;2;0;0;0\x1b\\after", "after"},
		{"two-byte escape", "\x1bcreset", "reset"},
		{"8-bit CSI", "a\u009b31mb", "ab"},
		{"8-bit OSC", "a\u009d0;title\u009cb", "ab"},
		{"C0 controls", "a\x00b\x07c\x08d\re\x7f", "abcde"},
		{"C1 controls", "a\u0085b\u0080c", "abc"},
		{"bidi override", "abc\u202edcba\u202c", "abcdcba"},
		{"invalid UTF-8", "caf\xe9", "caf\ufffd"},
		{"escape at the end", "text\x1b", "text"},
		{"unterminated CSI", "text\x1b[31", "text"},
		{"unterminated OSC", "text\x1b]0;title", "text"},
	}
	for _, tt := range tests {
		if got := Text(tt.in); got != tt.want {
			t.Errorf("%s: Text(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

func TestLine(t *testing.T) {
	if got := Line("a\nb\tc\x1b[31m"); got != "a b c" {
		t.Errorf("Line = %q", got)
	}
}

// FuzzText: whatever goes in, nothing that a terminal interprets comes out,
// the output is valid UTF-8, and clean text passes unchanged.
func FuzzText(f *testing.F) {
	for _, s := range []string{"plain", "\x1b[31mred", "\x1b]0;t\x07", "\u009b2J", "caf\xe9", "a\u202eb", "\x1bP\x1b\\", "\n\t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Text(s)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 out of %q", s)
		}
		for _, r := range out {
			if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || (r >= 0x80 && r < 0xa0) || isBidiControl(r) {
				t.Fatalf("control %U left in %q (from %q)", r, out, s)
			}
		}
		if Text(out) != out {
			t.Fatalf("not idempotent: %q", s)
		}
		if clean(s) && out != s {
			t.Fatalf("clean text changed: %q → %q", s, out)
		}
		if l := Line(s); strings.ContainsAny(l, "\n\t") {
			t.Fatalf("Line left a line break: %q", l)
		}
	})
}

func TestStyled(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "plain text", "plain text"},
		{"colours kept", "\x1b[1;38;5;203mbold\x1b[0m \x1b[38:2::1:2:3mtrue\x1b[m", "\x1b[1;38;5;203mbold\x1b[0m \x1b[38:2::1:2:3mtrue\x1b[m"},
		{"title dropped", "Look \x1b]2;PWNED\x07here", "Look here"},
		{"title with ST dropped", "a\x1b]0;x\x1b\\b", "ab"},
		{"clear screen dropped", "\x1b[2J\x1b[Hhi", "hi"},
		{"private mode dropped", "\x1b[?1049hx\x1b[?25l", "x"},
		{"8-bit CSI dropped", "a\u009b2Jb", "ab"},
		{"C0 dropped", "a\x07b\x08c\rd", "abcd"},
		{"tab to spaces", "\x1b[32mfunc\tmain\x1b[0m", "\x1b[32mfunc    main\x1b[0m"},
		{"unterminated CSI", "x\x1b[31", "x"},
		{"escape at the end", "x\x1b", "x"},
	}
	for _, tt := range tests {
		if got := Styled(tt.in); got != tt.want {
			t.Errorf("%s: Styled(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

// FuzzStyled: every escape left opens an SGR sequence, and with those
// taken out no control is left.
func FuzzStyled(f *testing.F) {
	for _, s := range []string{"plain", "\x1b[31mred\x1b[0m", "\x1b]0;t\x07", "\u009b2J", "a\tb", "\x1b[1;2m\x1b[?25h", "\x1b\x1b[m"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Styled(s)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 out of %q", s)
		}
		rest := out
		for {
			i := strings.IndexByte(rest, 0x1b)
			if i < 0 {
				break
			}
			if i+1 >= len(rest) || rest[i+1] != '[' {
				t.Fatalf("a bare escape left in %q (from %q)", out, s)
			}
			end := skipCSI(rest, i+2)
			if !isSGR(rest[i+2 : end]) {
				t.Fatalf("a non-SGR sequence %q left in %q (from %q)", rest[i:end], out, s)
			}
			rest = rest[:i] + rest[end:]
		}
		for _, r := range rest {
			if (r < 0x20 && r != '\n') || r == 0x7f || (r >= 0x80 && r < 0xa0) || isBidiControl(r) {
				t.Fatalf("control %U left in %q (from %q)", r, out, s)
			}
		}
		if Styled(out) != out {
			t.Fatalf("not idempotent: %q → %q → %q", s, out, Styled(out))
		}
	})
}

func TestNames(t *testing.T) {
	tests := []struct {
		names []string
		shown int
		want  string
	}{
		{nil, 3, ""},
		{[]string{"u1"}, 3, "u1"},
		{[]string{"u1", "u2\x1b[2J", "u3"}, 3, "u1, u2, u3"},
		{[]string{"a", "b", "c", "d", "e"}, 3, "a, b, c and 2 more"},
		{[]string{"a\nb", "c"}, 0, "2 more"},
	}
	for _, tt := range tests {
		if got := Names(tt.names, tt.shown); got != tt.want {
			t.Errorf("Names(%q, %d) = %q, want %q", tt.names, tt.shown, got, tt.want)
		}
	}
}
