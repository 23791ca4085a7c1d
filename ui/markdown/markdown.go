// Package markdown renders model answers and dataset texts (Markdown,
// untrusted) as lines for a pane: glamour for the prose, fenced code laid
// out line by line, sanitized on the way in and out, cached per width.
package markdown

import (
	"context"
	"strings"
	"sync"
	"unicode"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/glamour"
	gansi "github.com/charmbracelet/glamour/ansi"
	"github.com/charmbracelet/glamour/styles"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/popi-tui/popi-tui/ui/sanitize"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// Renderer renders model answers for the panes with glamour. Rendering
// an 8 KB answer takes about 10 ms, a frame must take far less: so answers
// are rendered in commands, off the UI goroutine, as they arrive (the
// pane shows the plain text meanwhile), and kept as lines already fitted
// to the width, so that drawing a frame only slices them. A glamour
// renderer is built once per width (building one parses its style).
type Renderer struct {
	style   gansi.StyleConfig
	profile termenv.Profile
	code    lipgloss.Style // fenced code, which the panes lay out themselves

	mu        sync.Mutex // renders run in commands; a renderer is not safe for concurrent use
	renderers map[int]*glamour.TermRenderer

	// The UI goroutine's alone.
	cache   map[mdKey][]string
	order   []mdKey // oldest first, for eviction
	pending map[mdKey]bool
}

type mdKey struct {
	width int
	text  string
}

// Msg is a rendered answer, for the Renderer that asked for it (Store).
type Msg struct {
	from  *Renderer // messages go to every screen: each keeps its own
	key   mdKey
	lines []string
}

// mdCacheSize bounds the rendered answers kept: the panes of the current
// item and of the prefetched ones, at a couple of widths (a resize).
const mdCacheSize = 64

// New picks glamour's style from the theme: dark or light, and
// "notty" (no colour, no attributes) when colour is off, so NO_COLOR holds
// inside the panes too.
func New(st screen.Styles) *Renderer {
	m := &Renderer{renderers: map[int]*glamour.TermRenderer{}, cache: map[mdKey][]string{}, pending: map[mdKey]bool{}, profile: termenv.TrueColor,
		code: st.Accent}
	if st.Renderer() != nil {
		m.profile = st.Renderer().ColorProfile()
	}
	switch {
	case m.profile == termenv.Ascii:
		m.style = styles.NoTTYStyleConfig
	case st.Theme.Dark:
		m.style = styles.DarkStyleConfig
	default:
		m.style = styles.LightStyleConfig
	}
	// The pane has its own border and padding: glamour's document margin
	// would only waste columns of an already narrow pane.
	zero := uint(0)
	m.style.Document.Margin = &zero
	// glamour v1 wraps a paragraph twice, with two wrappers that disagree
	// about inline code padded with spaces: lines then break early, leaving
	// one word alone on a line. Without the padding they agree.
	m.style.Code.Prefix, m.style.Code.Suffix = "", ""
	if m.profile == termenv.Ascii {
		// Without colour, inline code is marked in text, as written.
		m.style.Code.Prefix, m.style.Code.Suffix = "`", "`"
	}
	return m
}

// Cached returns text rendered at width, if it is.
func (m *Renderer) Cached(text string, width int) ([]string, bool) {
	ls, ok := m.cache[mdKey{max(1, width), text}]
	return ls, ok
}

// Request is the command that renders text (untrusted: it is sanitized
// first) at width, unless it is rendered or being rendered already. The
// result comes back as a Msg for Store. ctx ending (the screen
// closed) skips the work.
func (m *Renderer) Request(ctx context.Context, text string, width int) tea.Cmd {
	k := mdKey{max(1, width), text}
	if _, ok := m.cache[k]; ok || m.pending[k] {
		return nil
	}
	m.pending[k] = true
	return func() tea.Msg {
		if ctx.Err() != nil {
			return nil
		}
		m.mu.Lock()
		defer m.mu.Unlock()
		return Msg{from: m, key: k, lines: m.render(k.text, k.width)}
	}
}

// Store keeps a rendered answer, letting go of the oldest beyond the
// bound; it reports whether msg was this renderer's (another screen's is
// left alone).
func (m *Renderer) Store(msg Msg) bool {
	if msg.from != m {
		return false
	}
	delete(m.pending, msg.key)
	if _, ok := m.cache[msg.key]; ok {
		return true
	}
	if len(m.order) >= mdCacheSize {
		delete(m.cache, m.order[0])
		m.order = m.order[1:]
	}
	m.cache[msg.key] = msg.lines
	m.order = append(m.order, msg.key)
	return true
}

// Render lays text out now, on the caller's goroutine (a test, a
// benchmark); screens use Request.
func (m *Renderer) Render(text string, width int) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.render(text, width)
}

