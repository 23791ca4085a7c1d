package cli

import (
	"encoding/json"
	"fmt"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store/format/popi"
	"github.com/popi-tui/popi-tui/store/format/printsafe"
	"github.com/popi-tui/popi-tui/store/format/trl"
	"github.com/popi-tui/popi-tui/ui/exportreport"
	"github.com/popi-tui/popi-tui/ui/sanitize"
)

// exportReport is what an export says it wrote and left out: lines for a
// person, and the same as JSON fields.
type exportReport interface {
	text(format string) []string
	fields() any
}

// printExportReport writes the report on standard error: the rows stay
// alone on standard output. The JSON report of an export to a file goes
// to standard output, as every command's --json does, since no rows are
// there.
func (c *runContext) printExportReport(what string, o *exportOptions, rep exportReport) {
	if o.json {
		obj := map[string]any{}
		raw, _ := json.Marshal(rep.fields())
		json.Unmarshal(raw, &obj)
		obj["export"], obj["format"], obj["output"] = what, o.format, o.out
		line, _ := json.Marshal(obj)
		to := c.Stderr
		if o.out != "-" {
			to = c.Stdout
		}
		fmt.Fprintf(to, "%s\n", printsafe.JSON(line)) // names from the data are printed exactly, and safely
		return
	}
	for _, l := range rep.text(o.format) {
		c.eprintf("%s\n", l)
	}
	if o.out != "-" {
		c.eprintf("%s\n", exportreport.Wrote(what, o.out))
	}
}

// labelsReport is a label export's report, with the annotators asked for.
type labelsReport struct {
	trl.ExportReport
	asked []string
}

func (r labelsReport) fields() any { return r.ExportReport }

func (r labelsReport) text(format string) []string {
	return exportreport.Labels(r.ExportReport, format, r.asked)
}

type summariesReport trl.SummaryReport

func (r summariesReport) fields() any { return trl.SummaryReport(r) }

func (r summariesReport) text(format string) []string {
	return exportreport.Summaries(trl.SummaryReport(r), format)
}

type usersReport popi.Report

func (r usersReport) fields() any { return popi.Report(r) }

func (r usersReport) text(string) []string { return exportreport.Users(popi.Report(r)) }

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
		"  left out: " + exportreport.CountList(r.LeftOut, []string{trl.LeftOutNoSummary, trl.LeftOutNoHistory}),
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
		"  left out: " + exportreport.CountList(r.LeftOut, []string{trl.LeftOutNoHistory}),
	}
}
