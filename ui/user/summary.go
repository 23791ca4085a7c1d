package user

// The summary pane: the selected version, its figures, the versions
// list, and its text or the diff against the version before.

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// renderSummary renders the selected version (or the running inference),
// its figures, the versions list and the text or diff.
func (s *Screen) renderSummary() {
	st := s.ctx.Styles
	w := s.summary.Width
	s.versionsTop = 0
	switch {
	case !s.loaded:
		s.summary.SetContent(st.Muted.Render("loading…"))
		return
	case s.err != nil:
		s.summary.SetContent(st.Error.Render(screen.Wrap("error: "+screen.Line(s.err.Error()), w)))
		return
	case s.inference != nil:
		text := st.Muted.Render("waiting for the first words…")
		if s.inference.text != "" {
			text = screen.Wrap(screen.Detab(screen.Clean(s.inference.text)), w)
		}
		s.summary.SetContent(st.Accent.Render(screen.Wrap("Inferring with "+screen.Line(s.inference.backend)+"… (streaming; it is saved as a new version when done)", w)) + "\n\n" + text)
		return
	case len(s.versions) == 0:
		backend := s.ctx.Engine.DefaultBackend(engine.RoleSummarizer)
		s.summary.SetContent(st.Muted.Render(screen.Wrap("No summary yet: i infers one with "+screen.Line(backend)+", e writes one.", w)))
		return
	}
	var b strings.Builder
	i := s.selectedIndex()
	s.writeFigures(&b, i, w)
	b.WriteString("\n")
	s.versionsTop = strings.Count(b.String(), "\n")
	s.writeVersions(&b, i, w)
	b.WriteString("\n")
	sel := s.versions[i]
	switch {
	case !s.diff:
		b.WriteString(st.Header.Render("Text") + "\n")
		b.WriteString(screen.Wrap(screen.Detab(screen.Clean(sel.Text)), w))
	case i == 0:
		b.WriteString(st.Muted.Render(screen.Wrap(fmt.Sprintf("v%d is the first version: there is nothing to diff it against.", sel.Version), w)))
	default:
		prev := s.versions[i-1]
		d := lineDiff(prev.Text, sel.Text)
		added, removed := diffStats(d)
		b.WriteString(st.Header.Render(screen.Wrap(fmt.Sprintf("Diff v%d → v%d (+%d −%d lines)", prev.Version, sel.Version, added, removed), w)) + "\n")
		if added == 0 && removed == 0 {
			b.WriteString(st.Muted.Render("(the texts are the same)") + "\n")
		}
		b.WriteString(renderDiff(d, w, st))
	}
	s.summary.SetContent(strings.TrimSuffix(b.String(), "\n"))
}

// writeFigures writes which version is shown (and whether it is current)
// and its source, token counts, context saving and date.
func (s *Screen) writeFigures(b *strings.Builder, i, w int) {
	st := s.ctx.Styles
	sel, last := s.versions[i], s.versions[len(s.versions)-1].Version
	head := fmt.Sprintf("v%d of %d · current", sel.Version, last)
	if i != s.currentIndex() {
		head = fmt.Sprintf("v%d of %d · selected, not current (current is v%d; m makes it current)", sel.Version, last, s.current)
	}
	b.WriteString(st.Title.Render(screen.Wrap(head, w)) + "\n")
	field := func(name, value string) {
		b.WriteString(screen.Wrap(st.Muted.Render(fmt.Sprintf("%-8s", name))+value, w) + "\n")
	}
	field("source", sourceText(sel)+" · template "+templateText(sel))
	field("tokens", tokenText(sel))
	field("saving", savingText(sel))
	field("created", sel.CreatedAt.Local().Format("2006-01-02 15:04"))
}

// writeVersions writes the versions list, i selected: all of them while
// choosing (the selection's line is then versionsTop+1+i), otherwise a
// few around the selected one, so that a long history of versions does
// not push the text away.
func (s *Screen) writeVersions(b *strings.Builder, i, w int) {
	st := s.ctx.Styles
	n := len(s.versions)
	title := "Versions — v selects"
	if s.choosing {
		title = "Versions — ↑/↓ select · m make current · v/enter done"
	}
	b.WriteString(st.Header.Render(ansi.Truncate(title, w, "…")) + "\n")
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
		if v.Version == s.current {
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

// templateText names the wording a summary was asked with: its template
// set's version, or for a summary made before template sets the version
// of the one template there was; "—" for one written by a person.
func templateText(s store.Summary) string {
	switch {
	case s.TemplateSet != "":
		return screen.Line(s.TemplateSet)
	case s.TemplateVersion > 0:
		return fmt.Sprintf("v%d", s.TemplateVersion)
	}
	return "—"
}
