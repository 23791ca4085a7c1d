package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// userWide is the width from which the history and the summary sit side
// by side; below it one shows at a time and tab switches.
const userWide = 100

// versionsShown is how many versions the list shows when not choosing.
const versionsShown = 5

// userPaneID names the User screen's two scrolling panes.
type userPaneID int

const (
	userPaneHistory userPaneID = iota
	userPaneSummary
)

// userScreen shows one user: what they told us (history pairs, texts,
// profile; held-out pairs apart; the persona behind a toggle) beside what
// the summarizers made of it (the summary's versions).
type userScreen struct {
	ctx  *screen.Context
	user string

	loaded   bool
	err      error
	info     store.User
	signals  []store.Signal
	versions []store.Summary // oldest first
	current  int             // the current version's number: the newest, unless a merge added versions after it

	selVersion int  // the selected version's number; 0 follows the current one
	choosing   bool // the versions list has the arrows
	diff       bool // the summary pane shows the diff against the previous version
	persona    bool // the ground truth is shown
	focus      userPaneID
	saving     bool // a make-current is being written

	history, summary viewport.Model
	versionsTop      int // the summary content's line where the versions list starts

	inference *inference // a running inference, shown in the summary pane

	loads, shown int // loads started, and the latest one shown
}

type (
	// userLoadedMsg is what the screen shows of its user, read at once.
	userLoadedMsg struct {
		user     string
		seq      int // which load: an older snapshot arriving late is dropped
		info     store.User
		signals  []store.Signal
		versions []store.Summary
		current  int
		err      error
	}
	// userSavedMsg reports a version made current again.
	userSavedMsg struct {
		user *userScreen
		from int
		sum  store.Summary
		err  error
	}
)

func newUserScreen(ctx *screen.Context, user string) *userScreen {
	s := &userScreen{ctx: ctx, user: user, history: viewport.New(1, 1), summary: viewport.New(1, 1)}
	for _, vp := range []*viewport.Model{&s.history, &s.summary} {
		// The screen drives the viewports itself: their own key map has
		// d, u, f, b, h, l, which are this screen's keys.
		vp.KeyMap = viewport.KeyMap{}
		vp.MouseWheelEnabled = true
	}
	s.layout()
	return s
}

func (s *userScreen) Init() tea.Cmd { return s.load() }

func (s *userScreen) load() tea.Cmd {
	s.loads++
	db, user, seq := s.ctx.DB, s.user, s.loads
	return func() tea.Msg {
		m := userLoadedMsg{user: user, seq: seq}
		if m.info, m.err = db.User(user); m.err != nil {
			return m
		}
		if m.signals, m.err = db.Signals(user); m.err != nil {
			return m
		}
		m.versions, m.current, m.err = db.SummaryVersions(user)
		return m
	}
}

func (s *userScreen) Title() string { return "User " + screen.Line(s.user) }
func (s *userScreen) Typing() bool  { return false }

func (s *userScreen) Close() {
	if s.inference != nil {
		s.inference.stream.Close()
		s.inference = nil
	}
}

func (s *userScreen) ShortHelp() []key.Binding {
	k := s.ctx.Keys
	if s.choosing {
		done := k.Versions
		done.SetHelp("v/enter", "done")
		return []key.Binding{k.Up, k.Down, k.MakeCurrent, s.diffKey(), k.Edit, done}
	}
	return []key.Binding{k.NextPane, k.Versions, s.diffKey(), s.personaKey(), k.Edit, k.Infer, k.Quit}
}

func (s *userScreen) FullHelp() [][]key.Binding {
	k := s.ctx.Keys
	return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom, k.NextPane},
		{k.Versions, k.MakeCurrent, s.diffKey(), s.personaKey(), k.Edit, k.Infer, k.Back}}
}

// diffKey and personaKey say what the toggle does now.
func (s *userScreen) diffKey() key.Binding {
	b := s.ctx.Keys.Diff
	if s.diff {
		b.SetHelp(b.Help().Key, "hide diff")
	}
	return b
}

func (s *userScreen) personaKey() key.Binding {
	b := s.ctx.Keys.Persona
	if s.persona {
		b.SetHelp(b.Help().Key, "hide persona")
	}
	return b
}

