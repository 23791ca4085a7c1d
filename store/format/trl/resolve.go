package trl

import (
	"cmp"
	"hash/maphash"
	"slices"
	"strconv"
	"strings"

	"github.com/popi-tui/popi-tui/store"
)

// selector chooses the decisions an export writes. It is shown every
// decision as the labels are read (note) and keeps a few words of each
// (the annotator and verdict as small numbers, a hash of the item, when
// it was decided), so that a million decisions cost tens of megabytes, not
// their heads; then it is given the current ones (choose).
type selector struct {
	opt        LabelExport
	rep        *ExportReport
	notes      []decisionNote // by label index; zero for labels never noted
	annotators intern
	verdicts   intern
}

// decisionNote is what selector keeps of a decision.
type decisionNote struct {
	item      [2]uint64 // user, prompt and comparison, hashed
	sec       int64     // DecidedAt
	nsec      int32
	verdict   uint32 // slotVerdict, interned
	annotator uint32 // interned
	kept      bool   // of an annotator asked for, and of a kind this format writes
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

// itemSeeds key the items' hashes: two of a million items share one with
// a probability near 10⁻²⁷.
var itemSeeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}

// note keeps what choose needs of decision i.
func (s *selector) note(i int, d *store.Decision) {
	for len(s.notes) <= i {
		s.notes = append(s.notes, decisionNote{})
	}
	kept := len(s.opt.Annotators) == 0 || slices.Contains(s.opt.Annotators, d.Annotator)
	// Decisions between summaries are the summarizer's data: export
	// summaries --format pairs writes them.
	kept = kept && (!d.JudgesSummaries() || s.opt.Format == LabelsRaw)
	if !kept {
		return
	}
	item := d.User + "\x00" + d.PromptID + "\x00" + store.Comparison(d.Candidates)
	s.notes[i] = decisionNote{item: [2]uint64{maphash.String(itemSeeds[0], item), maphash.String(itemSeeds[1], item)},
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
func (s *selector) choose(current []int) []int {
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
		out = append(out, s.resolveItem(considered[start:end])...)
		start = end
	}
	slices.Sort(out)
	return out
}

// resolveItem picks the decisions of one item (group: label indexes) that
// an export writes.
func (s *selector) resolveItem(group []int) []int {
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
func (n *decisionNote) before(o *decisionNote) bool {
	return n.sec < o.sec || (n.sec == o.sec && n.nsec < o.nsec)
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
