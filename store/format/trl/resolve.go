package trl

import (
	"slices"
	"strconv"
	"strings"

	"github.com/popi-tui/popi-tui/store"
)

// selector chooses the decisions an export writes. It is shown every
// decision as the labels are read (note) and keeps the annotator and the
// verdict of each, as small numbers, in the 64 bits the store keeps with
// it; then it is given the current ones an item at a time (resolve), so
// that memory holds the annotators' and verdicts' names, not the
// decisions. Which decisions are current is the database's rule; which of
// them go into a training file is this export's.
type selector struct {
	opt        LabelExport
	rep        *ExportReport
	annotators intern
	verdicts   intern
	votes      map[uint32]int // resolve's, kept from item to item
}

// intern numbers the strings it is given, so that notes hold numbers.
type intern struct {
	ids   map[string]uint32
	names []string
}

func (in *intern) id(s string) uint32 {
	if id, ok := in.ids[s]; ok {
		return id
	}
	if in.ids == nil {
		in.ids = map[string]uint32{}
	}
	in.ids[s] = uint32(len(in.names))
	in.names = append(in.names, s)
	return in.ids[s]
}

// note keeps what resolve needs of a decision: its verdict (in terms of
// slots, interned, plus one) in the high 32 bits and its annotator
// (interned) in the low ones; 0 for a decision this export leaves out.
func (s *selector) note(_ int, d *store.Decision) uint64 {
	kept := len(s.opt.Annotators) == 0 || slices.Contains(s.opt.Annotators, d.Annotator)
	// Decisions between summaries are the summarizer's data: export
	// summaries --format pairs writes them.
	kept = kept && (!d.JudgesSummaries() || s.opt.Format == LabelsRaw)
	if !kept {
		return 0
	}
	verdict := s.verdicts.id(slotVerdict(d.Candidates, d.Verdict, d.Ranking))
	return uint64(verdict+1)<<32 | uint64(s.annotators.id(d.Annotator))
}

func noteVerdict(n uint64) uint32   { return uint32(n>>32) - 1 }
func noteAnnotator(n uint64) uint32 { return uint32(n) }

// resolve chooses, of one item's current decisions (those of the
// annotators asked for, in storage order), the ones an export writes, as
// opt.Resolve says, and counts what it considered, and the items it left
// out, in rep.
//
// Skips are not judgements: they never make a conflict and never outvote
// a decision. Under majority, newest or drop each item gives one decision:
// the newest of those that count (the majority's, the newest non-skip, the
// agreed one), or the newest skip when every annotator skipped.
func (s *selector) resolve(item []store.CurrentDecision) {
	skip := s.verdicts.id(store.VerdictSkip)
	if s.votes == nil {
		s.votes = map[uint32]int{}
	}
	clear(s.votes)
	for _, d := range item {
		s.rep.Decisions++
		s.rep.Annotators[s.annotators.names[noteAnnotator(d.Note)]]++
		if v := noteVerdict(d.Note); v != skip {
			s.votes[v]++
		}
	}
	if len(s.votes) > 1 {
		s.rep.ConflictingItems++
	}
	if newest := s.pick(item, skip); newest >= 0 {
		item[newest].Chosen = true
	} else if newest == pickAll {
		for i := range item {
			item[i].Chosen = true
		}
	}
}

// pickAll and pickNone are pick's answers other than a position.
const (
	pickAll  = -1
	pickNone = -2
)

// pick says which of the item's decisions is written: a position, or
// pickAll (--resolve all) or pickNone (a conflict left out, counted).
func (s *selector) pick(item []store.CurrentDecision, skip uint32) int {
	if s.opt.Resolve == "" || s.opt.Resolve == ResolveAll {
		return pickAll
	}
	counts := func(d *store.CurrentDecision) bool { return noteVerdict(d.Note) != skip }
	switch {
	case len(s.votes) == 0:
		counts = func(*store.CurrentDecision) bool { return true } // every annotator skipped
	case len(s.votes) > 1 && s.opt.Resolve == ResolveDrop:
		s.rep.LeftOut[LeftOutConflict]++
		return pickNone
	case len(s.votes) > 1 && s.opt.Resolve == ResolveMajority:
		winner, n := majority(s.votes)
		if n == 0 {
			s.rep.LeftOut[LeftOutConflict]++
			return pickNone
		}
		counts = func(d *store.CurrentDecision) bool { return noteVerdict(d.Note) == winner }
	}
	newest := pickNone
	for i := range item {
		if counts(&item[i]) && (newest < 0 || !item[i].DecidedAt.Before(item[newest].DecidedAt)) {
			newest = i
		}
	}
	return newest
}

// majority returns the verdict more than half the votes went to, and its
// count; the count is 0 when there is none.
func majority(votes map[uint32]int) (uint32, int) {
	total := 0
	for _, n := range votes {
		total += n
	}
	for v, n := range votes {
		if 2*n > total {
			return v, n
		}
	}
	return 0, 0
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
