package compare

// The overlay: the whole prompt, the user's persona or their history,
// drawn over the panes without leaving the item (the progress line, the
// question and the prompt's first lines stay in view). It scrolls with the
// pane keys; esc or its own key closes it; moving to another item closes
// it. Held-out pairs are never shown in it: the item being judged may be
// one of them, and its dataset's choice must stay hidden.

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/screen"
)

type overlayKind int

const (
	overlayPrompt overlayKind = iota
	overlayPersona
	overlayHistory
)

// overlay is what is open over the panes.
type overlay struct {
	kind    overlayKind
	item    string // the key of the item it belongs to
	user    string
	prompt  string
	loaded  bool
	signals []store.Signal
	err     error
	offset  int // first line shown

	lines []string // laid out for width
	width int
}

// overlaySignalsMsg is a user's signals, read for the overlay.
type overlaySignalsMsg struct {
	user    string
	signals []store.Signal
	err     error
}

// openOverlay opens kind over the panes (its key again closes it); the
// persona and the history are read in a command.
func (s *Screen) openOverlay(kind overlayKind) tea.Cmd {
	it := s.current()
	switch {
	case it == nil:
		return nil
	case s.overlay != nil && s.overlay.kind == kind:
		s.overlay = nil
		return nil
	}
	o := &overlay{kind: kind, item: it.q.key(), user: it.q.User, prompt: it.q.Prompt, loaded: kind == overlayPrompt}
	if old := s.overlay; old != nil && old.item == o.item && old.loaded {
		o.loaded, o.signals, o.err = true, old.signals, old.err // persona ⇄ history: read once
	}
	s.overlay = o
	if o.loaded {
		return nil
	}
	db, user := s.ctx.DB, it.q.User
	return func() tea.Msg {
		sigs, err := db.Signals(user)
		return overlaySignalsMsg{user: user, signals: sigs, err: err}
	}
}

// overlaySignals fills the open overlay with what was read for it.
func (s *Screen) overlaySignals(m overlaySignalsMsg) {
	o := s.overlay
	if o == nil || o.loaded || o.user != m.user {
		return
	}
	o.loaded, o.signals, o.err, o.lines = true, m.signals, m.err, nil
}

// overlayKey takes the keys while the overlay is open: esc closes it, the
// pane keys scroll it; the rest (a verdict, another overlay) go on to the
// screen.
func (s *Screen) overlayKey(msg tea.KeyMsg) tea.Cmd {
	k, o := s.keys, s.overlay
	p := k.Panes
	page := max(1, s.paneHeight()-3)
	switch {
	case key.Matches(msg, k.Back):
		s.overlay = nil
	case key.Matches(msg, p.Up):
		o.offset--
	case key.Matches(msg, p.Down):
		o.offset++
	case key.Matches(msg, p.PageUp):
		o.offset -= page
	case key.Matches(msg, p.PageDown):
		o.offset += page
	case key.Matches(msg, p.Top):
		o.offset = 0
	case key.Matches(msg, p.Bottom):
		o.offset = 1 << 30
	default:
		if cmd, ok := s.decisionKey(msg); ok {
			return cmd
		}
		return s.paneKey(msg)
	}
	o.offset = max(0, o.offset) // and at most the end, where it is drawn
	return nil
}

// title names what the overlay shows.
func (o *overlay) title() string {
	what := map[overlayKind]string{overlayPrompt: "The prompt", overlayPersona: "Persona of ", overlayHistory: "History of "}[o.kind]
	if o.kind != overlayPrompt {
		what += screen.Line(o.user)
	}
	return what + " · esc closes"
}

// layout is the overlay's text as lines w cells wide.
func (s *Screen) overlayLines(o *overlay, w int) []string {
	if o.lines != nil && o.width == w {
		return o.lines
	}
	st := s.ctx.Styles
	var b overlayWriter
	b.st, b.w = st, w
	switch {
	case o.kind == overlayPrompt:
		b.text("", o.prompt)
	case !o.loaded:
		b.muted("reading…")
	case o.err != nil:
		b.lines = append(b.lines, st.Error.Render(screen.Fit("error: "+screen.Line(o.err.Error()), w)))
	case o.kind == overlayPersona:
		b.persona(o.signals)
	default:
		b.history(o.signals)
	}
	o.lines, o.width = b.lines, w
	return o.lines
}

// overlayWriter lays out untrusted text as lines w cells wide.
type overlayWriter struct {
	st    screen.Styles
	w     int
	lines []string
}

func (b *overlayWriter) muted(text string) {
	for _, l := range strings.Split(screen.Wrap(text, b.w), "\n") {
		b.lines = append(b.lines, b.st.Muted.Render(screen.Fit(l, b.w)))
	}
}

func (b *overlayWriter) heading(text string) {
	if len(b.lines) > 0 {
		b.lines = append(b.lines, strings.Repeat(" ", b.w))
	}
	b.lines = append(b.lines, b.st.Header.Render(screen.Fit(text, b.w)))
}

// text writes a label on a line of its own (when there is one) and the
// text under it, indented, sanitized and wrapped.
func (b *overlayWriter) text(label, text string) {
	indent := ""
	if label != "" {
		b.lines = append(b.lines, screen.Fit(label, b.w))
		indent = "  "
	}
	text = screen.Detab(screen.Clean(text))
	if strings.TrimSpace(text) == "" {
		text = "(empty)"
	}
	for _, l := range strings.Split(screen.Wrap(text, max(1, b.w-len(indent))), "\n") {
		b.lines = append(b.lines, screen.Fit(indent+l, b.w))
	}
}

// persona writes who the user is: the persona (the dataset's ground
// truth) and the profile.
func (b *overlayWriter) persona(sigs []store.Signal) {
	n := 0
	for _, sig := range sigs {
		switch sig.Kind {
		case store.KindPersona:
			b.heading("Persona (the dataset's description of the user)")
		case store.KindProfile:
			b.heading("Profile")
			if sig.Source != "" {
				b.muted("from " + screen.Line(sig.Source))
			}
		default:
			continue
		}
		n++
		b.text("", sig.Text)
	}
	if n == 0 {
		b.muted("The data has no persona or profile for this user: h shows what they wrote and preferred.")
	}
}

// history writes what the user told us: their texts and the preference
// pairs of their history, the preferred answer said in words.
func (b *overlayWriter) history(sigs []store.Signal) {
	pairs := 0
	for _, sig := range sigs {
		switch {
		case sig.Kind == store.KindText:
			b.heading("Written by the user")
			b.text("", sig.Text)
		case sig.Kind == store.KindPair && sig.Split != store.SplitHeldout:
			pairs++
			b.heading(fmt.Sprintf("Pair %d", pairs))
			b.text("Prompt:", sig.Prompt)
			b.text(b.st.Success.Render("▲ preferred:"), sig.Chosen)
			b.text(b.st.Error.Render("▽ dispreferred:"), sig.Rejected)
		}
	}
	if len(b.lines) == 0 {
		b.muted("No history for this user (held-out pairs are not shown: the item may be one of them).")
	}
}

// drawOverlay draws the overlay in the panes' place, ph rows high.
func (s *Screen) drawOverlay(sb *strings.Builder, w, ph int) {
	o := s.overlay
	lines := s.overlayLines(o, max(1, w-4))
	o.offset = max(0, min(o.offset, len(lines)-(ph-2)))
	sb.WriteString(strings.Join(s.ctx.Styles.PaneBox(o.title(), lines, o.offset, w, max(1, w-4), ph, true), "\n"))
}
