package store

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// selectDecisions lists, in storage order, the current decisions an
// export writes: those of the annotators asked for, with items that
// several annotators decided differently resolved as opt.Resolve says. It
// counts what it considered, and the items it left out, in rep.
//
// Skips are not judgements: they never make a conflict and never outvote
// a decision. Under majority, newest or drop each item gives one decision:
// the newest of those that count (the majority's, the newest non-skip, the
// agreed one), or the newest skip when every annotator skipped.
func selectDecisions(tx *bolt.Tx, opt LabelExport, rep *ExportReport) ([]*labelHead, error) {
	heads, err := labelHeads(tx)
	if err != nil {
		return nil, err
	}
	var refs []*labelHead
	verdicts := map[uint64]string{}
	byItem := map[string][]int{}
	var items []string // in the order first seen, for a stable result
	for _, i := range currentDecisions(heads) {
		h := &heads[i]
		if len(opt.Annotators) > 0 && !slices.Contains(opt.Annotators, h.Annotator) {
			continue
		}
		rep.Decisions++
		rep.Annotators[h.Annotator]++
		item := h.User + "\x00" + h.PromptID + "\x00" + Comparison(h.Candidates)
		if _, ok := byItem[item]; !ok {
			items = append(items, item)
		}
		byItem[item] = append(byItem[item], len(refs))
		verdicts[h.seq] = slotVerdict(h.Candidates, h.Verdict, h.Ranking)
		refs = append(refs, h)
	}
	var out []*labelHead
	for _, item := range items {
		group := byItem[item]
		votes := map[string]int{}
		for _, i := range group {
			if v := verdicts[refs[i].seq]; v != VerdictSkip {
				votes[v]++
			}
		}
		if len(votes) > 1 {
			rep.ConflictingItems++
		}
		if opt.Resolve == "" || opt.Resolve == ResolveAll {
			for _, i := range group {
				out = append(out, refs[i])
			}
			continue
		}
		counts := func(h *labelHead) bool { return verdicts[h.seq] != VerdictSkip }
		switch {
		case len(votes) == 0:
			counts = func(*labelHead) bool { return true } // every annotator skipped
		case len(votes) > 1 && opt.Resolve == ResolveDrop:
			rep.LeftOut[LeftOutConflict]++
			continue
		case len(votes) > 1 && opt.Resolve == ResolveMajority:
			winner, n := majority(votes)
			if n == 0 {
				rep.LeftOut[LeftOutConflict]++
				continue
			}
			counts = func(h *labelHead) bool { return verdicts[h.seq] == winner }
		}
		newest := -1
		for _, i := range group {
			if counts(refs[i]) && (newest < 0 || !refs[i].DecidedAt.Before(refs[newest].DecidedAt)) {
				newest = i
			}
		}
		out = append(out, refs[newest])
	}
	slices.SortFunc(out, func(a, b *labelHead) int { return cmp.Compare(a.seq, b.seq) })
	return out, nil
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
func slotVerdict(cands []Candidate, verdict string, ranking []string) string {
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
		slots := make([]string, len(ranking))
		for i, p := range ranking {
			slots[i] = slot(p)
		}
		return "rank:" + strings.Join(slots, ",")
	case verdict == VerdictTie, verdict == VerdictBothBad, verdict == VerdictSkip:
		return verdict
	default:
		return "best:" + slot(verdict)
	}
}
