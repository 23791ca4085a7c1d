package user

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textarea"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// Edit edits a summary version in a text area. Saving adds a new
// version (source human, parent the version edited); versions are never
// changed. ctrl+r re-infers with a chosen summarizer, also as a new
// version, which the text area then holds.
type Edit struct {
	ctx      *screen.Context
	keys     EditKeyMap
	user     string
	base     store.Summary // the version being edited; Version 0: none yet
	original string        // the text area's text as loaded: "changed" is against it
	ta       textarea.Model
	saving   bool

	picking  bool     // the summarizer picker is open
	backends []string // the summarizers to pick from
	pick     int

	inference *inference // a re-inference, shown as a preview
}

type (
	// editSavedMsg reports that an edit is on disk (or why not).
	editSavedMsg struct {
		edit *Edit
		sum  store.Summary
		err  error
	}
	// editPickMsg opens the summarizer picker once a question allows it.
	editPickMsg struct{ edit *Edit }
)

// NewEdit makes the Edit screen of user's summary, from the version base
// (Version 0: none yet).
func NewEdit(ctx *screen.Context, user string, base store.Summary) *Edit {
	ta := textarea.New()
	// A summary has no length or line limit worth enforcing here; the
	// defaults (400 characters, 99 lines) would cut a model's summary.
	ta.CharLimit, ta.MaxHeight, ta.MaxWidth = 0, 0, 0
	ta.ShowLineNumbers = false
	ta.Placeholder = "Describe what this user prefers…"
	// screen.Styles from the program's renderer, so NO_COLOR and the theme hold
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
	ta.SetValue(screen.Clean(base.Text))
	ta.Focus()
	s := &Edit{ctx: ctx, keys: DefaultEditKeyMap(), user: user, base: base, original: ta.Value(), ta: ta}
	s.layout()
	return s
}

func (s *Edit) Init() tea.Cmd { return textarea.Blink }

func (s *Edit) Title() string {
	if s.base.Version == 0 {
		return "Write summary · " + screen.Line(s.user)
	}
	return fmt.Sprintf("Edit summary · %s v%d", screen.Line(s.user), s.base.Version)
}

// Typing is true throughout: the text area holds the keys, and q must not
// close the screen past the question that guards the edits.
func (s *Edit) Typing() bool { return true }

func (s *Edit) Close() {
	if s.inference != nil {
		s.inference.stream.Close()
		s.inference = nil
	}
}

// changed reports unsaved edits.
func (s *Edit) changed() bool { return s.ta.Value() != s.original }

// Unsaved names what quitting now would lose.
func (s *Edit) Unsaved() string {
	if s.changed() {
		return "your edits to " + screen.Line(s.user) + "'s summary"
	}
	return ""
}

// layout sizes the text area to the screen: a header line above, a
// status line below.
func (s *Edit) layout() {
	s.ta.SetWidth(max(10, s.ctx.Width))
	s.ta.SetHeight(max(3, s.ctx.Height-2-2))
}

func (s *Edit) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		s.layout()
		return nil
	case editSavedMsg:
		if msg.edit != s {
			return nil
		}
		s.saving = false
		if msg.err != nil {
			return screen.Failed(msg.err)
		}
		// On disk: only now does the screen move on. (The reload the
		// change brings is the User screen's.)
		how := "written by hand"
		if msg.sum.Parent > 0 {
			how = fmt.Sprintf("edited from v%d", msg.sum.Parent)
		}
		s.ctx.Pop(s)
		return tea.Batch(screen.DataChanged, screen.Notice(fmt.Sprintf("saved v%d of %s's summary (%s)", msg.sum.Version, s.user, how)))
	case editPickMsg:
		if msg.edit == s {
			return s.openPicker()
		}
		return nil
	case screen.StreamMsg:
		if !s.inference.owns(msg.Stream) {
			return nil
		}
		s.inference.text = msg.Text
		return msg.Stream.Read()
	case screen.StreamDone[store.Summary]:
		if !s.inference.owns(msg.Stream) {
			return nil
		}
		return s.reinferred(msg.Result, msg.Stream.Err())
	case tea.KeyMsg:
		return s.key(msg)
	}
	// Everything else (the cursor's blink, pasted text) is the text area's.
	if s.inference == nil && !s.picking {
		var cmd tea.Cmd
		s.ta, cmd = s.ta.Update(msg)
		return cmd
	}
	return nil
}