func (s *userScreen) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case userLoadedMsg:
		if msg.user != s.user || msg.seq < s.shown {
			return nil
		}
		s.shown = msg.seq
		s.loaded, s.err = true, msg.err
		if msg.err == nil {
			s.info, s.signals, s.versions, s.current = msg.info, msg.signals, msg.versions, msg.current
		}
		if s.selectedIndex() < 0 {
			s.selVersion = 0 // the selected version is gone (it cannot be, but keep the view sane)
		}
		s.renderHistory()
		s.renderSummary()
		return nil
	case screen.DataChangedMsg, screen.JobDoneMsg:
		return s.load()
	case tea.WindowSizeMsg:
		s.layout()
		return nil
	case screen.StreamMsg:
		if !s.inference.owns(msg.Stream) {
			return nil
		}
		s.inference.text = msg.Text
		s.renderSummary()
		s.summary.GotoBottom()
		return msg.Stream.Read()
	case screen.StreamDone[store.Summary]:
		if !s.inference.owns(msg.Stream) {
			return nil
		}
		return s.inferred(msg.Result, msg.Stream.Err())
	case userSavedMsg:
		if msg.user != s {
			return nil
		}
		s.saving = false
		if msg.err != nil {
			return screen.Failed(msg.err)
		}
		s.addVersion(msg.sum)
		s.selVersion, s.diff = 0, false
		s.renderSummary()
		return tea.Batch(screen.Notice(fmt.Sprintf("v%d is current again, as v%d", msg.from, msg.sum.Version)), screen.DataChanged)
	case tea.KeyMsg:
		return s.key(msg)
	case tea.MouseMsg:
		s.mouse(msg)
	}
	return nil
}

// addVersion shows a version just stored, and current, before the reload
// that confirms it (which may have come first).
func (s *userScreen) addVersion(v store.Summary) {
	if n := len(s.versions); n == 0 || s.versions[n-1].Version < v.Version {
		s.versions = append(s.versions, v)
		s.current = v.Version
	}
}

func (s *userScreen) key(msg tea.KeyMsg) tea.Cmd {
	k := s.ctx.Keys
	if s.choosing {
		switch {
		case key.Matches(msg, k.Up):
			s.moveSelection(-1)
			return nil
		case key.Matches(msg, k.Down):
			s.moveSelection(1)
			return nil
		case key.Matches(msg, k.Top):
			s.moveSelection(-len(s.versions))
			return nil
		case key.Matches(msg, k.Bottom):
			s.moveSelection(len(s.versions))
			return nil
		case key.Matches(msg, k.Versions), key.Matches(msg, k.Open), key.Matches(msg, k.Back):
			s.choosing = false
			s.renderSummary()
			return nil
		}
	}
	switch {
	case key.Matches(msg, k.Back):
		s.ctx.Pop(s)
		return nil
	case key.Matches(msg, k.NextPane):
		s.focus = 1 - s.focus
		s.choosing = false
		s.renderSummary()
	case key.Matches(msg, k.Up):
		s.focused().ScrollUp(1)
	case key.Matches(msg, k.Down):
		s.focused().ScrollDown(1)
	case key.Matches(msg, k.PageUp):
		s.focused().PageUp()
	case key.Matches(msg, k.PageDown):
		s.focused().PageDown()
	case key.Matches(msg, k.Top):
		s.focused().GotoTop()
	case key.Matches(msg, k.Bottom):
		s.focused().GotoBottom()
	case key.Matches(msg, k.Versions):
		if len(s.versions) == 0 {
			return screen.Notice("no summary versions yet: i infers one, e writes one")
		}
		s.choosing, s.focus = true, userPaneSummary
		s.renderSummary()
		s.revealSelection()
	case key.Matches(msg, k.Diff):
		s.diff = !s.diff
		s.focus = userPaneSummary
		s.renderSummary()
	case key.Matches(msg, k.Persona):
		s.persona = !s.persona
		s.renderHistory()
		if s.persona {
			s.focus = userPaneHistory
			s.history.GotoTop() // the persona is the pane's first section
		}
	case key.Matches(msg, k.Edit):
		if s.inference != nil {
			return screen.Notice("a summary is being inferred: edit it once it is saved")
		}
		base := store.Summary{User: s.user}
		if sel, ok := s.selected(); ok {
			base = sel
		}
		s.ctx.Push(newEditScreen(s.ctx, s.user, base))
		return nil
	case key.Matches(msg, k.Infer):
		return s.infer()
	case key.Matches(msg, k.MakeCurrent):
		return s.makeCurrent()
	}
	return nil
}

