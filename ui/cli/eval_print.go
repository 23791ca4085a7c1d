package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/popi-tui/popi-tui/engine/eval"
	"github.com/popi-tui/popi-tui/ui/sanitize"
)

// printEval writes the metrics as readable tables. Names (backends,
// annotators, users) come from files and databases: they are sanitized.
func printEval(w io.Writer, res evalResult) {
	var sections []func(io.Writer)
	if res.Accuracy != nil {
		sections = append(sections, func(w io.Writer) { printAccuracy(w, res.Accuracy) })
	}
	if res.Judge != nil {
		sections = append(sections, func(w io.Writer) { printJudge(w, res.Judge) })
	}
	if res.Context != nil {
		sections = append(sections, func(w io.Writer) { printContext(w, *res.Context) })
	}
	if res.Labels != nil {
		sections = append(sections, func(w io.Writer) { printLabels(w, *res.Labels) })
	}
	for i, s := range sections {
		if i > 0 {
			fmt.Fprintln(w)
		}
		s(w)
	}
}

func pct(x float64) string { return fmt.Sprintf("%.1f%%", 100*x) }

// interval is a Wilson interval as percentages.
func interval(lo, hi float64) string { return fmt.Sprintf("[%.1f%%, %.1f%%]", 100*lo, 100*hi) }

func table(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0) }

func printAccuracy(w io.Writer, a *accuracyJSON) {
	reference := "itself as the reference"
	if a.Reference != a.Backend {
		reference = fmt.Sprintf("reference %s (%s)", sanitize.Line(a.Reference), sanitize.Line(a.ReferenceModel))
	}
	fmt.Fprintf(w, "Preference accuracy — backend %s (%s), %s, summaries: %s, %d held-out pairs%s%s\n",
		sanitize.Line(a.Backend), sanitize.Line(a.Model), reference, sanitize.Line(a.Summary), a.HeldoutPairs, usersNote(a.Users), datasetsNote(a.Datasets))
	eot := "with the end-of-turn token"
	if !a.EndOfTurn {
		eot = "without the end-of-turn token (--no-eot)"
	}
	fmt.Fprintf(w, "  log-probabilities %s; margin h = r(chosen) − r(rejected), DPO loss −log σ(βh) in nats, β = %g\n", eot, a.Beta)
	groups := make([]datasetRows, len(a.ByDataset))
	for i, d := range a.ByDataset {
		groups[i] = datasetRows{d.Dataset, mapRows(d.Rows, accuracyRow)}
	}
	printTables(w, accuracyHeading, mapRows(a.Rows, accuracyRow), groups)
	// A condition the server refused for some pairs (the rest of each pair
	// was scored): why, per condition.
	for _, r := range a.Rows {
		for _, e := range r.Errors {
			fmt.Fprintf(w, "  %s failed %d× (e.g. %s): %s\n", sanitize.Line(r.Condition), e.Count, sanitize.Line(e.Example), sanitize.Line(e.Reason))
		}
	}
	fmt.Fprintf(w, "  %s\n", runLine(a.Run))
	printRunErrors(w, a.Run)
}

const accuracyHeading = "condition\tpairs\tcorrect\tties\twrong\taccuracy\t95% CI\tmean margin\tmean DPO loss\tcontext tokens\tskipped\tfailed"

// accuracyRow is one condition's row of the accuracy table, its cells
// tab-separated.
func accuracyRow(r eval.AccuracyRow) string {
	acc, ci, margin, loss := "–", "–", "–", "–"
	if r.Pairs > 0 {
		acc, ci = pct(r.Accuracy), interval(r.Low, r.High)
		margin, loss = fmt.Sprintf("%+.3f", r.MeanMargin), fmt.Sprintf("%.4f", r.MeanLoss)
	}
	return fmt.Sprintf("%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%.1f\t%d\t%d", sanitize.Line(r.Condition), r.Pairs, r.Correct, r.Ties, r.Wrong, acc, ci,
		margin, loss, r.MeanContextTokens, r.Skipped, r.Failed)
}

// usersNote names the users a run was limited to (--user), so that it is
// not read as a run over all of them; the first few are named.
func usersNote(users []string) string {
	if len(users) == 0 {
		return ""
	}
	return ", users: " + sanitize.Names(users, 3)
}

func runLine(r runJSON) string {
	took := time.Duration(r.ElapsedSeconds * float64(time.Second)).Round(100 * time.Millisecond)
	s := fmt.Sprintf("%d done, %d failed in %s — %.1f requests/s", r.Done, r.Failed, took, r.RequestsPerSecond)
	if r.Interrupted {
		s += " (interrupted: the numbers cover what was done)"
	}
	return s
}

func printRunErrors(w io.Writer, r runJSON) {
	for _, e := range r.Errors {
		fmt.Fprintf(w, "  failed: %d × %s (e.g. %s)\n", e.Count, sanitize.Line(e.Reason), sanitize.Line(e.Example))
	}
}

func printContext(w io.Writer, c eval.ContextReport) {
	fmt.Fprintf(w, "Context saving — each user's newest summary of each kind with token counts%s\n", datasetsNote(c.Datasets))
	fmt.Fprintln(w, "  whole history: every history pair, text and profile of the user, estimated at 4 bytes a token (20 more a pair or text);")
	fmt.Fprintln(w, "  given history: what the summarizer was given, cut to the history budget, as counted with the summary")
	groups := make([]datasetRows, len(c.ByDataset))
	for i, d := range c.ByDataset {
		groups[i] = datasetRows{d.Dataset, mapRows(d.Kinds, contextRow)}
	}
	printTables(w, contextHeading, mapRows(c.Kinds, contextRow), groups)
}

