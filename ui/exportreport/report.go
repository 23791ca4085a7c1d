// Package exportreport words what an export wrote and what it left out,
// and why: the lines `popi-tui export` prints on standard error and the
// Export screen shows after an export from the UI. It is a leaf of ui (it
// imports the exporters' reports and the sanitizer only), so that the
// command line uses it without importing a screen.
package exportreport

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/popi-tui/popi-tui/store/format/popi"
	"github.com/popi-tui/popi-tui/store/format/trl"
	"github.com/popi-tui/popi-tui/ui/sanitize"
)

// labelsLeftOut are the reasons a decision can give no rows in each format,
// in the order they are listed.
var labelsLeftOut = map[string][]string{
	trl.LabelsRaw: {trl.LeftOutConflict},
	trl.LabelsDPO: {trl.LeftOutTie, trl.LeftOutAllBad, trl.LeftOutSkipped, trl.LeftOutNoPrompt, trl.LeftOutNoAnswer, trl.LeftOutConflict},
	trl.LabelsKTO: {trl.LeftOutTie, trl.LeftOutSkipped, trl.LeftOutNoPrompt, trl.LeftOutNoAnswer, trl.LeftOutConflict},
}

// leftOutWords say each reason in a sentence.
var leftOutWords = map[string]string{
	trl.LeftOutTie:             "tie",
	trl.LeftOutAllBad:          "all bad",
	trl.LeftOutSkipped:         "skipped",
	trl.LeftOutNoPrompt:        "without the prompt sent",
	trl.LeftOutNoAnswer:        "with an answer missing",
	trl.LeftOutConflict:        "conflicting annotators",
	trl.LeftOutNoHistory:       "no history to build the prompt from",
	trl.LeftOutNothingReplaced: "no model summary replaced",
	trl.LeftOutNoSummary:       "without a summary",
	trl.LeftOutNoSummaryText:   "with a summary missing",
}

// Labels is a label export's report in format; asked are the annotators
// asked for (nil: all), each without a current decision named.
func Labels(r trl.ExportReport, format string, asked []string) []string {
	names := slices.Sorted(maps.Keys(r.Annotators))
	per := make([]string, len(names))
	for i, n := range names {
		per[i] = fmt.Sprintf("%s %d", sanitize.Line(n), r.Annotators[n])
	}
	head := fmt.Sprintf("labels (%s): %d row(s) from %d decision(s) of %d annotator(s)", format, r.Rows, r.Decisions, len(names))
	if len(per) > 0 {
		head += ": " + strings.Join(per, ", ")
	}
	lines := []string{head, "  left out: " + CountList(r.LeftOut, labelsLeftOut[format])}
	if r.ConflictingItems > 0 {
		how := "every decision is exported (--resolve majority, newest or drop gives one per item)"
		if r.Resolve != trl.ResolveAll {
			how = "resolved by " + r.Resolve
		}
		lines = append(lines, fmt.Sprintf("  %d item(s) decided differently by several annotators: %s", r.ConflictingItems, how))
	}
	for _, n := range asked {
		if r.Annotators[n] == 0 {
			lines = append(lines, fmt.Sprintf("  no current decisions by %q", sanitize.Line(n)))
		}
	}
	if format == trl.LabelsKTO {
		lines = append(lines, fmt.Sprintf("  rows shuffled with seed %d (--seed)", r.Seed))
	}
	return lines
}

// Summaries is a summary export's report in format.
func Summaries(r trl.SummaryReport, format string) []string {
	order := []string{trl.LeftOutNoHistory}
	if format == trl.SummariesPairs {
		order = append(order, trl.LeftOutNothingReplaced)
	}
	lines := []string{
		fmt.Sprintf("summaries (%s): %d row(s) from %d user(s) with a human-written summary", format, r.Rows, r.Users),
		"  left out: " + CountList(r.LeftOut, order),
	}
	if format == trl.SummariesPairs {
		lines = append(lines, fmt.Sprintf("  %d row(s) from %d decision(s) between summaries; left out: %s", r.DecisionRows, r.Decisions,
			CountList(r.DecisionsLeftOut, []string{trl.LeftOutTie, trl.LeftOutAllBad, trl.LeftOutSkipped, trl.LeftOutNoSummaryText, trl.LeftOutNoHistory})))
	}
	if r.RebuiltPrompts > 0 {
		lines = append(lines, fmt.Sprintf("  %d prompt(s) rebuilt from the history (no model summary input stored; prompt_source \"rebuilt\")", r.RebuiltPrompts))
	}
	return lines
}

// Users is a users export's report.
func Users(r popi.Report) []string {
	return []string{fmt.Sprintf("users (popi): %d record(s) of %d user(s)", r.Rows, r.Users)}
}

// Wrote is the last line of a report: where the rows went.
func Wrote(what, path string) string { return fmt.Sprintf("wrote %s to %s", what, sanitize.Line(path)) }

// CountList says counts in a fixed order: "1 tie, 0 skipped".
func CountList(counts map[string]int, order []string) string {
	parts := make([]string, len(order))
	for i, k := range order {
		parts[i] = fmt.Sprintf("%d %s", counts[k], leftOutWords[k])
	}
	return strings.Join(parts, ", ")
}
