package trl

// The labels exports' choice as it was before it went item by item over
// sorted runs (PR "labels-flat"): every decision noted in memory, then the
// current ones sorted by item and resolved. Kept as the reference the
// differential test holds the new path to (labels_diff_test.go).

import (
	"cmp"
	"hash/maphash"
	"slices"

	"github.com/popi-tui/popi-tui/store"
)

// refSelector chooses the decisions an export writes. It is shown every
// decision as the labels are read (note) and keeps a few words of each
// (the annotator and verdict as small numbers, a hash of the item, when
// it was decided), so that a million decisions cost tens of megabytes, not
// their heads; then it is given the current ones (choose).
type refSelector struct {
	opt        LabelExport
	rep        *ExportReport
	notes      []refNote // by label index; zero for labels never noted
	annotators intern
	verdicts   intern
}

// refNote is what refSelector keeps of a decision.
type refNote struct {
	item      [2]uint64 // user, prompt and comparison, hashed
	sec       int64     // DecidedAt
	nsec      int32
	verdict   uint32 // slotVerdict, interned
	annotator uint32 // interned
	kept      bool   // of an annotator asked for, and of a kind this format writes
}

// refItemSeeds key the items' hashes: two of a million items share one with
// a probability near 10⁻²⁷.
var refItemSeeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}

// note keeps what choose needs of decision i.
func (s *refSelector) note(i int, d *store.Decision) {
	for len(s.notes) <= i {
		s.notes = append(s.notes, refNote{})
	}
	kept := len(s.opt.Annotators) == 0 || slices.Contains(s.opt.Annotators, d.Annotator)
	// Decisions between summaries are the summarizer's data: export
	// summaries --format pairs writes them.
	kept = kept && (!d.JudgesSummaries() || s.opt.Format == LabelsRaw)
	if !kept {
		return
	}
	item := d.User + "\x00" + d.PromptID + "\x00" + store.Comparison(d.Candidates)
	s.notes[i] = refNote{item: [2]uint64{maphash.String(refItemSeeds[0], item), maphash.String(refItemSeeds[1], item)},
		sec: d.DecidedAt.Unix(), nsec: int32(d.DecidedAt.Nanosecond()), kept: true,
		verdict: s.verdicts.id(slotVerdict(d.Candidates, d.Verdict, d.Ranking)), annotator: s.annotators.id(d.Annotator)}
}

// choose lists, as label indexes and in that order, the decisions an
// export writes of the current ones (label indexes, oldest first): those
// of the annotators asked for, with items that several annotators decided
// differently resolved as opt.Resolve says. It counts what it considered,
// and the items it left out, in rep. Which decisions are current is the
// database's rule; which of them go into a training file is this export's.
//
// Skips are not judgements: they never make a conflict and never outvote
// a decision. Under majority, newest or drop each item gives one decision:
// the newest of those that count (the majority's, the newest non-skip, the
// agreed one), or the newest skip when every annotator skipped.
func (s *refSelector) choose(current []int) []int {
	var considered []int
	for _, i := range current {
		if i < len(s.notes) && s.notes[i].kept {
			considered = append(considered, i)
			s.rep.Decisions++
			s.rep.Annotators[s.annotators.names[s.notes[i].annotator]]++
		}
	}
	// Each item's decisions together, in storage order.
	slices.SortFunc(considered, func(a, b int) int {
		x, y := s.notes[a].item, s.notes[b].item
		if c := cmp.Compare(x[0], y[0]); c != 0 {
			return c
		}
		if c := cmp.Compare(x[1], y[1]); c != 0 {
			return c
		}
		return a - b
	})
	var out []int
	for start := 0; start < len(considered); {
		end := start + 1
		for end < len(considered) && s.notes[considered[end]].item == s.notes[considered[start]].item {
			end++
		}
		out = append(out, s.refResolveItem(considered[start:end])...)
		start = end
	}
	slices.Sort(out)
	return out
}

// refResolveItem picks the decisions of one item (group: label indexes) that
// an export writes.
func (s *refSelector) refResolveItem(group []int) []int {
	skip := s.verdicts.id(store.VerdictSkip)
	votes := map[uint32]int{}
	for _, i := range group {
		if v := s.notes[i].verdict; v != skip {
			votes[v]++
		}
	}
	if len(votes) > 1 {
		s.rep.ConflictingItems++
	}
	if s.opt.Resolve == "" || s.opt.Resolve == ResolveAll {
		return group
	}
	counts := func(i int) bool { return s.notes[i].verdict != skip }
	switch {
	case len(votes) == 0:
		counts = func(int) bool { return true } // every annotator skipped
	case len(votes) > 1 && s.opt.Resolve == ResolveDrop:
		s.rep.LeftOut[LeftOutConflict]++
		return nil
	case len(votes) > 1 && s.opt.Resolve == ResolveMajority:
		winner, n := majority(votes)
		if n == 0 {
			s.rep.LeftOut[LeftOutConflict]++
			return nil
		}
		counts = func(i int) bool { return s.notes[i].verdict == winner }
	}
	newest := -1
	for _, i := range group {
		if counts(i) && (newest < 0 || !s.notes[i].before(&s.notes[newest])) {
			newest = i
		}
	}
	return []int{newest}
}

// before reports whether n was decided before o.
func (n *refNote) before(o *refNote) bool {
	return n.sec < o.sec || (n.sec == o.sec && n.nsec < o.nsec)
}
