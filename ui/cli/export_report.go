package cli

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store/format/popi"
	"github.com/popi-tui/popi-tui/store/format/printsafe"
	"github.com/popi-tui/popi-tui/store/format/trl"
	"github.com/popi-tui/popi-tui/ui/sanitize"
)

// exportReport is what an export says it wrote and left out: lines for a
// person, and the same as JSON fields.
type exportReport interface {
	text(format string) []string
	fields() any
}

// printExportReport writes the report on standard error: the rows stay
// alone on standard output.
func (c *runContext) printExportReport(what string, o *exportOptions, rep exportReport) {
	if o.json {
		obj := map[string]any{}
		raw, _ := json.Marshal(rep.fields())
		json.Unmarshal(raw, &obj)
		obj["export"], obj["format"], obj["output"] = what, o.format, o.out
		line, _ := json.Marshal(obj)
		c.eprintf("%s\n", printsafe.JSON(line)) // names from the data are printed exactly, and safely
		return
	}
	for _, l := range rep.text(o.format) {
		c.eprintf("%s\n", l)
	}
	if o.out != "-" {
		c.eprintf("wrote %s to %s\n", what, sanitize.Line(o.out))
	}
}

// labelsReport is a label export's report, with the annotators asked for.
type labelsReport struct {
	trl.ExportReport
	asked []string
}

func (r labelsReport) fields() any { return r.ExportReport }

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
}

func (r labelsReport) text(format string) []string {
	names := slices.Sorted(maps.Keys(r.Annotators))
	per := make([]string, len(names))
	for i, n := range names {
		per[i] = fmt.Sprintf("%s %d", sanitize.Line(n), r.Annotators[n])
	}
	head := fmt.Sprintf("labels (%s): %d row(s) from %d decision(s) of %d annotator(s)", format, r.Rows, r.Decisions, len(names))
	if len(per) > 0 {
		head += ": " + strings.Join(per, ", ")
	}
	lines := []string{head, "  left out: " + countList(r.LeftOut, labelsLeftOut[format])}
	if r.ConflictingItems > 0 {
		how := "every decision is exported (--resolve majority, newest or drop gives one per item)"
		if r.Resolve != trl.ResolveAll {
			how = "resolved by " + r.Resolve
		}
		lines = append(lines, fmt.Sprintf("  %d item(s) decided differently by several annotators: %s", r.ConflictingItems, how))
	}
	for _, n := range r.asked {
		if r.Annotators[n] == 0 {
			lines = append(lines, fmt.Sprintf("  no current decisions by %q", sanitize.Line(n)))
		}
	}
	if format == trl.LabelsKTO {
		lines = append(lines, fmt.Sprintf("  rows shuffled with seed %d (--seed)", r.Seed))
	}
	return lines
}

// countList says counts in a fixed order: "1 tie, 0 skipped".
func countList(counts map[string]int, order []string) string {
	parts := make([]string, len(order))
	for i, k := range order {
		parts[i] = fmt.Sprintf("%d %s", counts[k], leftOutWords[k])
	}
	return strings.Join(parts, ", ")
}

type summariesReport trl.SummaryReport

func (r summariesReport) fields() any { return trl.SummaryReport(r) }

func (r summariesReport) text(format string) []string {
	order := []string{trl.LeftOutNoHistory}
	if format == trl.SummariesPairs {
		order = append(order, trl.LeftOutNothingReplaced)
	}
	lines := []string{
		fmt.Sprintf("summaries (%s): %d row(s) from %d user(s) with a human-written summary", format, r.Rows, r.Users),
		"  left out: " + countList(r.LeftOut, order),
	}
	if r.RebuiltPrompts > 0 {
		lines = append(lines, fmt.Sprintf("  %d prompt(s) rebuilt from the history (no model summary input stored; prompt_source \"rebuilt\")", r.RebuiltPrompts))
	}
	return lines
}

type usersReport popi.Report

func (r usersReport) fields() any { return popi.Report(r) }

func (r usersReport) text(string) []string {
	return []string{fmt.Sprintf("users (popi): %d record(s) of %d user(s)", r.Rows, r.Users)}
}

// wording says whose template set worded a training export's prompts.
type wording struct {
	Backend     string `json:"backend"` // "" for the configuration's: no model backend has the role
	TemplateSet string `json:"template_set"`
}

func wordingOf(r engine.Renderer) wording {
	return wording{Backend: r.Backend(), TemplateSet: r.TemplateSet()}
}

func (w wording) text(role string) string {
	if w.Backend == "" {
		return fmt.Sprintf("  prompts worded by the configuration's template set %s (no model %s is configured)", sanitize.Line(w.TemplateSet), role)
	}
	return fmt.Sprintf("  prompts worded as %s %s words them: template set %s", role, sanitize.Line(w.Backend), sanitize.Line(w.TemplateSet))
}

// pairsReport is a pairs export's report, with its wording.
type pairsReport struct {
	trl.PairReport
	wording
}

func (r pairsReport) fields() any { return r }

// splitWords names the pairs of each split in a sentence.
var splitWords = map[string]string{trl.PairsHeldout: "held-out pair(s)", trl.PairsHistory: "history pair(s)", trl.PairsAll: "pair(s)"}

func (r pairsReport) text(format string) []string {
	lines := []string{
		fmt.Sprintf("pairs (%s): %d row(s) of %d user(s), from %d %s under the %s condition", format, r.Rows, r.Users, r.Pairs, splitWords[r.Split], r.Condition),
		r.wording.text("generator"),
		"  left out: " + countList(r.LeftOut, []string{trl.LeftOutNoSummary, trl.LeftOutNoHistory}),
	}
	if n := r.LeftOut[trl.LeftOutNoSummary]; n > 0 {
		lines = append(lines, fmt.Sprintf("  %d pair(s) of users without a summary: popi-tui infer makes them (or export --condition raw or none)", n))
	}
	if format == trl.PairsKTO {
		lines = append(lines, fmt.Sprintf("  rows shuffled with seed %d (--seed)", r.Seed))
	}
	return lines
}

// summarizerReport is a summarizer export's report, with its wording.
type summarizerReport struct {
	trl.SummarizerReport
	wording
}

func (r summarizerReport) fields() any { return r }

func (r summarizerReport) text(format string) []string {
	return []string{
		fmt.Sprintf("summarizer (%s): %d row(s) of %d user(s), one per held-out pair (%d)", format, r.Rows, r.Users, r.Pairs),
		r.wording.text("summarizer"),
		"  left out: " + countList(r.LeftOut, []string{trl.LeftOutNoHistory}),
	}
}
