package stats

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/popi-tui/popi-tui/engine/eval"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/sanitize"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// report is the Stats screen's text being written: one section after
// another, each line as long as it comes (content wraps them).
type report struct {
	st  screen.Styles
	out []string
}

func (r *report) add(lines ...string) { r.out = append(r.out, lines...) }

// section starts a section under its title.
func (r *report) section(title string) {
	if len(r.out) > 0 {
		r.add("")
	}
	r.add(r.st.Header.Render(title))
}

// bar is a chart's bar for a fraction in [0, 1], width cells wide.
func (r *report) bar(frac float64, width int) string {
	return r.st.Bar(screen.Cells(frac, width), width)
}

// content is the whole report, w cells wide.
func (s *Screen) content(w int) string {
	r := &report{st: s.ctx.Styles}
	if s.counts != nil {
		r.counts(*s.counts)
	}
	if s.loaded {
		d := s.data
		r.labels(d.labels, w)
		r.contextSaving(d.context)
		r.accuracy(d.accuracy)
		r.judges(d.judges)
	}
	// Nothing is cut: a line too long for the width goes on, indented,
	// on the next (the viewport scrolls).
	var wrapped []string
	for _, l := range r.out {
		wrapped = append(wrapped, wrapIndented(l, w, 4)...)
	}
	return strings.Join(wrapped, "\n")
}

// counts is what the database holds, from its counters.
func (r *report) counts(c countsData) {
	st := c.stats
	r.section("Database")
	r.add(fmt.Sprintf("%s · history pairs %d, held-out %d, texts %d, profiles %d, personas %d, tasks %d",
		screen.Plural(st.Users, "user", "users"), st.PairsHistory, st.PairsHeldout, st.Texts, st.Profiles, st.Personas, st.Tasks))
	r.add(fmt.Sprintf("%s (%d by a person) · %s · %s",
		screen.Plural(st.Summaries, "summary version", "summary versions"), st.SummariesHuman,
		screen.Plural(st.Generations, "generation", "generations"), screen.Plural(st.Labels, "current decision", "current decisions")))
	if len(c.datasets) > 1 || c.datasets[""] == 0 {
		var parts []string
		for _, d := range slices.Sorted(maps.Keys(c.datasets)) {
			name := screen.Line(d)
			if d == "" {
				name = "(none)"
			}
			parts = append(parts, fmt.Sprintf("%s %d", name, c.datasets[d]))
		}
		if len(parts) > 0 {
			r.add("Users per dataset: " + strings.Join(parts, ", "))
		}
	}
}

// labels is the human labels: each candidate's win rate and strength,
// agreement with the dataset and between annotators, each annotator's
// decisions.
func (r *report) labels(l eval.LabelReport, w int) {
	r.section(fmt.Sprintf("Human labels — %s (and %s)", screen.Plural(l.Decisions, "decision", "decisions"), screen.Plural(l.Skips, "skip", "skips")))
	if l.Decisions == 0 {
		r.add(r.st.Muted.Render("No decisions yet: l on the Users screen starts labeling."))
		return
	}
	r.candidates(l.Candidates, w)
	if a := l.Replay; a.Decisive > 0 {
		r.add("", fmt.Sprintf("Agreement with the dataset's choice  %s %5.1f%%  %d/%d [%.1f, %.1f]", r.bar(a.Rate, 20), 100*a.Rate, a.Agree, a.Decisive, 100*a.Low, 100*a.High))
	}
	ia := l.InterAnnotator
	switch {
	case ia.Kappa != nil:
		name := map[string]string{eval.AgreementCohen: "Cohen's κ", eval.AgreementFleiss: "Fleiss' κ"}[ia.Method]
		r.add(fmt.Sprintf("Inter-annotator agreement: %s = %.3f over %d items (observed %.1f%%)", name, *ia.Kappa, ia.Items, 100*ia.ObservedAgreement))
	case ia.Note != "":
		r.add("Inter-annotator agreement: " + screen.Line(ia.Note))
	}
	r.add("")
	for _, a := range l.Annotators {
		agree := ""
		if a.Replay.Decisive > 0 {
			agree = fmt.Sprintf(" · agrees with the dataset %d/%d", a.Replay.Agree, a.Replay.Decisive)
		}
		r.add(fmt.Sprintf("%s: %s, %s, median %s to decide%s", screen.Line(a.Annotator), screen.Plural(a.Decisions, "decision", "decisions"),
			screen.Plural(a.Skips, "skip", "skips"), a.MedianDecisionTime.Round(100*time.Millisecond), agree))
	}
}

