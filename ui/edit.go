package ui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textarea"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
)

// editScreen edits a summary version in a text area. Saving adds a new
// version (source human, parent the version edited); versions are never
// changed. ctrl+r re-infers with a chosen summarizer, also as a new
// version, which the text area then holds.
type editScreen struct {
	ctx      *Context
	user     string
	base     store.Summary // the version being edited; Version 0: none yet
	original string        // the text area's text as loaded: "changed" is against it
	ta       textarea.Model
	saving   bool

	picking  bool     // the summarizer picker is open
	backends []string // the summarizers to pick from
	pick     int

	stream  *summaryStream
	preview string // the re-inference so far
}

type (
	// editSavedMsg reports that an edit is on disk (or why not).
	editSavedMsg struct {
		screen *editScreen
		sum    store.Summary
		err    error
	}
	// editPickMsg opens the summarizer picker once a question allows it.
	editPickMsg struct{ screen *editScreen }
)

func newEditScreen(ctx *Context, user string, base store.Summary) *editScreen {
	ta := textarea.New()
	// A summary has no length or line limit worth enforcing here; the
	// defaults (400 characters, 99 lines) would cut a model's summary.
	ta.CharLimit, ta.MaxHeight, ta.MaxWidth = 0, 0, 0
	ta.ShowLineNumbers = false
	ta.Placeholder = "Describe what this user prefers…"
	// Styles from the program's renderer, so NO_COLOR and the theme hold
	// inside the text area too.
	st := ctx.Styles
	r := st.Renderer()
	plain := r.NewStyle()
	ta.FocusedStyle = textarea.Style{Base: plain, CursorLine: plain, CursorLineNumber: st.Muted, EndOfBuffer: st.Muted,
		LineNumber: st.Muted, Placeholder: st.Muted, Prompt: st.Accent, Text: plain}
	ta.BlurredStyle = ta.FocusedStyle
	ta.BlurredStyle.Prompt = st.Muted
	ta.Cursor.Style, ta.Cursor.TextStyle = plain, plain
	// The text area drops control characters itself; clean first all the
	// same, so what is edited is what the other screens show.
	ta.SetValue(clean(base.Text))
	ta.Focus()
	s := &editScreen{ctx: ctx, user: user, base: base, original: ta.Value(), ta: ta}
	s.layout()
	return s
}

func (s *editScreen) Init() tea.Cmd { return textarea.Blink }

func (s *editScreen) Title() string {
	if s.base.Version == 0 {
		return "Write summary · " + line(s.user)
	}
	return fmt.Sprintf("Edit summary · %s v%d", line(s.user), s.base.Version)
}

// Typing is true throughout: the text area holds the keys, and q must not
// close the screen past the question that guards the edits.
func (s *editScreen) Typing() bool { return true }

func (s *editScreen) Close() {
	if s.stream != nil {
		s.stream.cancel()
		s.stream = nil
	}
}

func (s *editScreen) ShortHelp() []key.Binding {
	k := s.ctx.Keys
	switch {
	case s.picking:
		start := k.Open
		start.SetHelp(start.Help().Key, "re-infer")
		return []key.Binding{k.Up, k.Down, start, k.Cancel}
	case s.stream != nil:
		return []key.Binding{k.Cancel}
	}
	return []key.Binding{k.Save, k.Reinfer, k.Cancel}
}

func (s *editScreen) FullHelp() [][]key.Binding {
	k := s.ctx.Keys
	return [][]key.Binding{{k.Save, k.Reinfer, k.Cancel}}
}

// changed reports unsaved edits.
func (s *editScreen) changed() bool { return s.ta.Value() != s.original }

// Unsaved names what quitting now would lose.
func (s *editScreen) Unsaved() string {
	if s.changed() {
		return "your edits to " + line(s.user) + "'s summary"
	}
	return ""
}

// layout sizes the text area to the screen: a header line above, a
// status line below.
func (s *editScreen) layout() {
	s.ta.SetWidth(max(10, s.ctx.Width))
	s.ta.SetHeight(max(3, s.ctx.Height-2-2))
}

