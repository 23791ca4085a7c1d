package trl

import (
	"slices"
	"strconv"
	"strings"

	"github.com/popi-tui/popi-tui/store"
)

// selectDecisions lists, as indexes into current (the current decisions,
// oldest first) and in that order, the decisions an export writes: those
// of the annotators asked for, with items that several annotators decided
// differently resolved as opt.Resolve says. It counts what it considered,
// and the items it left out, in rep. Which decisions are current is the
// database's rule; which of them go into a training file is this export's.
//
// Skips are not judgements: they never make a conflict and never outvote
// a decision. Under majority, newest or drop each item gives one decision:
// the newest of those that count (the majority's, the newest non-skip, the
// agreed one), or the newest skip when every annotator skipped.
func selectDecisions(current []*store.Decision, opt LabelExport, rep *ExportReport) []int {
	verdicts := make([]string, len(current))
	byItem := map[string][]int{}
	var items []string // in the order first seen, for a stable result
	for i, h := range current {
		if len(opt.Annotators) > 0 && !slices.Contains(opt.Annotators, h.Annotator) {
			continue
		}
		if h.JudgesSummaries() && opt.Format != LabelsRaw {
			continue // the summarizer's data: export summaries --format pairs writes it
		}
		rep.Decisions++
		rep.Annotators[h.Annotator]++
		item := h.User + "\x00" + h.PromptID + "\x00" + store.Comparison(h.Candidates)
		if _, ok := byItem[item]; !ok {
			items = append(items, item)
		}
		byItem[item] = append(byItem[item], i)
		verdicts[i] = slotVerdict(h.Candidates, h.Verdict, h.Ranking)
	}
	var out []int
	for _, item := range items {
		if i, ok := resolveItem(current, verdicts, byItem[item], opt, rep); ok {
			out = append(out, i...)
		}
	}
	slices.Sort(out)
	return out
}

// resolveItem picks the decisions of one item (group: indexes into
// current) that an export writes.
func resolveItem(current []*store.Decision, verdicts []string, group []int, opt LabelExport, rep *ExportReport) ([]int, bool) {
	votes := map[string]int{}
	for _, i := range group {
		if v := verdicts[i]; v != store.VerdictSkip {
			votes[v]++
		}
	}
	if len(votes) > 1 {
		rep.ConflictingItems++
	}
	if opt.Resolve == "" || opt.Resolve == ResolveAll {
		return group, true
	}
	counts := func(i int) bool { return verdicts[i] != store.VerdictSkip }
	switch {
	case len(votes) == 0:
		counts = func(int) bool { return true } // every annotator skipped
	case len(votes) > 1 && opt.Resolve == ResolveDrop:
		rep.LeftOut[LeftOutConflict]++
		return nil, false
	case len(votes) > 1 && opt.Resolve == ResolveMajority:
		winner, n := majority(votes)
		if n == 0 {
			rep.LeftOut[LeftOutConflict]++
			return nil, false
		}
		counts = func(i int) bool { return verdicts[i] == winner }
	}
	newest := -1
	for _, i := range group {
		if counts(i) && (newest < 0 || !current[i].DecidedAt.Before(current[newest].DecidedAt)) {
			newest = i
		}
	}
	return []int{newest}, true
}

// majority returns the verdict more than half the votes went to, and its
// count; the count is 0 when there is none.
func majority(votes map[string]int) (string, int) {
	total := 0
	for _, n := range votes {
		total += n
	}
	for v, n := range votes {
		if 2*n > total {
			return v, n
		}
	}
	return "", 0
}

// slotVerdict writes a decision in terms of the candidates' slots in the
// comparison, not the shuffled panes, so that two annotators' decisions on
// one item compare: "best:1", "rank:2,0,1", or tie, both_bad, skip.
func slotVerdict(cands []store.Candidate, verdict string, ranking []string) string {
	slot := func(pane string) string {
		for _, c := range cands {
			if c.Pane == pane {
				return strconv.Itoa(c.Slot)
			}
		}
		return "?" + pane
	}
	switch {
	case len(ranking) > 0:
		ranks := make([]string, len(ranking))
		for i, g := range store.RankGroups(ranking) {
			slots := make([]string, len(g))
			for j, p := range g {
				slots[j] = slot(p)
			}
			slices.Sort(slots) // panes ranked equal are one rank whatever order they are named in
			ranks[i] = strings.Join(slots, store.RankTie)
		}
		return "rank:" + strings.Join(ranks, ",")
	case verdict == store.VerdictTie, verdict == store.VerdictBothBad, verdict == store.VerdictSkip:
		return verdict
	default:
		return "best:" + slot(verdict)
	}
}
