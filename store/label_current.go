package store

// The rule of labelMarks.current, worked out one item at a time over the
// merged runs (labelRuns.eachGroup): for each annotator and item, the
// newest decision (by DecidedAt, then storage order) that no retraction
// takes back and no label amends.
//
// A retraction or an amendment names its decision by id, and carries the
// same user, prompt, candidates and annotator (Label.Retraction copies
// them; an amendment is a copy of the decision with Amends set;
// ReplaceDecision refuses another item), so it lands in its decision's
// group. One that does not (a record written otherwise: by hand, or by a
// version that did not copy the candidates) is an orphan: a first pass
// finds the orphans, few or none, and the second withdraws them wherever
// they are. Label ids are unique (AddLabel makes a new one for each record,
// merge skips an id it holds), so the id an entry names is one decision's.
//
// A retraction also takes back what its decision amended; an amended
// decision is withdrawn anyway, so withdrawing every id named is the rule.

// orphansOf adds to orphans the ids the group's retractions and
// amendments name that are not among its decisions.
func orphansOf(group []labelEntry, orphans map[hash128]bool) {
	for i := range group {
		t := group[i].target
		if t == (hash128{}) {
			continue
		}
		found := false
		for j := range group {
			if group[j].kind == markDecision && group[j].id == t {
				found = true
				break
			}
		}
		if !found {
			orphans[t] = true
		}
	}
}

// currentIn appends to out the positions in group of its current
// decisions, in storage order. orphans are the ids withdrawn from other
// groups. A group is one item's labels: a few, so the searches are linear.
func currentIn(group []labelEntry, orphans map[hash128]bool, out []int) []int {
	withdrawn := func(id hash128) bool {
		if id == (hash128{}) {
			return false // a decision without an id: nothing can name it
		}
		if orphans[id] {
			return true
		}
		for i := range group {
			if group[i].target == id {
				return true
			}
		}
		return false
	}
	start := len(out)
	for i := range group {
		e := &group[i]
		if e.kind != markDecision || withdrawn(e.id) {
			continue
		}
		// The annotator's newest so far is replaced by a newer one, or by
		// one as new and stored later (entries come in storage order).
		replaced := false
		for j, k := range out[start:] {
			if n := &group[k]; n.annotator == e.annotator {
				if !n.afterEntry(e) {
					out[start+j] = i
				}
				replaced = true
				break
			}
		}
		if !replaced {
			out = append(out, i)
		}
	}
	sortInts(out[start:])
	return out
}

// afterEntry reports whether e was decided after o.
func (e *labelEntry) afterEntry(o *labelEntry) bool {
	return e.sec > o.sec || (e.sec == o.sec && e.nsec > o.nsec)
}

// sortInts sorts a few ints in place (insertion sort: the current
// decisions of one item, one per annotator).
func sortInts(a []int) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}