func (s *userScreen) focused() *viewport.Model {
	if s.focus == userPaneHistory {
		return &s.history
	}
	return &s.summary
}

// mouse scrolls the pane under the pointer (the shown one when stacked).
func (s *userScreen) mouse(msg tea.MouseMsg) {
	vp := s.focused()
	if s.wide() {
		vp = &s.summary
		if msg.X < s.ctx.Width/2 {
			vp = &s.history
		}
	}
	*vp, _ = vp.Update(msg)
}

// selectedIndex is the index in versions of the selected version, -1 when
// there is none.
func (s *userScreen) selectedIndex() int {
	if s.selVersion == 0 {
		return s.currentIndex()
	}
	return s.versionIndex(s.selVersion)
}

// currentIndex is the index in versions of the current version (the
// newest if the store named none of them), -1 when there are none.
func (s *userScreen) currentIndex() int {
	if i := s.versionIndex(s.current); i >= 0 {
		return i
	}
	return len(s.versions) - 1
}

func (s *userScreen) versionIndex(version int) int {
	for i, v := range s.versions {
		if v.Version == version {
			return i
		}
	}
	return -1
}

func (s *userScreen) selected() (store.Summary, bool) {
	if i := s.selectedIndex(); i >= 0 {
		return s.versions[i], true
	}
	return store.Summary{}, false
}

// moveSelection moves the selection n versions; reaching the current one
// follows the current version again, so a new one selects itself.
func (s *userScreen) moveSelection(n int) {
	if len(s.versions) == 0 {
		return
	}
	i := max(0, min(len(s.versions)-1, s.selectedIndex()+n))
	s.selVersion = s.versions[i].Version
	if i == s.currentIndex() {
		s.selVersion = 0
	}
	s.renderSummary()
	s.revealSelection()
}

// revealSelection scrolls the summary pane so the selected version's line
// of the versions list is in view.
func (s *userScreen) revealSelection() {
	ln := s.versionsTop + 1 + s.selectedIndex()
	if ln < s.summary.YOffset {
		s.summary.SetYOffset(ln)
	} else if ln >= s.summary.YOffset+s.summary.Height {
		s.summary.SetYOffset(ln - s.summary.Height + 1)
	}
}

// infer streams a new version from the default summarizer into the
// summary pane; the engine stores it.
func (s *userScreen) infer() tea.Cmd {
	if s.inference != nil {
		return screen.Notice("already inferring a summary for " + s.user)
	}
	// Two summaries at once would both be stored, as two versions.
	if job, ok := s.ctx.Jobs.Inferring(s.user, len(s.versions) > 0); ok {
		return screen.Notice("the running job " + job + " summarizes " + s.user + " (J shows it)")
	}
	backend := s.ctx.Engine.DefaultBackend(engine.RoleSummarizer)
	if backend == "" {
		return screen.Failed(fmt.Errorf("no summarizer is configured"))
	}
	var cmd tea.Cmd
	s.inference, cmd = infer(s.ctx.Engine, s.user, backend)
	s.diff, s.choosing, s.focus = false, false, userPaneSummary
	s.renderSummary()
	return tea.Batch(cmd, screen.Notice("inferring a summary of "+s.user+" via "+backend))
}

// inferred ends the inference: the summary it stored, or why not.
func (s *userScreen) inferred(sum store.Summary, err error) tea.Cmd {
	backend := s.inference.backend
	s.inference = nil
	if err != nil {
		s.renderSummary()
		return screen.Failed(fmt.Errorf("infer a summary of %s via %s: %w", s.user, backend, err))
	}
	// The version is stored: show it now, and let the reload that
	// DataChanged brings confirm it.
	s.addVersion(sum)
	s.selVersion = 0
	s.renderSummary()
	s.summary.GotoTop()
	return tea.Batch(screen.Notice(fmt.Sprintf("saved v%d of %s's summary (%s)", sum.Version, s.user, sum.Source)), screen.DataChanged)
}

