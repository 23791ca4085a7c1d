package ui

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/popi-tui/popi-tui/engine/eval"
	"github.com/popi-tui/popi-tui/ui/sanitize"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// statsScreen shows what `popi-tui eval` reports, with bar charts: the
// human labels and the context saving, read again whenever a label or a
// summary is saved, and the latest accuracy and judge runs kept in the
// database.
type statsScreen struct {
	ctx    *screen.Context
	vp     viewport.Model
	loaded bool
	gen    int // reads started; an older read's answer is dropped
	data   statsData
	err    error
}

// statsData is one read of everything the screen shows.
type statsData struct {
	labels   eval.LabelReport
	context  eval.ContextReport
	accuracy []timed[eval.AccuracyReport]
	judges   []timed[eval.JudgeReport]
}

// timed is a kept evaluation run and when it was made.
type timed[T any] struct {
	at  time.Time
	rep T
}

type statsLoadedMsg struct {
	gen  int
	data statsData
	err  error
}

func newStatsScreen(ctx *screen.Context) *statsScreen {
	vp := viewport.New(1, 1)
	vp.KeyMap = viewport.KeyMap{} // the screen maps the keys (one screen.KeyMap)
	vp.MouseWheelEnabled = true
	return &statsScreen{ctx: ctx, vp: vp}
}

func (s *statsScreen) Init() tea.Cmd { return s.load() }

// load reads the statistics in a command: they walk every label and
// summary.
func (s *statsScreen) load() tea.Cmd {
	s.gen++
	gen, db := s.gen, s.ctx.DB
	return func() tea.Msg {
		var d statsData
		var err error
		if d.labels, err = eval.LabelStats(db); err != nil {
			return statsLoadedMsg{gen: gen, err: err}
		}
		if d.context, err = eval.ContextSaving(db); err != nil {
			return statsLoadedMsg{gen: gen, err: err}
		}
		runs, err := db.LatestEvalRuns()
		if err != nil {
			return statsLoadedMsg{gen: gen, err: err}
		}
		for _, r := range runs {
			switch r.Metric {
			case "accuracy":
				var a eval.AccuracyReport
				if json.Unmarshal(r.Result, &a) == nil {
					d.accuracy = append(d.accuracy, timed[eval.AccuracyReport]{r.CreatedAt, a})
				}
			case "judge":
				var j eval.JudgeReport
				if json.Unmarshal(r.Result, &j) == nil {
					d.judges = append(d.judges, timed[eval.JudgeReport]{r.CreatedAt, j})
				}
			}
		}
		return statsLoadedMsg{gen: gen, data: d}
	}
}

func (s *statsScreen) Title() string { return "Stats" }
func (s *statsScreen) Typing() bool  { return false }
func (s *statsScreen) Close()        {}

func (s *statsScreen) ShortHelp() []key.Binding {
	k := s.ctx.Keys
	return []key.Binding{k.Up, k.Down, k.PageDown, k.Back, k.Help}
}

func (s *statsScreen) FullHelp() [][]key.Binding {
	k := s.ctx.Keys
	return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom, k.Back}}
}

func (s *statsScreen) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case statsLoadedMsg:
		if msg.gen != s.gen {
			return nil
		}
		s.loaded, s.err = true, msg.err
		if msg.err == nil {
			s.data = msg.data
		}
		s.layout()
	case screen.DataChangedMsg, screen.LabelSavedMsg, screen.JobDoneMsg:
		// A label, a summary or a job's results: the numbers move.
		return s.load()
	case tea.WindowSizeMsg:
		s.layout()
	case tea.MouseMsg:
		s.vp, _ = s.vp.Update(msg)
	case tea.KeyMsg:
		k := s.ctx.Keys
		switch {
		case key.Matches(msg, k.Back):
			s.ctx.Pop(s)
		case key.Matches(msg, k.Up):
			s.vp.ScrollUp(1)
		case key.Matches(msg, k.Down):
			s.vp.ScrollDown(1)
		case key.Matches(msg, k.PageUp):
			s.vp.PageUp()
		case key.Matches(msg, k.PageDown):
			s.vp.PageDown()
		case key.Matches(msg, k.Top):
			s.vp.GotoTop()
		case key.Matches(msg, k.Bottom):
			s.vp.GotoBottom()
		}
	}
	return nil
}

