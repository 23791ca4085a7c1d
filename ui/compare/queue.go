package compare

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strings"

	"github.com/popi-tui/popi-tui/engine"
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
// user's prompts in import order) and this annotator's current decision on
// each. Decided items are passed over, which is how reopening resumes:
// nothing is asked twice, and an item taken back is asked again. Under
// skips = "again" an item skipped once comes back after every other item
// (the second round, in queue order); a second skip is final.
type queue struct {
	items   []queueItem
	keys    []string          // items[i].key(), made once: the queue is walked on every decision
	index   map[string]int    // item key → position
	skips   string            // engine.SkipsAgain or SkipsFinal
	verdict map[string]string // item key → the current decision's verdict
	skipped map[string]int    // item key → the skips standing (not taken back)
	t       QueueTally        // kept as items change: drawn on every frame
}

// An item's state in the queue.
type itemState int

const (
	statePending itemState = iota // never decided (or taken back): the first round
	stateAgain                    // skipped once, skips = "again": the second round
	stateDone
)

// verdictRanked stands for a ranking's verdict in the queue: a ranked
// decision has no Verdict (store.Label.Ranking), but it is a decision.
const verdictRanked = "ranked"

// newQueue makes a queue; verdicts holds the current decision of decided
// items and skips how many skips of each stand (from the labels: a skip
// taken back does not count). Keys of items not in the queue are ignored.
func newQueue(items []queueItem, skips string, verdicts map[string]string, skipCounts map[string]int) *queue {
	q := &queue{items: items, keys: make([]string, len(items)), index: make(map[string]int, len(items)), skips: skips,
		verdict: map[string]string{}, skipped: map[string]int{}, t: QueueTally{Items: len(items)}}
	for i, it := range items {
		q.keys[i] = it.key()
		q.index[q.keys[i]] = i
	}
	for k, n := range skipCounts {
		if _, ok := q.index[k]; ok && n > 0 {
			q.skipped[k] = n
		}
	}
	for k, v := range verdicts {
		if _, ok := q.index[k]; ok {
			q.verdict[k] = cmp.Or(v, verdictRanked)
		}
	}
	for _, k := range q.keys {
		q.add(k, 1)
	}
	return q
}

func (q *queue) len() int       { return len(q.items) }
func (q *queue) doneCount() int { return q.t.Done }

// state is where an item stands: a skip is final under skips = "final",
// and the second time under "again".
func (q *queue) state(key string) itemState {
	switch v := q.verdict[key]; {
	case v == "":
		return statePending
	case v == store.VerdictSkip && q.skips != engine.SkipsFinal && q.skipped[key] < 2:
		return stateAgain
	}
	return stateDone
}

// decided records a decision committed on an item ("" for a ranking).
func (q *queue) decided(key, verdict string) {
	if _, ok := q.index[key]; !ok {
		return
	}
	q.add(key, -1)
	q.verdict[key] = cmp.Or(verdict, verdictRanked)
	if verdict == store.VerdictSkip {
		q.skipped[key]++
	}
	q.add(key, 1)
}

// undone records a decision taken back (its verdict): the item is asked
// again.
func (q *queue) undone(key, verdict string) {
	if _, ok := q.index[key]; !ok {
		return
	}
	q.add(key, -1)
	delete(q.verdict, key)
	if verdict == store.VerdictSkip && q.skipped[key] > 0 {
		q.skipped[key]--
	}
	q.add(key, 1)
}

// replaced records a decision replaced from the Decisions screen
// (screen.LabelReplacedMsg): the old one taken back, the new one current.
func (q *queue) replaced(old, new store.Label) {
	q.undone(itemKey(old.User, old.PromptID), old.Verdict)
	q.decided(itemKey(new.User, new.PromptID), new.Verdict)
}

// doneKey reports whether an item is decided for good (not asked again).
func (q *queue) doneKey(key string) bool { return q.state(key) == stateDone }

func (q *queue) isDone(i int) bool { return q.state(q.keys[i]) == stateDone }