// makeCurrent makes the selected version current again: a new version
// with its text and source whose parent is the selected one (versions are
// never changed or removed).
func (s *userScreen) makeCurrent() tea.Cmd {
	sel, ok := s.selected()
	switch {
	case !ok:
		return screen.Notice("no summary versions yet")
	case s.selectedIndex() == s.currentIndex():
		return screen.Notice(fmt.Sprintf("v%d is already current: v selects another version", sel.Version))
	case s.saving:
		return nil
	}
	s.saving = true
	db, user, from := s.ctx.DB, s, sel.Version
	again := sel
	again.ID, again.Version, again.CreatedAt, again.Parent = "", 0, time.Time{}, sel.Version
	return func() tea.Msg {
		sum, err := db.AddSummary(again)
		return userSavedMsg{user: user, from: from, sum: sum, err: err}
	}
}

// wide reports whether the panes sit side by side.
func (s *userScreen) wide() bool { return s.ctx.Width >= userWide }

// paneSizes are the outer sizes of the panes: side by side, or one at a
// time under a tab line.
func (s *userScreen) paneSizes() (histW, sumW, h int) {
	body := max(3, s.ctx.Height-2-1) // the status and help lines, the header
	if s.wide() {
		return s.ctx.Width / 2, s.ctx.Width - s.ctx.Width/2, body
	}
	return s.ctx.Width, s.ctx.Width, max(3, body-1)
}

// layout sizes the panes for the terminal and renders their content for
// that width; the scroll positions are kept.
func (s *userScreen) layout() {
	hw, sw, h := s.paneSizes()
	// A pane: border (2) and padding (2) across; border (2) and its title
	// line down.
	s.history.Width, s.history.Height = max(1, hw-4), max(1, h-3)
	s.summary.Width, s.summary.Height = max(1, sw-4), max(1, h-3)
	s.renderHistory()
	s.renderSummary()
}

// renderHistory renders what the user told us, for the pane's width.
func (s *userScreen) renderHistory() {
	st := s.ctx.Styles
	w := s.history.Width
	var b strings.Builder
	if !s.loaded {
		s.history.SetContent(st.Muted.Render("loading…"))
		return
	}
	var profiles, personas, texts, pairs, heldout, tasks []store.Signal
	for _, sig := range s.signals {
		switch sig.Kind {
		case store.KindProfile:
			profiles = append(profiles, sig)
		case store.KindPersona:
			personas = append(personas, sig)
		case store.KindText:
			texts = append(texts, sig)
		case store.KindPair:
			if sig.Split == store.SplitHeldout {
				heldout = append(heldout, sig)
			} else {
				pairs = append(pairs, sig)
			}
		case store.KindTask:
			tasks = append(tasks, sig)
		}
	}
	heading := func(text string) {
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		b.WriteString(st.Header.Render(screen.Wrap(text, w)) + "\n")
	}

	// The persona first, so showing it needs no scrolling.
	switch {
	case len(personas) == 0:
	case !s.persona:
		heading("Persona (ground truth)")
		b.WriteString(st.Muted.Render(screen.Wrap("hidden — p shows it", w)) + "\n")
	default:
		heading("Persona (ground truth — never shown to the summarizer)")
		for _, p := range personas {
			writeLabelled(&b, "  ", "", p.Text, w)
		}
	}
	if len(profiles) > 0 {
		heading("Profile")
		for _, p := range profiles {
			writeLabelled(&b, "  ", "", p.Text, w)
		}
	}
	if len(texts) > 0 {
		heading(fmt.Sprintf("Written by the user — %s", screen.Plural(len(texts), "text", "texts")))
		for _, t := range texts {
			label := "•"
			if t.Source != "" {
				label = "• " + screen.Line(t.Source) + ":"
			}
			writeLabelled(&b, "  ", st.Muted.Render(label), t.Text, w)
		}
	}
	heading(fmt.Sprintf("History — %s the summarizer sees", screen.Plural(len(pairs), "pair", "pairs")))
	if len(pairs) == 0 {
		b.WriteString(st.Muted.Render("  none") + "\n")
	}
	for i, p := range pairs {
		s.writePair(&b, fmt.Sprintf("%d.", i+1), p, w)
	}
	if len(heldout) > 0 {
		b.WriteString("\n" + st.Warning.Render(strings.Repeat("─", w)) + "\n")
		heading(fmt.Sprintf("Held out — %s, never shown to the summarizer", screen.Plural(len(heldout), "pair", "pairs")))
		for i, p := range heldout {
			s.writePair(&b, fmt.Sprintf("H%d.", i+1), p, w)
		}
	}
	if len(tasks) > 0 {
		heading(fmt.Sprintf("Tasks — %s to answer", screen.Plural(len(tasks), "prompt", "prompts")))
		for i, t := range tasks {
			writeLabelled(&b, "  ", fmt.Sprintf("%d.", i+1), t.Prompt, w)
		}
	}
	s.history.SetContent(strings.TrimSuffix(b.String(), "\n"))
}