// layout sizes the viewport and lays the content out for the width
// (the scroll position is kept).
func (s *statsScreen) layout() {
	w, h := s.ctx.Width, max(1, s.ctx.Height-2-1)
	s.vp.Width, s.vp.Height = w, h
	y := s.vp.YOffset
	s.vp.SetContent(s.content(w))
	s.vp.SetYOffset(y)
}

func (s *statsScreen) View() string {
	st := s.ctx.Styles
	head := st.Title.Render("Stats")
	switch {
	case !s.loaded:
		return head + st.Muted.Render("  reading the labels and summaries…")
	case s.err != nil:
		return head + "\n\n" + st.Error.Render("error: "+screen.Line(s.err.Error()))
	}
	if pct := s.vp.ScrollPercent(); s.vp.TotalLineCount() > s.vp.Height {
		head += st.Muted.Render(fmt.Sprintf("  %3.0f%% (↑/↓ pgup/pgdn)", 100*pct))
	}
	return screen.Fit(head, s.ctx.Width) + "\n" + s.vp.View()
}

// content is the whole report, w cells wide.
func (s *statsScreen) content(w int) string {
	var out []string
	add := func(lines ...string) { out = append(out, lines...) }
	st := s.ctx.Styles
	section := func(title string) {
		if len(out) > 0 {
			add("")
		}
		add(st.Header.Render(title))
	}
	d := s.data

	l := d.labels
	section(fmt.Sprintf("Human labels — %s (and %s)", screen.Plural(l.Decisions, "decision", "decisions"), screen.Plural(l.Skips, "skip", "skips")))
	if l.Decisions == 0 {
		add(st.Muted.Render("No decisions yet: l on the Users screen starts labeling."))
	} else {
		namew := 8
		for _, c := range l.Candidates {
			namew = max(namew, min(28, ansi.StringWidth(screen.Line(c.Name))))
		}
		// Wide: one row per candidate. Narrow: the counts and strength go
		// on a second line, under the bar.
		const tail = 14 + 1 + 11 + 1 + 26 // CI, W/L/T, θ with its interval
		wide := w >= namew+1+20+7+1+tail
		barw := max(8, min(30, w-namew-8-15))
		if wide {
			barw = max(8, min(30, w-namew-8-15-tail))
		}
		header := fmt.Sprintf("%-*s %-*s %s", namew, "candidate", barw+7, "win rate", "95% CI")
		if wide {
			header = fmt.Sprintf("%-*s %-*s %-14s %-11s %s", namew, "candidate", barw+7, "win rate", "95% CI", "W/L/T", "Bradley–Terry θ")
		}
		add(st.Muted.Render(header))
		for _, c := range l.Candidates {
			rate, ci := "     –", ""
			frac := 0.0
			if c.Wins+c.Losses+c.Ties > 0 {
				frac = c.WinRate
				rate, ci = fmt.Sprintf("%5.1f%%", 100*c.WinRate), fmt.Sprintf("[%.1f, %.1f]", 100*c.Low, 100*c.High)
			}
			bt := "not estimable"
			if c.Strength.Estimable {
				bt = fmt.Sprintf("%s [%s, %s]", signed(c.Strength.Theta), signed(c.Strength.Low), signed(c.Strength.High))
			} else if c.Strength.Reason != "" {
				bt = "not estimable: " + screen.Line(c.Strength.Reason)
			}
			wlt := fmt.Sprintf("%d/%d/%d", c.Wins, c.Losses, c.Ties)
			row := fmt.Sprintf("%-*s %s %-6s %-14s", namew, screen.Fit(screen.Line(c.Name), namew), s.bar(frac, barw), rate, ci)
			if wide {
				add(fmt.Sprintf("%s %-11s %s", row, wlt, bt))
			} else {
				add(row, st.Muted.Render(fmt.Sprintf("%*s W/L/T %s · Bradley–Terry θ %s", namew, "", wlt, bt)))
			}
		}
		if r := l.Replay; r.Decisive > 0 {
			add("", fmt.Sprintf("Agreement with the dataset's choice  %s %5.1f%%  %d/%d [%.1f, %.1f]", s.bar(r.Rate, 20), 100*r.Rate, r.Agree, r.Decisive, 100*r.Low, 100*r.High))
		}
		ia := l.InterAnnotator
		switch {
		case ia.Kappa != nil:
			name := map[string]string{eval.AgreementCohen: "Cohen's κ", eval.AgreementFleiss: "Fleiss' κ"}[ia.Method]
			add(fmt.Sprintf("Inter-annotator agreement: %s = %.3f over %d items (observed %.1f%%)", name, *ia.Kappa, ia.Items, 100*ia.ObservedAgreement))
		case ia.Note != "":
			add("Inter-annotator agreement: " + screen.Line(ia.Note))
		}
		add("")
		for _, a := range l.Annotators {
			agree := ""
			if a.Replay.Decisive > 0 {
				agree = fmt.Sprintf(" · agrees with the dataset %d/%d", a.Replay.Agree, a.Replay.Decisive)
			}
			add(fmt.Sprintf("%s: %s, %s, median %s to decide%s", screen.Line(a.Annotator), screen.Plural(a.Decisions, "decision", "decisions"),
				screen.Plural(a.Skips, "skip", "skips"), a.MedianDecisionTime.Round(100*time.Millisecond), agree))
		}
	}

	section("Context saving — raw-history tokens ÷ summary tokens (each user's newest summary of each kind)")
	widest := 1.0
	for _, k := range d.context.Kinds {
		widest = max(widest, k.RatioOfMeans)
	}
	for _, k := range d.context.Kinds {
		if k.Users == 0 {
			add(fmt.Sprintf("%-9s %s", screen.Line(k.Kind), st.Muted.Render("no summaries with token counts")))
			continue
		}
		est := ""
		if k.Estimated > 0 {
			est = fmt.Sprintf(" · %d estimated", k.Estimated)
		}
		add(fmt.Sprintf("%-9s %s ×%-5.1f %s: %.0f → %.0f tokens (median ×%.1f)%s", screen.Line(k.Kind), s.bar(k.RatioOfMeans/widest, 24), k.RatioOfMeans,
			screen.Plural(k.Users, "user", "users"), k.MeanHistoryTokens, k.MeanSummaryTokens, k.MedianRatio, est))
	}

	section("Preference accuracy (the latest run of each; popi-tui eval --metric accuracy)")
	if len(d.accuracy) == 0 {
		add(st.Muted.Render("No run yet: it needs a server that scores given responses (vLLM)."))
	}
	for _, run := range d.accuracy {
		a := run.rep
		// Everything read from a kept run came from the database (any
		// --db), and is sanitized.
		add(fmt.Sprintf("%s (%s), summaries: %s%s · %s", screen.Line(a.Backend), screen.Line(a.Model), screen.Line(a.Summary), usersNote(a.Users), run.at.Local().Format("2006-01-02 15:04")))
		for _, r := range a.Rows {
			failed := ""
			if r.Failed > 0 {
				failed = fmt.Sprintf(" · %d failed", r.Failed)
			}
			if r.Pairs == 0 {
				add(fmt.Sprintf("  %-8s no pairs (%d skipped)%s", screen.Line(r.Condition), r.Skipped, failed))
				continue
			}
			add(fmt.Sprintf("  %-8s %s %5.1f%% [%.1f, %.1f]  %d pairs · %.0f context tokens%s", screen.Line(r.Condition), s.bar(r.Accuracy, 24), 100*r.Accuracy,
				100*r.Low, 100*r.High, r.Pairs, r.MeanContextTokens, failed))
		}
	}

	section("Judge win rate (the latest run of each; popi-tui eval --metric judge)")
	if len(d.judges) == 0 {
		add(st.Muted.Render("No run yet."))
	}
	for _, run := range d.judges {
		j := run.rep
		add(fmt.Sprintf("judge %s (%s) on %s: summary vs none%s · %s", screen.Line(j.Judge), screen.Line(j.JudgeModel), screen.Line(j.Generator), usersNote(j.Users),
			run.at.Local().Format("2006-01-02 15:04")))
		if j.Wins+j.Ties+j.Losses == 0 {
			add("  " + noVerdict(j))
			continue
		}
		skipped := ""
		if j.Skipped > 0 {
			skipped = fmt.Sprintf(" · %d skipped (no summary)", j.Skipped)
		}
		add(fmt.Sprintf("  %s %5.1f%% [%.1f, %.1f]  %d/%d/%d W/T/L · %d unreadable%s", s.bar(j.WinRate, 24), 100*j.WinRate, 100*j.Low, 100*j.High,
			j.Wins, j.Ties, j.Losses, j.MalformedItems, skipped))
	}
	// Nothing is cut: a line too long for the width goes on, indented,
	// on the next (the viewport scrolls).
	var wrapped []string
	for _, l := range out {
		wrapped = append(wrapped, wrapIndented(l, w, 4)...)
	}
	return strings.Join(wrapped, "\n")
}

