package summaries

// What is judged, kept free of I/O and of Bubble Tea so that its rules
// (which summaries an item shows, in what order, what is done) are tested
// as plain functions.

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strings"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// item is one thing to judge: a user's summaries, one per candidate of
// the comparison (in slot order).
type item struct {
	User      string
	PromptID  string // store.SummaryItemID of the summaries
	Summaries []store.Summary
}

// key names an item in maps and in the session. User ids cannot contain
// NUL.
func (it item) key() string { return itemKey(it.User, it.PromptID) }

func itemKey(user, promptID string) string { return user + "\x00" + promptID }

// itemOf is the item a user's summary versions (oldest first) give under
// spec, if any: for summaries:versions the newest human edit up to the
// current version and what it replaced; otherwise the newest summary by
// each writer named. A user without one of them, or whose summaries say
// the same thing twice, has nothing to judge.
func itemOf(user string, versions []store.Summary, current int, spec screen.CompareSpec) (item, bool) {
	var picked []store.Summary
	if spec.Mode == screen.CompareVersions {
		human, replaced, ok := store.EditedPair(versions, current)
		if !ok {
			return item{}, false
		}
		picked = []store.Summary{replaced, human} // the order of the spec's candidates: model, human
	} else {
		for _, c := range spec.Candidates {
			s, ok := newestBy(versions, c.Backend)
			if !ok {
				return item{}, false
			}
			picked = append(picked, s)
		}
	}
	ids := make([]string, len(picked))
	texts := map[string]bool{}
	for i, s := range picked {
		t := strings.TrimSpace(s.Text)
		if texts[t] {
			return item{}, false
		}
		texts[t] = true
		ids[i] = s.ID
		// What the summarizer was sent is not shown here, and is most of a
		// model's record: a queue of a million users holds the texts only.
		picked[i].Messages, picked[i].Input = nil, ""
	}
	return item{User: user, PromptID: store.SummaryItemID(ids), Summaries: picked}, true
}

// newestBy is the newest version a writer wrote.
func newestBy(versions []store.Summary, writer string) (store.Summary, bool) {
	for i := len(versions) - 1; i >= 0; i-- {
		if store.SummaryBackend(versions[i]) == writer {
			return versions[i], true
		}
	}
	return store.Summary{}, false
}

// paneOrder shuffles n candidates for one item: order[pane] is the
// candidate's slot. It depends only on the annotator, the user and the
// comparison, so an item shows the same way whenever it is shown again (a
// resume, an undo, a new session), and two annotators see different
// orders; not on the summaries' ids, which are random.
func paneOrder(annotator, user, comparison string, n int) []int {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%s\x00%s", annotator, user, comparison)
	sum := h.Sum64()
	return rand.New(rand.NewPCG(sum, sum^0x9e3779b97f4a7c15)).Perm(n)
}

// queue is the items of a session in order (users in id order) and which
// the annotator has a current decision on: those are passed over, so a
// reopened session resumes and an item taken back is asked again.
type queue struct {
	items []item
	index map[string]int // item key → position
	done  map[string]bool
}

func newQueue(items []item, done map[string]bool) *queue {
	q := &queue{items: items, index: make(map[string]int, len(items)), done: map[string]bool{}}
	for i, it := range items {
		q.index[it.key()] = i
	}
	for k := range done {
		if _, ok := q.index[k]; ok {
			q.done[k] = true
		}
	}
	return q
}

func (q *queue) doneCount() int { return len(q.done) }

// setDone marks an item of the queue decided, or to be asked again.
func (q *queue) setDone(key string, done bool) {
	if _, ok := q.index[key]; !ok {
		return
	}
	if done {
		q.done[key] = true
	} else {
		delete(q.done, key)
	}
}

// next is the first item not done at or after position from, wrapping
// around (an item taken back earlier is not lost); -1 when all are done.
func (q *queue) next(from int) int {
	return screen.NextOpen(len(q.items), from, func(i int) bool { return q.done[q.items[i].key()] })
}

// resume is where a session picks up: after the last item it decided.
func (q *queue) resume(lastItem string) int {
	if i, ok := q.index[lastItem]; ok {
		return q.next(i + 1)
	}
	return q.next(0)
}

// verdictWords say the verdicts that are not a pane letter.
var verdictWords = map[string]string{store.VerdictTie: "tie", store.VerdictBothBad: "all bad", store.VerdictSkip: "skipped"}

// verdictText is how a verdict reads in the status line: never which
// summarizer a pane showed (the names are not revealed).
func verdictText(v string) string {
	if w, ok := verdictWords[v]; ok {
		return w
	}
	return "summary " + v + " best"
}