func (s *editScreen) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		s.layout()
		return nil
	case editSavedMsg:
		if msg.screen != s {
			return nil
		}
		s.saving = false
		if msg.err != nil {
			return failedCmd(msg.err)
		}
		// On disk: only now does the screen move on. (The reload the
		// change brings is the User screen's.)
		how := "written by hand"
		if msg.sum.Parent > 0 {
			how = fmt.Sprintf("edited from v%d", msg.sum.Parent)
		}
		s.ctx.Pop(s)
		return batch(dataChanged, notice(fmt.Sprintf("saved v%d of %s's summary (%s)", msg.sum.Version, s.user, how)))
	case editPickMsg:
		if msg.screen == s {
			return s.openPicker()
		}
		return nil
	case summaryStreamMsg:
		return s.streamed(msg)
	case tea.KeyMsg:
		return s.key(msg)
	}
	// Everything else (the cursor's blink, pasted text) is the text area's.
	if s.stream == nil && !s.picking {
		var cmd tea.Cmd
		s.ta, cmd = s.ta.Update(msg)
		return cmd
	}
	return nil
}

func (s *editScreen) key(msg tea.KeyMsg) tea.Cmd {
	k := s.ctx.Keys
	switch {
	case s.stream != nil:
		if key.Matches(msg, k.Cancel) {
			s.stream.cancel()
			s.stream, s.preview = nil, ""
			return batch(s.ta.Focus(), notice("re-inference cancelled"))
		}
		return nil
	case s.picking:
		switch {
		case key.Matches(msg, k.Up):
			s.pick = max(0, s.pick-1)
		case key.Matches(msg, k.Down):
			s.pick = min(len(s.backends)-1, s.pick+1)
		case key.Matches(msg, k.Open):
			return s.reinfer(s.backends[s.pick])
		case key.Matches(msg, k.Cancel):
			s.picking = false
			return s.ta.Focus()
		}
		return nil
	case s.saving:
		return nil // the save decides what happens next
	}
	switch {
	case key.Matches(msg, k.Save):
		return s.save()
	case key.Matches(msg, k.Reinfer):
		if s.changed() {
			screen := s
			return ask("Re-inferring replaces your unsaved edits with a new version. Continue? (y/n)", func(yes bool) tea.Cmd {
				if !yes {
					return nil
				}
				return func() tea.Msg { return editPickMsg{screen} }
			})
		}
		return s.openPicker()
	case key.Matches(msg, k.Cancel):
		if s.changed() {
			return ask("Throw away your edits to this summary? (y/n)", func(yes bool) tea.Cmd {
				if yes {
					s.ctx.Pop(s)
				}
				return nil
			})
		}
		s.ctx.Pop(s)
		return nil
	}
	var cmd tea.Cmd
	s.ta, cmd = s.ta.Update(msg)
	return cmd
}

// save writes the text as a new version. The screen leaves only on the
// success message: AddSummary returns once the version is on disk.
func (s *editScreen) save() tea.Cmd {
	text := s.ta.Value()
	switch {
	case strings.TrimSpace(text) == "":
		return failedCmd(fmt.Errorf("the summary is empty: write something, or esc to leave"))
	case !s.changed():
		return notice("nothing changed, so nothing to save (esc goes back)")
	}
	s.saving = true
	sum := store.Summary{User: s.user, Text: text, Source: store.SourceHuman, Parent: s.base.Version}
	// The history a summary stands in for is the same as the base's, so
	// its count holds; the edited text is counted the engine's documented
	// fallback way (a token per four bytes), hence marked an estimate.
	if s.base.HistoryTokens > 0 {
		sum.HistoryTokens, sum.SummaryTokens, sum.TokensEstimated = s.base.HistoryTokens, (len(text)+3)/4, true
		sum.HistoryCut = s.base.HistoryCut
	}
	db, screen := s.ctx.DB, s
	return func() tea.Msg {
		saved, err := db.AddSummary(sum)
		return editSavedMsg{screen: screen, sum: saved, err: err}
	}
}