// usersNote names the users a kept run was limited to (--user), so that
// it is never taken for a run over all of them; the first few are named.
func usersNote(users []string) string {
	if len(users) == 0 {
		return ""
	}
	return " · users: " + sanitize.Names(users, 3)
}

// noVerdict says why a judge run counted no verdict: its prompts were
// skipped for want of a summary, or the judge's verdicts could not be
// read (or some of each), or there was no prompt to judge.
func noVerdict(j eval.JudgeReport) string {
	var why []string
	if j.Skipped > 0 {
		why = append(why, fmt.Sprintf("%d skipped (no summary)", j.Skipped))
	}
	if j.MalformedItems > 0 {
		why = append(why, fmt.Sprintf("%d with an unreadable verdict", j.MalformedItems))
	}
	if len(why) == 0 {
		return "no verdict: no prompt was judged"
	}
	return fmt.Sprintf("no verdict to count: of %s, %s", screen.Plural(j.Items, "prompt", "prompts"), strings.Join(why, ", "))
}

// bar is a chart's bar for a fraction in [0, 1], width cells wide.
func (s *statsScreen) bar(frac float64, width int) string {
	return s.ctx.Styles.Bar(screen.Cells(frac, width), width)
}

// signed writes x with its sign, and a minus sign (−) that line
// wrapping does not take for a hyphen to break at.
func signed(x float64) string { return strings.Replace(fmt.Sprintf("%+.2f", x), "-", "−", 1) }

// wrapIndented breaks a line wider than w at spaces, the lines after the
// first indented; each line comes out exactly w cells wide.
func wrapIndented(l string, w, indent int) []string {
	if ansi.StringWidth(l) <= w {
		return []string{screen.Fit(l, w)}
	}
	parts := strings.Split(ansi.Wrap(l, w, " "), "\n")
	out := []string{screen.Fit(parts[0], w)}
	rest := strings.TrimSpace(strings.Join(parts[1:], " "))
	for _, m := range strings.Split(ansi.Wrap(rest, max(1, w-indent), " "), "\n") {
		out = append(out, screen.Fit(strings.Repeat(" ", indent)+m, w))
	}
	return out
}
