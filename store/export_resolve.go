package store

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// decisionRef is what choosing the decisions to export needs to know of
// one: memory holds these, not the labels.
type decisionRef struct {
	seq     uint64 // where the label is stored
	item    string // the item, whoever judged it
	verdict string // the decision, by slot: comparable between annotators
	at      time.Time
}

// selectDecisions lists, in storage order, the current decisions an
// export writes: those of the annotators asked for, with items that
// several annotators decided differently resolved as opt.Resolve says. It
// counts what it considered, and the items it left out, in rep.
//
// Skips are not judgements: they never make a conflict and never outvote
// a decision. Under majority, newest or drop each item gives one decision:
// the newest of those that count (the majority's, the newest non-skip, the
// agreed one), or the newest skip when every annotator skipped.
func selectDecisions(tx *bolt.Tx, opt LabelExport, rep *ExportReport) ([]uint64, error) {
	current, err := currentPerItem(tx)
	if err != nil {
		return nil, err
	}
	var refs []decisionRef
	err = tx.Bucket(bucketLabels).ForEach(func(k, v []byte) error {
		var l Label
		if err := json.Unmarshal(v, &l); err != nil {
			return fmt.Errorf("label %d: %w", decodeSeqKey(k), err)
		}
		if l.Kind != LabelDecision || current[l.ItemKey()] != l.ID {
			return nil
		}
		if len(opt.Annotators) > 0 && !slices.Contains(opt.Annotators, l.Annotator) {
			return nil
		}
		rep.Decisions++
		rep.Annotators[l.Annotator]++
		item := l.User + "\x00" + l.PromptID + "\x00" + Comparison(l.Candidates)
		refs = append(refs, decisionRef{seq: decodeSeqKey(k), item: item, verdict: slotVerdict(l), at: l.DecidedAt})
		return nil
	})
	if err != nil {
		return nil, err
	}
	byItem := map[string][]int{}
	var items []string // in the order first seen, for a stable result
	for i, r := range refs {
		if _, ok := byItem[r.item]; !ok {
			items = append(items, r.item)
		}
		byItem[r.item] = append(byItem[r.item], i)
	}
	var seqs []uint64
	for _, item := range items {
		group := byItem[item]
		votes := map[string]int{}
		for _, i := range group {
			if refs[i].verdict != VerdictSkip {
				votes[refs[i].verdict]++
			}
		}
		if len(votes) > 1 {
			rep.ConflictingItems++
		}
		if opt.Resolve == "" || opt.Resolve == ResolveAll {
			for _, i := range group {
				seqs = append(seqs, refs[i].seq)
			}
			continue
		}
		counts := func(r decisionRef) bool { return r.verdict != VerdictSkip }
		switch {
		case len(votes) == 0:
			counts = func(decisionRef) bool { return true } // every annotator skipped
		case len(votes) > 1 && opt.Resolve == ResolveDrop:
			rep.LeftOut[LeftOutConflict]++
			continue
		case len(votes) > 1 && opt.Resolve == ResolveMajority:
			winner, n := majority(votes)
			if n == 0 {
				rep.LeftOut[LeftOutConflict]++
				continue
			}
			counts = func(r decisionRef) bool { return r.verdict == winner }
		}
		newest := -1
		for _, i := range group {
			if counts(refs[i]) && (newest < 0 || !refs[i].at.Before(refs[newest].at)) {
				newest = i
			}
		}
		seqs = append(seqs, refs[newest].seq)
	}
	slices.Sort(seqs)
	return seqs, nil
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
func slotVerdict(l Label) string {
	slot := func(pane string) string {
		c, _ := l.Pane(pane)
		return strconv.Itoa(c.Slot)
	}
	switch {
	case len(l.Ranking) > 0:
		slots := make([]string, len(l.Ranking))
		for i, p := range l.Ranking {
			slots[i] = slot(p)
		}
		return "rank:" + strings.Join(slots, ",")
	case l.Verdict == VerdictTie, l.Verdict == VerdictBothBad, l.Verdict == VerdictSkip:
		return l.Verdict
	default:
		return "best:" + slot(l.Verdict)
	}
}