// render lays text (untrusted) out as lines exactly width cells wide
// (callers hold mu). It is sanitized on the way in, and glamour's output
// again on the way out: glamour turns character references such as
// "&#27;" into the very controls taken out, and only its own styling may
// reach the terminal. Tabs become spaces before wrapping, so that widths
// are counted right.
//
// The answer is wrapped at the pane's width. A line glamour could not
// break (a URL, a long code line) is broken hard, its continuation
// indented as it was, so one long word never narrows the whole answer.
// Only when every line too wide is a few cells over — glamour adds some
// decorations after it wraps (the notty style's emphasis marks) — is the
// answer wrapped again, narrower by that much.
func (m *Renderer) render(text string, width int) []string {
	text = screen.Detab(screen.Clean(text))
	var out []string
	for _, seg := range splitFences(text) {
		var ls []string
		if seg.code {
			ls = m.codeLines(seg.text, width)
		} else if ls = m.prose(seg.text, width); ls == nil {
			return Plain(text, width)
		}
		if len(ls) == 0 {
			continue
		}
		if len(out) > 0 {
			out = append(out, strings.Repeat(" ", width))
		}
		out = append(out, ls...)
	}
	if len(out) == 0 {
		return Plain(text, width)
	}
	return out
}

// prose is Markdown without fenced code rendered by glamour at width; nil
// if glamour failed.
func (m *Renderer) prose(text string, width int) []string {
	ls, ok := m.glamour(text, width)
	if !ok {
		return nil
	}
	if over := decorationExcess(ls, width); over > 0 {
		if again, ok := m.glamour(text, width-over); ok {
			ls = again
		}
	}
	fitted := make([]string, 0, len(ls))
	for _, l := range ls {
		fitted = append(fitted, hardWrap(l, width)...)
	}
	return fitted
}

// codeIndent is where fenced code starts in a pane, as glamour places it.
const codeIndent = 2

// codeLines lays out a fenced block's lines (sanitized) as they are,
// indented; a line too long is cut where the width ends and goes on
// under its own indentation, never re-flowed (glamour would break it at
// a space and start the rest at the block's edge).
func (m *Renderer) codeLines(code string, width int) []string {
	var out []string
	pad := strings.Repeat(" ", min(codeIndent, width/4))
	for _, l := range strings.Split(strings.TrimSuffix(code, "\n"), "\n") {
		for _, piece := range hardWrap(pad+l, width) {
			out = append(out, m.code.Render(piece))
		}
	}
	return out
}

// maxDecoration is the most a line can be widened by what glamour adds
// after wrapping it (emphasis marks, a code span's backquotes).
const maxDecoration = 4

// decorationExcess is how far the lines too wide go over width, when
// every one of them is over by no more than glamour's decorations (so
// wrapping narrower mends them); 0 when none is too wide, or one holds
// what no wrapping breaks.
func decorationExcess(ls []string, width int) int {
	over := 0
	for _, l := range ls {
		n := ansi.StringWidth(l) - width
		if n > maxDecoration {
			return 0
		}
		over = max(over, n)
	}
	if width-over < 10 {
		return 0
	}
	return over
}

// hardWrap cuts a line wider than width into pieces of width cells, each
// piece after the first indented as the line was (a code line stays in its
// block), every piece padded to width.
func hardWrap(l string, width int) []string {
	n := ansi.StringWidth(l)
	if n <= width {
		return []string{screen.Fit(l, width)}
	}
	plain := ansi.Strip(l)
	indent := min(ansi.StringWidth(plain)-ansi.StringWidth(strings.TrimLeft(plain, " ")), width/2)
	out := []string{ansi.Cut(l, 0, width)}
	pad := strings.Repeat(" ", indent)
	for at, step := width, max(1, width-indent); at < n; at += step {
		out = append(out, screen.Fit(pad+ansi.Cut(l, at, at+step), width))
	}
	return out
}