// openPicker lists the summarizers, the default one chosen.
func (s *editScreen) openPicker() tea.Cmd {
	e := s.ctx.Engine
	s.backends = e.BackendsWith(engine.RoleSummarizer)
	if len(s.backends) == 0 {
		return failedCmd(fmt.Errorf("no summarizer is configured"))
	}
	s.pick = 0
	for i, b := range s.backends {
		if b == e.DefaultBackend(engine.RoleSummarizer) {
			s.pick = i
		}
	}
	s.picking = true
	s.ta.Blur()
	return nil
}

// reinfer streams a new version from a summarizer into the preview.
func (s *editScreen) reinfer(backend string) tea.Cmd {
	s.picking = false
	var cmd tea.Cmd
	s.stream, cmd = startSummaryStream(s.ctx.Engine, s.user, backend)
	s.preview = ""
	return batch(cmd, notice("re-inferring "+s.user+"'s summary via "+backend))
}

func (s *editScreen) streamed(msg summaryStreamMsg) tea.Cmd {
	if msg.stream != s.stream || s.stream == nil {
		return nil
	}
	if msg.reset {
		s.preview = ""
	}
	s.preview += msg.text
	if !msg.done {
		return s.stream.next()
	}
	backend := s.stream.backend
	s.stream, s.preview = nil, ""
	focus := s.ta.Focus()
	if msg.err != nil {
		return batch(focus, failedCmd(fmt.Errorf("re-infer %s's summary via %s: %w", s.user, backend, msg.err)))
	}
	// Stored as a new version: it is now what this screen edits.
	s.base = msg.sum
	s.ta.SetValue(clean(msg.sum.Text))
	s.original = s.ta.Value()
	return batch(focus, dataChanged, notice(fmt.Sprintf("saved v%d of %s's summary (%s); editing it now", msg.sum.Version, s.user, msg.sum.Source)))
}

func (s *editScreen) View() string {
	st := s.ctx.Styles
	w, h := s.ctx.Width, max(3, s.ctx.Height-2)
	from := "a new summary (no version yet)"
	if s.base.Version > 0 {
		from = fmt.Sprintf("v%d by %s", s.base.Version, line(s.base.Source))
	}
	head := st.Title.Render("Edit summary") + st.Muted.Render(" · "+line(s.user)+" · from "+from)
	var b strings.Builder
	b.WriteString(fit(head, w) + "\n")
	switch {
	case s.picking:
		b.WriteString(st.Header.Render(fit("Re-infer with which summarizer? It is saved as a new version.", w)) + "\n")
		def := s.ctx.Engine.DefaultBackend(engine.RoleSummarizer)
		for i, name := range s.backends {
			text := line(name)
			if name == def {
				text += " (default)"
			}
			if i == s.pick {
				b.WriteString(st.Selected.Render(fit("› "+text, w)) + "\n")
			} else {
				b.WriteString(fit("  "+text, w) + "\n")
			}
		}
		b.WriteString(st.Muted.Render(fit("↑/↓ choose · enter re-infer · esc back to editing", w)))
		return b.String()
	case s.stream != nil:
		b.WriteString(st.Accent.Render(fit("Re-inferring with "+line(s.stream.backend)+"… esc cancels", w)) + "\n")
		text := "waiting for the first words…"
		if s.preview != "" {
			text = detab(clean(s.preview))
		}
		// The end of the text: that is where it grows.
		lines := strings.Split(wrap(text, w), "\n")
		if n := h - 2; len(lines) > n {
			lines = lines[len(lines)-n:]
		}
		b.WriteString(strings.Join(lines, "\n"))
		return b.String()
	}
	b.WriteString(s.ta.View() + "\n")
	state := "unchanged"
	switch {
	case s.saving:
		state = "saving…"
	case s.changed():
		state = "modified — ctrl+s saves as a new version, esc asks before discarding"
	}
	b.WriteString(st.Muted.Render(fit(fmt.Sprintf("%d lines · %d characters · %s", s.ta.LineCount(), len([]rune(s.ta.Value())), state), w)))
	return b.String()
}