func (s *Edit) key(msg tea.KeyMsg) tea.Cmd {
	k := s.keys
	switch {
	case s.inference != nil:
		if key.Matches(msg, k.Cancel) {
			s.inference.stream.Close()
			s.inference = nil
			return tea.Batch(s.ta.Focus(), screen.Notice("re-inference cancelled"))
		}
		return nil
	case s.picking:
		switch {
		case key.Matches(msg, k.Picker.Up):
			s.pick = max(0, s.pick-1)
		case key.Matches(msg, k.Picker.Down):
			s.pick = min(len(s.backends)-1, s.pick+1)
		case key.Matches(msg, k.Picker.Start):
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
			edit := s
			return screen.Ask("Re-inferring replaces your unsaved edits with a new version. Continue? (y/n)", func(yes bool) tea.Cmd {
				if !yes {
					return nil
				}
				return func() tea.Msg { return editPickMsg{edit} }
			})
		}
		return s.openPicker()
	case key.Matches(msg, k.Cancel):
		if s.changed() {
			return screen.Ask("Throw away your edits to this summary? (y/n)", func(yes bool) tea.Cmd {
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
func (s *Edit) save() tea.Cmd {
	text := s.ta.Value()
	switch {
	case strings.TrimSpace(text) == "":
		return screen.Failed(fmt.Errorf("the summary is empty: write something, or esc to leave"))
	case !s.changed():
		return screen.Notice("nothing changed, so nothing to save (esc goes back)")
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
	db, edit := s.ctx.DB, s
	return func() tea.Msg {
		saved, err := db.AddSummary(sum)
		return editSavedMsg{edit: edit, sum: saved, err: err}
	}
}

// openPicker lists the summarizers, the default one chosen.
func (s *Edit) openPicker() tea.Cmd {
	e := s.ctx.Engine
	s.backends = e.BackendsWith(engine.RoleSummarizer)
	if len(s.backends) == 0 {
		return screen.Failed(fmt.Errorf("no summarizer is configured"))
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
func (s *Edit) reinfer(backend string) tea.Cmd {
	s.picking = false
	var cmd tea.Cmd
	s.inference, cmd = startInference(s.ctx.Engine, s.user, backend)
	return tea.Batch(cmd, screen.Notice("re-inferring "+s.user+"'s summary via "+backend))
}

// reinferred ends the re-inference: the summary it stored, which the
// screen edits from now on, or why not.
func (s *Edit) reinferred(sum store.Summary, err error) tea.Cmd {
	backend := s.inference.backend
	s.inference = nil
	focus := s.ta.Focus()
	if err != nil {
		return tea.Batch(focus, screen.Failed(fmt.Errorf("re-infer %s's summary via %s: %w", s.user, backend, err)))
	}
	// Stored as a new version: it is now what this screen edits.
	s.base = sum
	s.ta.SetValue(screen.Clean(sum.Text))
	s.original = s.ta.Value()
	return tea.Batch(focus, screen.DataChanged, screen.Notice(fmt.Sprintf("saved v%d of %s's summary (%s); editing it now", sum.Version, s.user, sum.Source)))
}

func (s *Edit) View() string {
	st := s.ctx.Styles
	w, h := s.ctx.Width, max(3, s.ctx.Height-2)
	from := "a new summary (no version yet)"
	if s.base.Version > 0 {
		from = fmt.Sprintf("v%d by %s", s.base.Version, screen.Line(s.base.Source))
	}
	head := st.Title.Render("Edit summary") + st.Muted.Render(" · "+screen.Line(s.user)+" · from "+from)
	var b strings.Builder
	b.WriteString(screen.Fit(head, w) + "\n")
	switch {
	case s.picking:
		b.WriteString(st.Header.Render(screen.Fit("Re-infer with which summarizer? It is saved as a new version.", w)) + "\n")
		def := s.ctx.Engine.DefaultBackend(engine.RoleSummarizer)
		for i, name := range s.backends {
			text := screen.Line(name)
			if name == def {
				text += " (default)"
			}
			if i == s.pick {
				b.WriteString(st.Selected.Render(screen.Fit("› "+text, w)) + "\n")
			} else {
				b.WriteString(screen.Fit("  "+text, w) + "\n")
			}
		}
		b.WriteString(st.Muted.Render(screen.Fit("↑/↓ choose · enter re-infer · esc back to editing", w)))
		return b.String()
	case s.inference != nil:
		b.WriteString(st.Accent.Render(screen.Fit("Re-inferring with "+screen.Line(s.inference.backend)+"… esc cancels", w)) + "\n")
		text := "waiting for the first words…"
		if s.inference.text != "" {
			text = screen.Detab(screen.Clean(s.inference.text))
		}
		// The end of the text: that is where it grows.
		lines := strings.Split(screen.Wrap(text, w), "\n")
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
	b.WriteString(st.Muted.Render(screen.Fit(fmt.Sprintf("%d lines · %d characters · %s", s.ta.LineCount(), len([]rune(s.ta.Value())), state), w)))
	return b.String()
}