// glamour renders text wrapped at wrapAt, without the blank lines it
// frames a document with (the pane is the frame).
func (m *Renderer) glamour(text string, wrapAt int) ([]string, bool) {
	r, ok := m.renderers[wrapAt]
	if !ok {
		var err error
		r, err = glamour.NewTermRenderer(glamour.WithStyles(m.style), glamour.WithColorProfile(m.profile), glamour.WithWordWrap(wrapAt))
		if err != nil {
			return nil, false
		}
		m.renderers[wrapAt] = r
	}
	in, protected := protectHyphens(text)
	out, err := r.Render(in)
	if err != nil {
		return nil, false
	}
	if protected {
		out = strings.ReplaceAll(out, string(hyphenStandIn), "-")
	}
	// Only glamour's own styling may pass, and none without colour (its
	// wrapper adds resets around what it took for styling).
	if m.profile == termenv.Ascii {
		out = screen.Detab(sanitize.Text(out))
	} else {
		out = sanitize.Styled(out)
	}
	ls := strings.Split(out, "\n")
	blank := func(s string) bool { return strings.TrimSpace(ansi.Strip(s)) == "" }
	for len(ls) > 0 && blank(ls[0]) {
		ls = ls[1:]
	}
	for len(ls) > 0 && blank(ls[len(ls)-1]) {
		ls = ls[:len(ls)-1]
	}
	return ls, true
}

// Plain is text (sanitized here) wrapped to width without Markdown: an
// answer still streaming in, whose Markdown is not whole yet.
func Plain(text string, width int) []string {
	text = screen.Detab(screen.Clean(text))
	ls := strings.Split(screen.Wrap(text, width), "\n")
	for i := range ls {
		ls[i] = screen.Fit(ls[i], width)
	}
	return ls
}

// hyphenStandIn takes the place of a hyphen inside a word while glamour
// wraps: its two wrappers disagree about breaking after a hyphen, which
// leaves words alone on a line or lines too wide. The stand-in is one
// cell wide like the hyphen, breaks nowhere, and is never Markdown syntax.
const hyphenStandIn = '\u01C2' // ǂ

// protectHyphens puts the stand-in for every hyphen between two letters or
// digits ("Wi-Fi", "well-known"); list markers, rules and options
// ("--soft") are left alone. It does nothing to text that holds the
// stand-in itself.
func protectHyphens(text string) (string, bool) {
	if !strings.Contains(text, "-") || strings.ContainsRune(text, hyphenStandIn) {
		return text, false
	}
	rs := []rune(text)
	changed := false
	for i := 1; i+1 < len(rs); i++ {
		if rs[i] == '-' && wordRune(rs[i-1]) && wordRune(rs[i+1]) {
			rs[i] = hyphenStandIn
			changed = true
		}
	}
	if !changed {
		return text, false
	}
	return string(rs), true
}

func wordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// segment is a stretch of an answer: fenced code, or the Markdown around
// it.
type segment struct {
	code bool
	text string // a code block's lines, without its fences
}

// splitFences cuts text into Markdown and the fenced code blocks at its
// top level (a fence of ``` or ~~~ indented at most three spaces, closed
// by the same; an unclosed one runs to the end, as CommonMark has it).
// Fences inside lists and quotes stay in the Markdown, for glamour.
func splitFences(text string) []segment {
	var segs []segment
	var cur strings.Builder
	fence := ""
	flush := func(code bool) {
		if cur.Len() > 0 || code {
			segs = append(segs, segment{code: code, text: cur.String()})
		}
		cur.Reset()
	}
	for _, l := range strings.SplitAfter(text, "\n") {
		trimmed := strings.TrimLeft(l, " ")
		indent := len(l) - len(trimmed)
		switch {
		case fence == "" && indent <= 3 && (strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~")):
			flush(false)
			fence = trimmed[:3]
		case fence != "" && indent <= 3 && strings.HasPrefix(strings.TrimRight(trimmed, " \n"), fence) && strings.Trim(strings.TrimRight(trimmed, " \n"), fence[:1]) == "":
			flush(true)
			fence = ""
		default:
			cur.WriteString(l)
		}
	}
	flush(fence != "")
	return segs
}