// candidates is the win rate chart. Wide: one row per candidate. Narrow:
// the counts and strength go on a second line, under the bar.
func (r *report) candidates(cands []eval.CandidateStats, w int) {
	namew := 8
	for _, c := range cands {
		namew = max(namew, min(28, ansi.StringWidth(screen.Line(c.Name))))
	}
	const tail = 14 + 1 + 11 + 1 + 26 // CI, W/L/T, θ with its interval
	wide := w >= namew+1+20+7+1+tail
	barw := max(8, min(30, w-namew-8-15))
	header := fmt.Sprintf("%-*s %-*s %s", namew, "candidate", barw+7, "win rate", "95% CI")
	if wide {
		barw = max(8, min(30, w-namew-8-15-tail))
		header = fmt.Sprintf("%-*s %-*s %-14s %-11s %s", namew, "candidate", barw+7, "win rate", "95% CI", "W/L/T", "Bradley–Terry θ")
	}
	r.add(r.st.Muted.Render(header))
	for _, c := range cands {
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
		row := fmt.Sprintf("%-*s %s %-6s %-14s", namew, screen.Fit(screen.Line(c.Name), namew), r.bar(frac, barw), rate, ci)
		if wide {
			r.add(fmt.Sprintf("%s %-11s %s", row, wlt, bt))
		} else {
			r.add(row, r.st.Muted.Render(fmt.Sprintf("%*s W/L/T %s · Bradley–Terry θ %s", namew, "", wlt, bt)))
		}
	}
}

// contextSaving charts each kind of summary's context saving.
func (r *report) contextSaving(c eval.ContextReport) {
	r.section("Context saving — raw-history tokens ÷ summary tokens (each user's newest summary of each kind)")
	widest := 1.0
	for _, k := range c.Kinds {
		widest = max(widest, k.RatioOfMeans)
	}
	for _, k := range c.Kinds {
		if k.Users == 0 {
			r.add(fmt.Sprintf("%-9s %s", screen.Line(k.Kind), r.st.Muted.Render("no summaries with token counts")))
			continue
		}
		est := ""
		if k.Estimated > 0 {
			est = fmt.Sprintf(" · %d estimated", k.Estimated)
		}
		r.add(fmt.Sprintf("%-9s %s ×%-5.1f %s: %.0f → %.0f tokens (median ×%.1f)%s", screen.Line(k.Kind), r.bar(k.RatioOfMeans/widest, 24), k.RatioOfMeans,
			screen.Plural(k.Users, "user", "users"), k.MeanHistoryTokens, k.MeanSummaryTokens, k.MedianRatio, est))
	}
}

// accuracy is the latest preference accuracy run of each kind. Everything
// read from a kept run came from the database (any --db), and is
// sanitized.
func (r *report) accuracy(runs []timed[eval.AccuracyReport]) {
	r.section("Preference accuracy (the latest run of each; popi-tui eval --metric accuracy)")
	if len(runs) == 0 {
		r.add(r.st.Muted.Render("No run yet: it needs a server that scores given responses (vLLM)."))
	}
	for _, run := range runs {
		a := run.rep
		r.add(fmt.Sprintf("%s (%s), summaries: %s%s%s · %s", screen.Line(a.Backend), screen.Line(a.Model), screen.Line(a.Summary), scoringNote(a), usersNote(a.Users),
			run.at.Local().Format("2006-01-02 15:04")))
		r.accuracyRows("  ", a.Rows, a.Beta > 0)
		for _, d := range a.ByDataset {
			r.add("  dataset " + screen.Line(cmp.Or(d.Dataset, "(untagged)")))
			r.accuracyRows("    ", d.Rows, a.Beta > 0)
		}
	}
}

// scoringNote says how a run scored, for runs that recorded it (before
// β, the reference and the end of turn were options, runs kept none):
// the reference when it is another backend, the end of turn, β.
func scoringNote(a eval.AccuracyReport) string {
	if a.Beta == 0 {
		return ""
	}
	out := ""
	if a.Reference != "" && a.Reference != a.Backend {
		out += fmt.Sprintf(" · reference %s (%s)", screen.Line(a.Reference), screen.Line(a.ReferenceModel))
	}
	eot := "end of turn counted"
	if !a.EndOfTurn {
		eot = "end of turn left out"
	}
	return out + fmt.Sprintf(" · %s · β %g", eot, a.Beta)
}