// datasetRows are one dataset's rows of a table, each's cells
// tab-separated.
type datasetRows struct {
	dataset string
	rows    []string
}

// printTables writes a table of rows under heading (cells tab-separated),
// then, when there are groups, a table of every dataset's rows, the
// dataset in a column of its own.
func printTables(w io.Writer, heading string, rows []string, groups []datasetRows) {
	tw := table(w)
	fmt.Fprintln(tw, "  "+heading)
	for _, r := range rows {
		fmt.Fprintln(tw, "  "+r)
	}
	tw.Flush()
	if len(groups) == 0 {
		return
	}
	tw = table(w)
	fmt.Fprintln(tw, "  dataset\t"+heading)
	for _, g := range groups {
		for _, r := range g.rows {
			fmt.Fprintf(tw, "  %s\t%s\n", datasetName(g.dataset), r)
		}
	}
	tw.Flush()
}

// mapRows is each of xs as a table row.
func mapRows[T any](xs []T, row func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = row(x)
	}
	return out
}

const contextHeading = "summaries\tusers\tsummary tokens mean\tmedian\twhole history tokens mean\tmedian\twhole ÷ summary: ratio of means\tmedian ratio\tgiven history tokens mean\tmedian\testimated"

// contextRow is one kind's row of the context table, its cells
// tab-separated.
func contextRow(k eval.ContextKind) string {
	if k.Users == 0 {
		return fmt.Sprintf("%s\t0\t–\t–\t–\t–\t–\t–\t–\t–\t0", sanitize.Line(k.Kind))
	}
	return fmt.Sprintf("%s\t%d\t%.0f\t%.0f\t%.0f\t%.0f\t×%.1f\t×%.1f\t%.0f\t%.0f\t%d", sanitize.Line(k.Kind), k.Users, k.MeanSummaryTokens, k.MedianSummaryTokens,
		k.MeanHistoryTokens, k.MedianHistoryTokens, k.RatioOfMeans, k.MedianRatio, k.MeanGivenTokens, k.MedianGivenTokens, k.Estimated)
}

// datasetName is a dataset as a table shows it: users imported without
// one are "(none)".
func datasetName(d string) string {
	if d == "" {
		return "(none)"
	}
	return sanitize.Line(d)
}

// datasetsNote names the datasets a report was limited to (--dataset).
func datasetsNote(datasets []string) string {
	if len(datasets) == 0 {
		return ""
	}
	return ", datasets: " + sanitize.Names(datasets, 5)
}

func printLabels(w io.Writer, l eval.LabelReport) {
	fmt.Fprintf(w, "Human labels — %s (and %s)\n", plural(l.Decisions, "decision", "decisions"), plural(l.Skips, "skip", "skips"))
	if l.Decisions == 0 {
		return
	}
	tw := table(w)
	fmt.Fprintln(tw, "  candidate\tshown\twins\tlosses\tties\tboth bad\twin rate\t95% CI\tBradley–Terry θ\t95% CI")
	for _, c := range l.Candidates {
		bt, btCI := "–", strings.TrimSpace(c.Strength.Reason)
		if c.Strength.Estimable {
			bt, btCI = fmt.Sprintf("%+.2f", c.Strength.Theta), fmt.Sprintf("[%+.2f, %+.2f]", c.Strength.Low, c.Strength.High)
		}
		rate, ci := "–", "–"
		if c.Wins+c.Losses+c.Ties > 0 {
			rate, ci = pct(c.WinRate), interval(c.Low, c.High)
		}
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\n", sanitize.Line(c.Name), c.Decisions, c.Wins, c.Losses, c.Ties, c.BothBad, rate, ci, bt, btCI)
	}
	tw.Flush()
	tw = table(w)
	fmt.Fprintln(tw, "  annotator\tdecisions\tskips\tmedian time to decide\tagreement with the dataset")
	for _, a := range l.Annotators {
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%s\t%s\n", sanitize.Line(a.Annotator), a.Decisions, a.Skips, a.MedianDecisionTime.Round(100*time.Millisecond), agreement(a.Replay))
	}
	tw.Flush()
	fmt.Fprintf(w, "  agreement with the dataset's choice on replayed held-out pairs: %s\n", agreement(l.Replay))
	ia := l.InterAnnotator
	switch {
	case ia.Kappa != nil:
		name := map[string]string{eval.AgreementCohen: "Cohen's κ", eval.AgreementFleiss: "Fleiss' κ"}[ia.Method]
		fmt.Fprintf(w, "  inter-annotator agreement: %s = %.3f over %d items labeled by several (observed agreement %s)\n", name, *ia.Kappa, ia.Items, pct(ia.ObservedAgreement))
	case ia.Note != "":
		fmt.Fprintf(w, "  inter-annotator agreement: %s\n", sanitize.Line(ia.Note))
	default:
		fmt.Fprintf(w, "  inter-annotator agreement: no item labeled by two annotators yet\n")
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func agreement(r eval.ReplayAgreement) string {
	if r.Decisive == 0 {
		return "–"
	}
	return fmt.Sprintf("%d/%d = %s %s", r.Agree, r.Decisive, pct(r.Rate), interval(r.Low, r.High))
}
