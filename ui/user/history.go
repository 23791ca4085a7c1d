package user

// The history pane: what a user told us, by kind, held-out pairs apart.

import (
	"fmt"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/markdown"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// bySection is a user's signals sorted into the history pane's sections.
type bySection struct {
	profiles, personas, texts, pairs, heldout, tasks []store.Signal
}

func sections(signals []store.Signal) bySection {
	var by bySection
	for _, sig := range signals {
		switch sig.Kind {
		case store.KindProfile:
			by.profiles = append(by.profiles, sig)
		case store.KindPersona:
			by.personas = append(by.personas, sig)
		case store.KindText:
			by.texts = append(by.texts, sig)
		case store.KindPair:
			if sig.Split == store.SplitHeldout {
				by.heldout = append(by.heldout, sig)
			} else {
				by.pairs = append(by.pairs, sig)
			}
		case store.KindTask:
			by.tasks = append(by.tasks, sig)
		}
	}
	return by
}

// historyWriter writes the history pane's text w cells wide.
type historyWriter struct {
	b  strings.Builder
	st screen.Styles
	w  int
	md *markdown.Renderer
	// want is the answers not rendered yet at their width: plain until
	// their Markdown comes back.
	want []mdText
}

// mdText is a text to render at a width.
type mdText struct {
	text  string
	width int
}

// heading starts a section.
func (h *historyWriter) heading(text string) {
	if h.b.Len() > 0 {
		h.b.WriteString("\n")
	}
	h.b.WriteString(h.st.Header.Render(screen.Wrap(text, h.w)) + "\n")
}

// renderHistory renders what the user told us, for the pane's width: the
// persona first (so showing it needs no scrolling), the profile, texts,
// the history the summarizer sees, the held-out pairs apart, the tasks.
func (s *Screen) renderHistory() tea.Cmd {
	st := s.ctx.Styles
	if !s.loaded {
		s.history.SetContent(st.Muted.Render("loading…"))
		return nil
	}
	h := &historyWriter{st: st, w: s.history.Width, md: s.md}
	by := sections(s.signals)
	switch {
	case len(by.personas) == 0:
	case !s.persona:
		h.heading("Persona (ground truth)")
		h.b.WriteString(st.Muted.Render(screen.Wrap("hidden — p shows it", h.w)) + "\n")
	default:
		h.heading("Persona (ground truth — never shown to the summarizer)")
		for _, p := range by.personas {
			writeLabelled(&h.b, "  ", "", p.Text, h.w)
		}
	}
	if len(by.profiles) > 0 {
		h.heading("Profile")
		for _, p := range by.profiles {
			// Where a profile came from matters: AlignX's demographics
			// are the user's, its "profile" field partly the held-out
			// answer's direction (signals can leave either out).
			label := ""
			if p.Source != "" {
				label = st.Muted.Render(sourceLabel(p.Source))
			}
			writeLabelled(&h.b, "  ", label, p.Text, h.w)
		}
	}
	if len(by.texts) > 0 {
		h.heading(fmt.Sprintf("Written by the user — %s", screen.Plural(len(by.texts), "text", "texts")))
		for _, t := range by.texts {
			writeLabelled(&h.b, "  ", st.Muted.Render(sourceLabel(t.Source)), t.Text, h.w)
			if t.Post != "" { // a comment: what it answered, under it
				writeLabelled(&h.b, "      ", st.Muted.Render("↳ in reply to"), t.Post, h.w)
			}
		}
	}
	h.pairs(by)
	if len(by.tasks) > 0 {
		h.heading(fmt.Sprintf("Tasks — %s to answer", screen.Plural(len(by.tasks), "prompt", "prompts")))
		for i, t := range by.tasks {
			writeLabelled(&h.b, "  ", fmt.Sprintf("%d.", i+1), t.Prompt, h.w)
		}
	}
	s.history.SetContent(strings.TrimSuffix(h.b.String(), "\n"))
	cmds := make([]tea.Cmd, 0, len(h.want))
	for _, t := range h.want {
		cmds = append(cmds, s.md.Request(s.base, t.text, t.width))
	}
	return tea.Batch(cmds...)
}

// pairs writes the history's pairs, then the held-out ones under a rule.
func (h *historyWriter) pairs(by bySection) {
	h.heading(fmt.Sprintf("History — %s the summarizer sees", screen.Plural(len(by.pairs), "pair", "pairs")))
	if len(by.pairs) == 0 {
		h.b.WriteString(h.st.Muted.Render("  none") + "\n")
	}
	for i, p := range by.pairs {
		h.pair(fmt.Sprintf("%d.", i+1), p)
	}
	if len(by.heldout) > 0 {
		h.b.WriteString("\n" + h.st.Warning.Render(strings.Repeat("─", h.w)) + "\n")
		h.heading(fmt.Sprintf("Held out — %s, never shown to the summarizer", screen.Plural(len(by.heldout), "pair", "pairs")))
		for i, p := range by.heldout {
			h.pair(fmt.Sprintf("H%d.", i+1), p)
		}
	}
}

// pair writes a preference pair; which answer the user preferred is said
// in words, colour only repeats it.
func (h *historyWriter) pair(n string, p store.Signal) {
	writeLabelled(&h.b, " ", h.st.Tag.Render(n), p.Prompt, h.w)
	h.answer(h.st.Success.Render("▲ preferred   "), p.Chosen)
	h.answer(h.st.Error.Render("▽ dispreferred"), p.Rejected)
}

// answer writes a pair's response beside its label, its Markdown rendered
// as Compare renders answers (plain until the render comes back). Too
// narrow to share the line, the label stands above it.
func (h *historyWriter) answer(label, text string) {
	prefix := "    " + label + " "
	pw := ansi.StringWidth(prefix)
	if h.w-pw < 20 {
		h.b.WriteString(ansi.Truncate("    "+label, h.w, "…") + "\n")
		prefix, pw = "      ", 6
	}
	cw := max(1, h.w-pw)
	lines, ok := h.md.Cached(text, cw)
	if !ok {
		lines = markdown.Plain(text, cw)
		h.want = append(h.want, mdText{text, cw})
	}
	pad := strings.Repeat(" ", pw)
	for i, l := range lines {
		if i == 0 {
			h.b.WriteString(prefix + l + "\n")
		} else {
			h.b.WriteString(pad + l + "\n")
		}
	}
}

// writeLabelled writes untrusted text wrapped to w cells after indent and
// label: on the label's line when that leaves room, else under it.
func writeLabelled(b *strings.Builder, indent, label, text string, w int) {
	text = screen.Detab(screen.Clean(text))
	if strings.TrimSpace(text) == "" {
		text = "(empty)"
	}
	prefix := indent
	if label != "" {
		prefix += label + " "
	}
	pw := ansi.StringWidth(prefix)
	if w-pw < 20 && label != "" {
		// Too narrow to share the line: the label alone, the text below.
		b.WriteString(ansi.Truncate(indent+label, w, "…") + "\n")
		prefix = indent + "  "
		pw = ansi.StringWidth(prefix)
		label = ""
	}
	pad := strings.Repeat(" ", pw)
	for i, ln := range strings.Split(screen.Wrap(text, max(1, w-pw)), "\n") {
		if i == 0 {
			b.WriteString(ansi.Truncate(prefix, w, "") + ln + "\n")
		} else {
			b.WriteString(ansi.Truncate(pad, w, "") + ln + "\n")
		}
	}
}

// sourceLabel is the bullet of a profile or text, naming its source
// when it has one.
func sourceLabel(source string) string {
	if source == "" {
		return "•"
	}
	return "• " + screen.Line(source) + ":"
}
