package markdown

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
	"github.com/popi-tui/popi-tui/themes"
	"github.com/popi-tui/popi-tui/ui/sanitize"
	"github.com/popi-tui/popi-tui/ui/screen"
)

func TestRendererCachesAndBounds(t *testing.T) {
	theme, _ := themes.Lookup("dark")
	st := screen.NewStyles(theme, io.Discard, true)
	md := New(st)
	text := "# Title\n\nSome *text* with `code`, a well-known Wi-Fi and \x1b[2Jescapes.\n\n```go\nfmt.Println(1)\n```\n"
	render := func(text string, w int) []string {
		t.Helper()
		cmd := md.Request(context.Background(), text, w)
		if cmd == nil {
			t.Fatal("no render asked for")
		}
		if again := md.Request(context.Background(), text, w); again != nil {
			t.Error("a render asked for twice while pending")
		}
		md.Store(cmd().(Msg))
		ls, ok := md.Cached(text, w)
		if !ok {
			t.Fatal("not cached")
		}
		return ls
	}
	ls := render(text, 40)
	joined := strings.Join(ls, "\n")
	if strings.Contains(joined, "\x1b") || !strings.Contains(joined, "Title") || !strings.Contains(joined, "fmt.Println(1)") ||
		!strings.Contains(joined, "`code`") || !strings.Contains(joined, "well-known") || !strings.Contains(joined, "Wi-Fi") ||
		strings.ContainsRune(joined, hyphenStandIn) {
		t.Errorf("rendered:\n%q", joined)
	}
	for _, l := range ls {
		if ansi.StringWidth(l) != 40 {
			t.Errorf("line %q is %d cells, want 40", l, ansi.StringWidth(l))
		}
	}
	if md.Request(context.Background(), text, 40) != nil {
		t.Error("a cached answer rendered again")
	}
	if len(md.renderers) != 1 {
		t.Errorf("%d renderers for one width", len(md.renderers))
	}
	for i := range mdCacheSize + 5 {
		render(fmt.Sprintf("text %d", i), 30)
	}
	if len(md.cache) > mdCacheSize || len(md.order) != len(md.cache) || len(md.pending) != 0 {
		t.Errorf("cache holds %d (order %d, pending %d), bound %d", len(md.cache), len(md.order), len(md.pending), mdCacheSize)
	}
	// A closed screen's render is skipped.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if msg := md.Request(ctx, "late", 30)(); msg != nil {
		t.Errorf("rendered after the screen closed: %v", msg)
	}
	// With colour on the theme picks glamour's style; never a margin.
	colour := New(screen.Styles{Theme: theme})
	if colour.style.Document.Margin == nil || *colour.style.Document.Margin != 0 || colour.profile == termenv.Ascii {
		t.Error("style for colour")
	}
}

func TestKeepsWordsTogether(t *testing.T) {
	// glamour v1 alone leaves "internet" on a line of its own here.
	theme, _ := themes.Lookup("dark")
	md := New(screen.NewStyles(theme, io.Discard, true))
	text := "**Wi-Fi** is a way for devices to connect to the internet without cables, using `radio` waves: the same kind of invisible signal a car-radio picks up, `a-b` and well-known."
	for _, colour := range []bool{false, true} {
		if colour {
			st := screen.NewStyles(theme, io.Discard, false)
			st.Renderer().SetColorProfile(termenv.TrueColor)
			md = New(st)
		}
		wordsTogether(t, md, text)
	}
}

func wordsTogether(t *testing.T, md *Renderer, text string) {
	t.Helper()
	for w := 20; w <= 80; w++ {
		ls := md.Render(text, w)
		for i := 0; i+1 < len(ls); i++ {
			cur, next := strings.TrimRight(ansi.Strip(ls[i]), " "), strings.Fields(ansi.Strip(ls[i+1]))
			if len(next) > 0 && ansi.StringWidth(cur)+1+ansi.StringWidth(next[0]) <= w {
				t.Errorf("width %d: %q broken before %q, which fits", w, cur, next[0])
			}
		}
	}
}