// accuracyRows writes a run's rows, one per condition; with DPO's figures
// (dpo), each row's mean margin and loss.
func (r *report) accuracyRows(indent string, rows []eval.AccuracyRow, dpo bool) {
	for _, row := range rows {
		failed := ""
		if row.Failed > 0 {
			failed = fmt.Sprintf(" · %d failed", row.Failed)
		}
		if row.Pairs == 0 {
			r.add(fmt.Sprintf("%s%-8s no pairs (%d skipped)%s", indent, screen.Line(row.Condition), row.Skipped, failed))
			continue
		}
		loss := ""
		if dpo {
			loss = fmt.Sprintf(" · margin %s · loss %.3f", signed(row.MeanMargin), row.MeanLoss)
		}
		r.add(fmt.Sprintf("%s%-8s %s %5.1f%% [%.1f, %.1f]  %d pairs · %.0f context tokens%s%s", indent, screen.Line(row.Condition), r.bar(row.Accuracy, 24), 100*row.Accuracy,
			100*row.Low, 100*row.High, row.Pairs, row.MeanContextTokens, loss, failed))
	}
}

// judges is the latest judge run of each kind.
func (r *report) judges(runs []timed[eval.JudgeReport]) {
	r.section("Judge win rate (the latest run of each; popi-tui eval --metric judge)")
	if len(runs) == 0 {
		r.add(r.st.Muted.Render("No run yet."))
	}
	for _, run := range runs {
		j := run.rep
		r.add(fmt.Sprintf("judge %s (%s) on %s: summary vs %s%s%s · %s", screen.Line(j.Judge), screen.Line(j.JudgeModel), screen.Line(j.Generator),
			opponent(j), judgeChoices(j), usersNote(j.Users), run.at.Local().Format("2006-01-02 15:04")))
		if j.Wins+j.Ties+j.Losses == 0 {
			r.add("  " + noVerdict(j))
			continue
		}
		skipped := ""
		if j.Skipped > 0 {
			skipped = " · " + skippedNote(j)
		}
		r.add(fmt.Sprintf("  %s %5.1f%% [%.1f, %.1f]  %d/%d/%d W/T/L · %d unreadable%s", r.bar(j.WinRate, 24), 100*j.WinRate, 100*j.Low, 100*j.High,
			j.Wins, j.Ties, j.Losses, j.MalformedItems, skipped))
	}
}

// opponent is what the summary answer faced: the generator's own answer
// under a condition (none, before --against existed), or another
// backend's.
func opponent(j eval.JudgeReport) string {
	cond := j.AgainstCondition
	if cond == "" {
		cond = store.ConditionNone
	}
	if j.AgainstBackend == "" || j.AgainstBackend == j.Generator {
		return screen.Line(cond)
	}
	return screen.Line(j.AgainstBackend) + ":" + screen.Line(cond)
}

// judgeChoices names the run's choices that are not the defaults: one
// order per prompt, and what the judge was told when not the persona.
func judgeChoices(j eval.JudgeReport) string {
	var out string
	if j.Orders == "one" {
		out += fmt.Sprintf(" · one order (seed %d)", j.Seed)
	}
	if j.Told != "" && j.Told != "persona" {
		out += " · told the " + screen.Line(j.Told)
	}
	return out
}

// skippedNote counts the skipped prompts by reason (runs kept before
// reasons were counted were skipped for want of a summary).
func skippedNote(j eval.JudgeReport) string {
	if len(j.SkippedReasons) == 0 {
		return fmt.Sprintf("%d skipped (no summary)", j.Skipped)
	}
	reasons := slices.Sorted(maps.Keys(j.SkippedReasons))
	if len(reasons) == 1 {
		return fmt.Sprintf("%d skipped (%s)", j.Skipped, screen.Line(reasons[0]))
	}
	parts := make([]string, len(reasons))
	for i, why := range reasons {
		parts[i] = fmt.Sprintf("%s: %d", screen.Line(why), j.SkippedReasons[why])
	}
	return fmt.Sprintf("%d skipped (%s)", j.Skipped, strings.Join(parts, ", "))
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
		why = append(why, skippedNote(j))
	}
	if j.MalformedItems > 0 {
		why = append(why, fmt.Sprintf("%d with an unreadable verdict", j.MalformedItems))
	}
	if len(why) == 0 {
		return "no verdict: no prompt was judged"
	}
	return fmt.Sprintf("no verdict to count: of %s, %s", screen.Plural(j.Items, "prompt", "prompts"), strings.Join(why, ", "))
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
