package store

import (
	"hash/maphash"
	"slices"
)

// Working out which decisions are current needs, of each label, its
// storage order, its id, its item, when it was decided and what it takes
// back or amends. labelMarks keeps that much, hashed: 48 bytes a label,
// where a head with its candidates is several hundred, so that an export
// of a million labels holds marks, not heads. The ids and items are
// 128-bit hashes: two of a million items share one with a probability
// near 10⁻²⁷.

// hash128 is a 128-bit hash of a string; the zero value stands for "".
type hash128 [2]uint64

// markSeeds key the hashes: a process's marks are compared with each
// other only.
var markSeeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}

func hashOf(s string) hash128 {
	if s == "" {
		return hash128{}
	}
	return hash128{maphash.String(markSeeds[0], s), maphash.String(markSeeds[1], s)}
}

// Kinds of mark.
const (
	markOther      = iota // neither: a kind this version does not know
	markDecision          // LabelDecision
	markRetraction        // LabelRetraction
)

// labelMark is what the rule needs of one label.
type labelMark struct {
	id, item hash128 // item: itemKey, for decisions
	sec      int64   // DecidedAt: seconds and nanoseconds (UnixNano
	nsec     int32   // is undefined for the zero time)
	kind     uint8
}

// after reports whether m was decided after o.
func (m *labelMark) after(o *labelMark) bool {
	return m.sec > o.sec || (m.sec == o.sec && m.nsec > o.nsec)
}

// labelMarks are the marks of every label, in storage order, with what
// the retractions and amendments name (few, beside the decisions).
type labelMarks struct {
	marks    []labelMark
	retracts []hash128           // the ids the retractions take back
	amends   map[hash128]hash128 // a label that amends another → that one
}

// add marks the next label.
func (m *labelMarks) add(h *labelHead) {
	k := labelMark{id: hashOf(h.ID), sec: h.DecidedAt.Unix(), nsec: int32(h.DecidedAt.Nanosecond())}
	switch {
	case h.Kind == LabelRetraction:
		k.kind = markRetraction
		m.retracts = append(m.retracts, hashOf(h.Retracts))
	case h.Amends != "":
		if m.amends == nil {
			m.amends = map[hash128]hash128{}
		}
		m.amends[k.id] = hashOf(h.Amends)
	}
	if h.Kind == LabelDecision {
		k.kind = markDecision
		k.item = hashOf(h.itemKey())
	}
	m.marks = append(m.marks, k)
}

// current lists, oldest first, the indexes of the current decisions: for
// each annotator and item, the newest decision neither taken back nor
// amended. A retraction takes back the decision it names and the ones
// that decision amended (undoing a decision to which a rationale was
// added undoes the decision, not just the rationale). Newest is by
// DecidedAt, then by storage order: after a merge, storage order is merge
// order, and which decision counts must not depend on who merged whom.
func (m *labelMarks) current() []int {
	withdrawn := map[hash128]bool{}
	for _, id := range m.retracts {
		for ; id != (hash128{}) && !withdrawn[id]; id = m.amends[id] {
			withdrawn[id] = true
		}
	}
	for _, amended := range m.amends {
		withdrawn[amended] = true // replaced by the decision that amends it
	}
	var live []int
	for i := range m.marks {
		if k := &m.marks[i]; k.kind == markDecision && !withdrawn[k.id] {
			live = append(live, i)
		}
	}
	// Each item's decisions together, oldest first: the last of each is
	// current.
	slices.SortFunc(live, func(a, b int) int {
		x, y := &m.marks[a], &m.marks[b]
		switch {
		case x.item != y.item:
			return compareHash(x.item, y.item)
		case x.after(y):
			return 1
		case y.after(x):
			return -1
		}
		return a - b
	})
	out := live[:0]
	for j, i := range live {
		if j+1 == len(live) || m.marks[live[j+1]].item != m.marks[i].item {
			out = append(out, i)
		}
	}
	slices.Sort(out)
	return out
}

func compareHash(a, b hash128) int {
	switch {
	case a[0] != b[0]:
		if a[0] < b[0] {
			return -1
		}
		return 1
	case a[1] < b[1]:
		return -1
	case a[1] > b[1]:
		return 1
	}
	return 0
}
