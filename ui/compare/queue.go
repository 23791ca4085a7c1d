package compare

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strings"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// The labeling queue, kept free of I/O and of Bubble Tea so that its rules
// (what is asked, in what order, where a session resumes, how the panes are
// shuffled, how agreement is counted) are tested as plain functions.

// queueItem is one thing to judge: a user's prompt (a task, or a held-out
// pair's prompt).
type queueItem struct {
	User     string
	PromptID string
	Prompt   string
	Heldout  bool // a held-out pair: the dataset has its own choice
}

// itemKey is how an item is named in maps, in the session (LastItem) and
// in stream messages. User and signal ids cannot contain NUL.
func itemKey(user, promptID string) string { return user + "\x00" + promptID }

func (it queueItem) key() string { return itemKey(it.User, it.PromptID) }

// queueItemOf says whether a signal is something to label: a task, or a
// held-out pair. A comparison of replayed answers only can answer held-out
// pairs (the replay generator has nothing to say about a task).
func queueItemOf(s store.Signal, replayOnly bool) (queueItem, bool) {
	switch {
	case s.Kind == store.KindPair && s.Split == store.SplitHeldout:
		return queueItem{User: s.User, PromptID: s.ID, Prompt: s.Prompt, Heldout: true}, true
	case s.Kind == store.KindTask && !replayOnly:
		return queueItem{User: s.User, PromptID: s.ID, Prompt: s.Prompt}, true
	}
	return queueItem{}, false
}

// queue is every item of a session in order (users in id order, each
// user's prompts in import order) and which of them the annotator has a
// current decision on. Done items are passed over, which is how reopening
// resumes: nothing is asked twice, and an item taken back is asked again.
type queue struct {
	items []queueItem
	index map[string]int // item key → position
	done  map[string]bool
	nDone int
}

// newQueue makes a queue; done holds the keys of decided items (keys of
// items not in the queue are ignored).
func newQueue(items []queueItem, done map[string]bool) *queue {
	q := &queue{items: items, index: make(map[string]int, len(items)), done: map[string]bool{}}
	for i, it := range items {
		q.index[it.key()] = i
	}
	for k, d := range done {
		q.setDone(k, d)
	}
	return q
}

func (q *queue) len() int       { return len(q.items) }
func (q *queue) doneCount() int { return q.nDone }

// setDone marks an item decided (or, undone, to be asked again).
func (q *queue) setDone(key string, done bool) {
	if _, ok := q.index[key]; !ok || q.done[key] == done {
		return
	}
	if done {
		q.done[key] = true
		q.nDone++
	} else {
		delete(q.done, key)
		q.nDone--
	}
}

func (q *queue) isDone(i int) bool { return q.done[q.items[i].key()] }

// next is the first item not done at or after position from, wrapping
// around to the start (an item taken back earlier in the queue is not
// lost); -1 when every item is done.
func (q *queue) next(from int) int {
	n := len(q.items)
	if n == 0 {
		return -1
	}
	from = ((from % n) + n) % n
	for k := range n {
		if i := (from + k) % n; !q.isDone(i) {
			return i
		}
	}
	return -1
}

// resume is where a session picks up: the first item not done after the
// last one it decided, or from the start for a new session.
func (q *queue) resume(lastItem string) int {
	if i, ok := q.index[lastItem]; ok {
		return q.next(i + 1)
	}
	return q.next(0)
}

// upcoming lists the positions of the n items not done that come after
// cur (not wrapping past it): the ones to prefetch.
func (q *queue) upcoming(cur, n int) []int {
	if cur < 0 || n <= 0 {
		return nil
	}
	var out []int
	for k := 1; k < len(q.items) && len(out) < n; k++ {
		if i := (cur + k) % len(q.items); !q.isDone(i) {
			out = append(out, i)
		}
	}
	return out
}

// before is the key of the item preceding position i ("" for the first):
// after an undo the session records it as the last item, so a reopened
// session starts at the item taken back.
func (q *queue) before(i int) string {
	if i <= 0 || i > len(q.items) {
		return ""
	}
	return q.items[i-1].key()
}

// paneOrder shuffles n candidates for one item: order[pane] is the
// candidate's slot. It depends only on the session's seed and the item,
// so a redraw, a resize or an undo never reshuffles what was shown.
func paneOrder(seed int64, key string, n int) []int {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d\x00%s", seed, key)
	sum := h.Sum64()
	r := rand.New(rand.NewPCG(sum, sum^0x9e3779b97f4a7c15))
	return r.Perm(n)
}

// agreement counts, over decisions on replayed held-out pairs, the
// decisive ones (a pane named best) and those whose best pane showed the
// response the dataset chose.
func agreement(labels []store.Label) (agree, decisive int) {
	for _, l := range labels {
		a, d := l.AgreesWithDataset()
		if d {
			decisive++
			if a {
				agree++
			}
		}
	}
	return agree, decisive
}

// revealLine names what each pane showed, for after the decision:
// "a = vllm (summary), b = llama (none)". Backend names only (the models
// are in the label): the line must fit the status bar with four panes.
func revealLine(cands []store.Candidate) string {
	parts := make([]string, len(cands))
	for i, c := range cands {
		what := c.Condition
		if c.Replay != "" {
			what = c.Replay
		}
		parts[i] = fmt.Sprintf("%s = %s (%s)", c.Pane, screen.Line(c.Backend), what)
	}
	return strings.Join(parts, ", ")
}

// verdictText is how a verdict reads in the status line.
func verdictText(v string) string {
	switch v {
	case store.VerdictTie:
		return "tie"
	case store.VerdictBothBad:
		return "all bad"
	case store.VerdictSkip:
		return "skipped"
	}
	return v + " best"
}