func TestProtectHyphens(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Wi-Fi", "WiǂFi"},
		{"a-b-c", "aǂbǂc"},
		{"- item\n---\n--soft x - y", "- item\n---\n--soft x - y"},
		{"already ǂ here a-b", "already ǂ here a-b"},
	}
	for _, tt := range tests {
		if got, _ := protectHyphens(tt.in); got != tt.want {
			t.Errorf("protectHyphens(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// glamour turns character references back into controls, and lays tabs
// out as they come: what it renders is sanitized again (its own colours
// kept) and tabs become spaces, so answers cannot set the terminal's
// title or tear the frame.
func TestOutputIsSanitized(t *testing.T) {
	theme, _ := themes.Lookup("dark")
	tests := []struct {
		name    string
		noColor bool
		text    string
		want    []string // in the output, escapes stripped
	}{
		{"title by character reference", true, "Look &#27;]2;PWNED-TITLE&#7; here &#x1b;[2J and &#x9b;31m done.", []string{"Look", "here", "done."}},
		{"title, in colour", false, "# Head\n\nLook &#27;]0;pwned&#7; **bold** &#x1b;[?1049h end.", []string{"Head", "Look", "bold", "end."}},
		{"tabs in code", true, "```go\nfunc main() {\n\tselect {\n\t\tcase <-done:\n\t}\n}\n```", []string{"select {", "case <-done:"}},
		{"tabs in code, in colour", false, "```\na\tb\n```\n\nend\ttext", []string{"a    b", "end"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := screen.NewStyles(theme, io.Discard, tt.noColor)
			if !tt.noColor {
				st.Renderer().SetColorProfile(termenv.TrueColor)
			}
			md := New(st)
			ls := md.Render(tt.text, 40)
			joined := strings.Join(ls, "\n")
			for _, l := range ls {
				if w := ansi.StringWidth(l); w != 40 {
					t.Errorf("line %q is %d cells, want 40", l, w)
				}
			}
			if strings.ContainsAny(joined, "\t\a") || strings.Contains(joined, "PWNED") || strings.Contains(joined, "pwned") {
				t.Errorf("a control or its payload reached the output:\n%q", joined)
			}
			if got := sanitize.Styled(joined); got != joined {
				t.Errorf("more than colour in the output:\n%q", joined)
			}
			if tt.noColor && strings.Contains(joined, "\x1b") {
				t.Errorf("an escape without colour:\n%q", joined)
			}
			if !tt.noColor && !strings.Contains(joined, "\x1b[") {
				t.Errorf("no colour at all: the test does not test keeping it:\n%q", joined)
			}
			plain := ansi.Strip(joined)
			for _, w := range tt.want {
				if !strings.Contains(plain, w) {
					t.Errorf("output lacks %q:\n%s", w, plain)
				}
			}
		})
	}
}

// One word wider than the pane (a URL, a long code line) is broken hard
// where it stands; the rest of the answer still wraps at the pane's width,
// and a broken code line stays indented in its block.
func TestLongWordsBreakAlone(t *testing.T) {
	theme, _ := themes.Lookup("dark")
	url := "https://example.com/" + strings.Repeat("very-long-path-segment/", 6)
	code := "    result := computeSomethingExpensive(firstArgument, secondArgument, thirdArgument, fourth)"
	text := "Read the guide at " + url + " before you start. It explains every step of the setup in plain words, with examples that you can copy.\n\n```go\nfunc f() {\n" + code + "\n}\n```\n"
	for _, colour := range []bool{false, true} {
		st := screen.NewStyles(theme, io.Discard, !colour)
		if colour {
			st.Renderer().SetColorProfile(termenv.TrueColor)
		}
		md := New(st)
		const w = 56
		ls := md.Render(text, w)
		widest, joined := 0, ""
		for _, l := range ls {
			if n := ansi.StringWidth(l); n != w {
				t.Errorf("colour %v: line %q is %d cells, want %d", colour, l, n, w)
			}
			p := strings.TrimRight(ansi.Strip(l), " ")
			joined += p + "\n"
			if !strings.Contains(p, "example.com") && !strings.Contains(p, "segment") && !strings.Contains(p, "Argument") {
				widest = max(widest, ansi.StringWidth(p))
			}
		}
		if widest < w-12 {
			t.Errorf("colour %v: the prose wraps at %d cells in a %d-cell pane:\n%s", colour, widest, w, joined)
		}
		if !strings.Contains(strings.ReplaceAll(strings.ReplaceAll(joined, "\n", ""), " ", ""), strings.ReplaceAll(url, " ", "")) {
			t.Errorf("colour %v: the URL is not all there:\n%s", colour, joined)
		}
		// The code line's pieces after the first keep the line's indentation.
		var pieces []string
		for _, l := range strings.Split(joined, "\n") {
			if strings.Contains(l, "Argument") || strings.Contains(l, "fourth)") {
				pieces = append(pieces, l)
			}
		}
		if len(pieces) < 2 {
			t.Fatalf("colour %v: the long code line was not broken:\n%s", colour, joined)
		}
		lead := func(s string) int { return len(s) - len(strings.TrimLeft(s, " ")) }
		for _, p := range pieces[1:] {
			if lead(p) < lead(pieces[0]) {
				t.Errorf("colour %v: a piece of the code line lost its indentation: %q after %q", colour, p, pieces[0])
			}
		}
	}
}
