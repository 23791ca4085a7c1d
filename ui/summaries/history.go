package summaries

// The user's history and held-out pairs, one key away: what a summary is
// made from and what it should predict, drawn over the panes without
// leaving the item. The persona (ground truth) is not shown: the
// summarizer never sees it, and the User screen keeps it behind its own
// key.

import (
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// historyEntry is a user's signals, read once per screen (again after a
// change to the database).
type historyEntry struct {
	loaded  bool
	signals []store.Signal
	err     error

	width  int      // the width lines were wrapped for
	lines  []string // the history as drawn
	offset int      // the first line shown
}

type historyMsg struct {
	user    string
	signals []store.Signal
	err     error
}

// openHistory shows the user's history over the panes, reading it first
// if need be.
func (s *Screen) openHistory(user string) tea.Cmd {
	s.overlay = true
	if _, ok := s.history[user]; ok {
		return nil
	}
	s.history[user] = &historyEntry{}
	db := s.ctx.DB
	return func() tea.Msg {
		signals, err := db.Signals(user)
		return historyMsg{user: user, signals: signals, err: err}
	}
}

// historyBox draws the history height rows high in a bordered box.
func (s *Screen) historyBox(user string, w, height int) string {
	st := s.ctx.Styles
	content, inner := w-4, max(1, height-3)
	e := s.history[user]
	var lines []string
	switch {
	case e == nil || !e.loaded:
		lines = []string{st.Muted.Render("reading the history…")}
	case e.err != nil:
		lines = []string{st.Error.Render(screen.Fit("error: "+screen.Line(e.err.Error()), content))}
	default:
		if e.width != content {
			e.width, e.lines = content, historyLines(st, e.signals, content)
		}
		lines = e.lines
		e.offset = max(0, min(e.offset, len(lines)-inner))
		lines = lines[e.offset:]
	}
	head := st.Tag.Render("History of "+screen.Line(user)) + st.Muted.Render(" · h or esc closes · ↑↓ pgup pgdn scroll")
	body := []string{screen.Fit(head, content)}
	for r := range inner {
		l := ""
		if r < len(lines) {
			l = lines[r]
		}
		body = append(body, screen.Fit(l, content))
	}
	return st.PaneFocused.Width(w - 2).Render(strings.Join(body, "\n"))
}

// scrollHistory scrolls the open history, if msg is a key that moves.
func (s *Screen) scrollHistory(msg tea.KeyMsg) {
	it := s.current()
	if it == nil {
		return
	}
	e := s.history[it.User]
	_, _, height := s.layout(len(it.Summaries))
	if by, ok := scrollBy(s.keys.Panes.NavKeys, msg, height-3); ok && e != nil {
		e.offset = max(0, min(e.offset+by, len(e.lines)-(height-3)))
	}
}

// historyLines is the user's history as the summarizer may see it
// (pairs, texts, the profile), then the held-out pairs apart, each text
// made safe and wrapped to w cells.
func historyLines(st screen.Styles, signals []store.Signal, w int) []string {
	var hist, heldout []string
	wrap := func(label, text string) []string {
		ls := strings.Split(screen.Wrap(st.Muted.Render(label)+screen.Detab(screen.Clean(strings.TrimSpace(text))), w-2), "\n")
		for i := range ls {
			ls[i] = "  " + ls[i]
		}
		return ls
	}
	for _, sig := range signals {
		var ls []string
		switch sig.Kind {
		case store.KindPair:
			ls = append([]string{st.Accent.Render(screen.Fit("Pair "+screen.Line(sig.ID), w))}, wrap("prompt: ", sig.Prompt)...)
			ls = append(ls, wrap("preferred: ", sig.Chosen)...)
			ls = append(ls, wrap("not preferred: ", sig.Rejected)...)
		case store.KindText:
			where := "Text"
			if sig.Source != "" {
				where += " (" + screen.Line(sig.Source) + ")"
			}
			ls = append([]string{st.Accent.Render(screen.Fit(where, w))}, wrap("", sig.Text)...)
		case store.KindProfile:
			ls = append([]string{st.Accent.Render("Profile")}, wrap("", sig.Text)...)
		default:
			continue // the persona is ground truth; tasks say nothing of the user
		}
		if sig.Kind == store.KindPair && sig.Split == store.SplitHeldout {
			heldout = append(heldout, ls...)
		} else {
			hist = append(hist, ls...)
		}
	}
	out := []string{st.Header.Render("What the summarizer may see")}
	if len(hist) == 0 {
		out = append(out, st.Muted.Render("  nothing"))
	}
	out = append(out, hist...)
	out = append(out, "", st.Header.Render("Held-out pairs (never shown to the summarizer: what a summary should predict)"))
	if len(heldout) == 0 {
		out = append(out, st.Muted.Render("  none"))
	}
	return append(out, heldout...)
}