// visit calls fn with the positions of the items still to ask, in the
// order they are asked: the first round from position from, wrapping
// around to the start (an item taken back earlier in the queue is not
// lost), then the second round from the start; until fn returns false.
func (q *queue) visit(from int, fn func(i int) bool) {
	n := len(q.items)
	if n == 0 {
		return
	}
	from = ((from % n) + n) % n
	for k := range n {
		if i := (from + k) % n; q.state(q.keys[i]) == statePending && !fn(i) {
			return
		}
	}
	for i := range n {
		if q.state(q.keys[i]) == stateAgain && !fn(i) {
			return
		}
	}
}

// next is the item to ask at or after position from (see visit); -1 when
// every item is done.
func (q *queue) next(from int) int {
	next := -1
	q.visit(from, func(i int) bool {
		next = i
		return false
	})
	return next
}

// resume is where a session picks up: the first item not done after the
// last one it decided, or from the start for a new session.
func (q *queue) resume(lastItem string) int {
	if i, ok := q.index[lastItem]; ok {
		return q.next(i + 1)
	}
	return q.next(0)
}

// upcoming lists the positions of the n items asked after cur (in the
// order next takes them, cur left out): the ones to prefetch.
func (q *queue) upcoming(cur, n int) []int {
	if cur < 0 || n <= 0 {
		return nil
	}
	var out []int
	q.visit(cur+1, func(i int) bool {
		if i != cur {
			out = append(out, i)
		}
		return len(out) < n
	})
	return out
}

// before is the key of the item preceding position i ("" for the first):
// after an undo the session records it as the last item, so a reopened
// session starts at the item taken back.
func (q *queue) before(i int) string {
	if i <= 0 || i > len(q.items) {
		return ""
	}
	return q.keys[i-1]
}

// QueueTally counts the queue's items by where they stand, for the
// progress line and the end of the queue.
type QueueTally struct {
	Items   int // in this annotator's queue (their share, with a team)
	Done    int // decided for good
	Decided int // done with a verdict that is not a skip
	Ties    int
	AllBad  int
	Skipped int // done as skipped: with skips = "again", skipped twice
	Again   int // skipped once, to be asked again at the end
	Left    int // never decided (or taken back)
}

// tally counts the items: at the end of the queue Skipped is how many
// were skipped (for good). The end-of-queue summary reads it.
func (q *queue) tally() QueueTally { return q.t }

// add adds an item, as it stands now, to the tally (n = 1) or takes it
// out (n = -1).
func (q *queue) add(key string, n int) {
	t := &q.t
	switch q.state(key) {
	case statePending:
		t.Left += n
		return
	case stateAgain:
		t.Again += n
		return
	}
	t.Done += n
	switch q.verdict[key] {
	case store.VerdictSkip:
		t.Skipped += n
	case store.VerdictTie:
		t.Ties += n
		t.Decided += n
	case store.VerdictBothBad:
		t.AllBad += n
		t.Decided += n
	default:
		t.Decided += n
	}
}

// paneOrder shuffles n candidates for one item: order[pane] is the
// candidate's slot. It depends only on the session's seed and the item,
// so a redraw, a resize or an undo never reshuffles what was shown.
// A new session's seed is sessionSeed's, so the order of an item is the
// same on every reopening (and every copy of the database) even before
// the session is first saved.
func paneOrder(seed int64, key string, n int) []int {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d\x00%s", seed, key)
	sum := h.Sum64()
	r := rand.New(rand.NewPCG(sum, sum^0x9e3779b97f4a7c15))
	return r.Perm(n)
}

// sessionSeed is the pane-order seed of an annotator's new session of a
// comparison: drawn from their names, not at random, so an item left
// undecided shows its answers in the same panes when it is reopened, and
// two annotators of a team see an item's answers in different orders.
func sessionSeed(annotator, comparison string) int64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%s", annotator, comparison)
	return int64(h.Sum64()>>2) + 1 // positive and not 0, as Session.Seed is when set
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