// writePair writes a preference pair; which answer the user preferred is
// said in words, colour only repeats it.
func (s *userScreen) writePair(b *strings.Builder, n string, p store.Signal, w int) {
	st := s.ctx.Styles
	writeLabelled(b, " ", st.Tag.Render(n), p.Prompt, w)
	writeLabelled(b, "    ", st.Success.Render("▲ preferred   "), p.Chosen, w)
	writeLabelled(b, "    ", st.Error.Render("▽ dispreferred"), p.Rejected, w)
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

// renderSummary renders the selected version (or the running inference),
// its figures, the versions list and the text or diff.
func (s *userScreen) renderSummary() {
	st := s.ctx.Styles
	w := s.summary.Width
	var b strings.Builder
	s.versionsTop = 0
	switch {
	case !s.loaded:
		s.summary.SetContent(st.Muted.Render("loading…"))
		return
	case s.err != nil:
		s.summary.SetContent(st.Error.Render(screen.Wrap("error: "+screen.Line(s.err.Error()), w)))
		return
	case s.inference != nil:
		b.WriteString(st.Accent.Render(screen.Wrap("Inferring with "+screen.Line(s.inference.backend)+"… (streaming; it is saved as a new version when done)", w)) + "\n\n")
		if s.inference.text == "" {
			b.WriteString(st.Muted.Render("waiting for the first words…"))
		} else {
			b.WriteString(screen.Wrap(screen.Detab(screen.Clean(s.inference.text)), w))
		}
		s.summary.SetContent(b.String())
		return
	case len(s.versions) == 0:
		backend := s.ctx.Engine.DefaultBackend(engine.RoleSummarizer)
		s.summary.SetContent(st.Muted.Render(screen.Wrap("No summary yet: i infers one with "+screen.Line(backend)+", e writes one.", w)))
		return
	}
	i := s.selectedIndex()
	sel, n := s.versions[i], len(s.versions)
	last, cur := s.versions[n-1].Version, s.current
	head := fmt.Sprintf("v%d of %d · current", sel.Version, last)
	if i != s.currentIndex() {
		head = fmt.Sprintf("v%d of %d · selected, not current (current is v%d; m makes it current)", sel.Version, last, cur)
	}
	b.WriteString(st.Title.Render(screen.Wrap(head, w)) + "\n")
	field := func(name, value string) {
		b.WriteString(screen.Wrap(st.Muted.Render(fmt.Sprintf("%-8s", name))+value, w) + "\n")
	}
	template := "—"
	if sel.TemplateVersion > 0 {
		template = fmt.Sprintf("v%d", sel.TemplateVersion)
	}
	field("source", sourceText(sel)+" · template "+template)
	field("tokens", tokenText(sel))
	field("saving", savingText(sel))
	field("created", sel.CreatedAt.Local().Format("2006-01-02 15:04"))

	b.WriteString("\n")
	s.versionsTop = strings.Count(b.String(), "\n")
	title := "Versions — v selects"
	if s.choosing {
		title = "Versions — ↑/↓ select · m make current · v/enter done"
	}
	b.WriteString(st.Header.Render(ansi.Truncate(title, w, "…")) + "\n")
	// All versions while choosing (the selection's line is then
	// versionsTop+1+index); otherwise a few around the selected one, so
	// a long history of versions does not push the text away.
	from, to := 0, n
	if !s.choosing && n > versionsShown {
		from = max(0, min(i-versionsShown/2, n-versionsShown))
		to = from + versionsShown
	}
	if from > 0 {
		b.WriteString(st.Muted.Render(ansi.Truncate(fmt.Sprintf("  … %s before (v lists all)", screen.Plural(from, "version", "versions")), w, "…")) + "\n")
	}
	// The source column takes what the rest of a row leaves: marker,
	// number, date and "(current)".
	srcW := max(6, min(24, w-2-5-17-10))
	for j := from; j < to; j++ {
		v := s.versions[j]
		text := fmt.Sprintf("v%-3d %s %s", v.Version, screen.Fit(screen.Line(v.Source), srcW), v.CreatedAt.Local().Format("2006-01-02 15:04"))
		if v.Parent > 0 && v.Parent != v.Version-1 {
			text += fmt.Sprintf(" ← v%d", v.Parent)
		}
		if v.Version == cur {
			text += " (current)"
		}
		switch {
		case j == i && s.choosing:
			b.WriteString(st.Selected.Render(screen.Fit("› "+text, w)) + "\n")
		case j == i:
			b.WriteString(st.Accent.Render(ansi.Truncate("› "+text, w, "…")) + "\n")
		default:
			b.WriteString(ansi.Truncate("  "+text, w, "…") + "\n")
		}
	}
	if to < n {
		b.WriteString(st.Muted.Render(ansi.Truncate(fmt.Sprintf("  … %s after (v lists all)", screen.Plural(n-to, "version", "versions")), w, "…")) + "\n")
	}
	b.WriteString("\n")
	if s.diff {
		if i == 0 {
			b.WriteString(st.Muted.Render(screen.Wrap(fmt.Sprintf("v%d is the first version: there is nothing to diff it against.", sel.Version), w)))
		} else {
			prev := s.versions[i-1]
			d := lineDiff(prev.Text, sel.Text)
			added, removed := diffStats(d)
			b.WriteString(st.Header.Render(screen.Wrap(fmt.Sprintf("Diff v%d → v%d (+%d −%d lines)", prev.Version, sel.Version, added, removed), w)) + "\n")
			if added == 0 && removed == 0 {
				b.WriteString(st.Muted.Render("(the texts are the same)") + "\n")
			}
			b.WriteString(renderDiff(d, w, st))
		}
	} else {
		b.WriteString(st.Header.Render("Text") + "\n")
		b.WriteString(screen.Wrap(screen.Detab(screen.Clean(sel.Text)), w))
	}
	s.summary.SetContent(strings.TrimSuffix(b.String(), "\n"))
}

// sourceText says who wrote a version.
func sourceText(v store.Summary) string {
	src := screen.Line(v.Source)
	switch {
	case v.Source == store.SourceHuman && v.Parent > 0:
		src += fmt.Sprintf(" (edited from v%d)", v.Parent)
	case v.Source == store.SourceHuman:
		src += " (written by hand)"
	case v.Parent > 0:
		// Only making a version current again gives a non-human one a parent.
		src += fmt.Sprintf(" (v%d made current again)", v.Parent)
	case v.IsModel() && v.Backend != "" && !strings.HasPrefix(v.Source, v.Backend+"/"):
		src += " (backend " + screen.Line(v.Backend) + ")"
	}
	return src
}

// tokenText gives the token counts, "~" marking estimates.
func tokenText(v store.Summary) string {
	if v.SummaryTokens == 0 && v.HistoryTokens == 0 {
		return "not counted"
	}
	est := ""
	if v.TokensEstimated {
		est = "~"
	}
	count := func(n int) string {
		if n == 0 {
			return "?"
		}
		return fmt.Sprintf("%s%d", est, n)
	}
	out := fmt.Sprintf("history %s · summary %s", count(v.HistoryTokens), count(v.SummaryTokens))
	if v.HistoryCut {
		out += " (history cut to the budget)"
	}
	return out
}

// savingText is the context saving: the raw history's tokens over the
// summary's.
func savingText(v store.Summary) string {
	if v.HistoryTokens <= 0 || v.SummaryTokens <= 0 {
		return "–"
	}
	return fmt.Sprintf("×%.1f", float64(v.HistoryTokens)/float64(v.SummaryTokens))
}

func (s *userScreen) View() string {
	st := s.ctx.Styles
	w := s.ctx.Width
	head := st.Title.Render(screen.Line(s.user))
	switch {
	case !s.loaded:
		head += st.Muted.Render("  loading…")
	case s.err == nil:
		c := s.info.Counts
		head += st.Muted.Render(fmt.Sprintf("  %s · %d held out · %s · %s · %s",
			screen.Plural(c.HistoryPairs, "pair", "pairs"), c.HeldoutPairs, screen.Plural(c.Texts, "text", "texts"),
			screen.Plural(c.Profiles, "profile", "profiles"), screen.Plural(c.Tasks, "task", "tasks")))
	}
	if s.err != nil {
		return screen.Fit(head, w) + "\n" + st.Error.Render(screen.Wrap("error: "+screen.Line(s.err.Error()), w))
	}
	hw, sw, h := s.paneSizes()
	hist := s.pane("History", &s.history, s.focus == userPaneHistory, hw, h)
	sum := s.pane(s.summaryTitle(), &s.summary, s.focus == userPaneSummary, sw, h)
	if s.wide() {
		return screen.Fit(head, w) + "\n" + lipgloss.JoinHorizontal(lipgloss.Top, hist, sum)
	}
	tab := func(name string, on bool) string {
		if on {
			return st.Selected.Render("[" + name + "]")
		}
		return st.Muted.Render(" " + name + " ")
	}
	tabs := tab("History", s.focus == userPaneHistory) + " " + tab("Summary", s.focus == userPaneSummary) + st.Muted.Render("  tab switches")
	shown := hist
	if s.focus == userPaneSummary {
		shown = sum
	}
	return screen.Fit(head, w) + "\n" + screen.Fit(tabs, w) + "\n" + shown
}

func (s *userScreen) summaryTitle() string {
	switch {
	case s.inference != nil:
		return "Summary — inferring…"
	case s.diff:
		return "Summary — diff"
	}
	return "Summary"
}

// pane draws a viewport in a border with its title; the focused pane is
// marked by "▸" and a heavier border, not by colour alone.
func (s *userScreen) pane(title string, vp *viewport.Model, focused bool, w, h int) string {
	st := s.ctx.Styles
	style, mark := st.Pane, "  "
	if focused {
		style, mark = st.PaneFocused, "▸ "
	}
	head := mark + title
	if vp.TotalLineCount() > vp.Height {
		head += fmt.Sprintf("  %d%%", int(vp.ScrollPercent()*100))
	}
	body := st.Header.Render(screen.Fit(head, vp.Width)) + "\n" + vp.View()
	return style.Width(max(1, w-2)).Height(max(1, h-2)).MaxHeight(h).Render(body)
}

// inference is a summary being inferred: its stream, the summarizer
// asked and the text so far. The User screen shows it in the summary pane,
// the Edit screen as a preview; the engine stores the summary at its end.
type inference struct {
	stream  *screen.Stream
	backend string
	text    string
}

// infer starts streaming a summary of user by backend; the command runs
// the request and reads its first text.
func infer(e *engine.Engine, user, backend string) (*inference, tea.Cmd) {
	st, run := screen.Start(context.Background(), func(ctx context.Context, onDelta func(engine.Delta)) (store.Summary, error) {
		return e.Summarize(ctx, user, backend, onDelta)
	})
	return &inference{stream: st, backend: backend}, tea.Batch(run, st.Read())
}

// owns reports whether st is the inference's stream (a screen without an
// inference owns none: every screen sees every stream's messages).
func (in *inference) owns(st *screen.Stream) bool { return in != nil && in.stream == st }
