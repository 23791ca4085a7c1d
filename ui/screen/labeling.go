package screen

// What the labeling screens (Compare & label, Compare summaries) share:
// the decisions u takes back, the queue's next open item, and committing
// a label with the session.

import (
	"math/rand/v2"
	"slices"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/store"
)

// Undoable is the newest n of an annotator's decisions, oldest first (u
// takes back the last). Newest is by when they were made: after a merge,
// storage order is merge order.
func Undoable(labels []store.Label, n int) []store.Label {
	byTime := slices.Clone(labels)
	slices.SortStableFunc(byTime, func(a, b store.Label) int { return a.DecidedAt.Compare(b.DecidedAt) })
	return byTime[max(0, len(byTime)-n):]
}

// NextOpen is the first of n queue positions at or after from that is not
// done, wrapping around to the start (an item taken back earlier is not
// lost); -1 when every one is done.
func NextOpen(n, from int, done func(i int) bool) int {
	for k := range n {
		if i := (max(0, from) + k) % n; !done(i) {
			return i
		}
	}
	return -1
}

// CommitLabel is the command that stores l with the annotator's session
// in one transaction, on disk (fsync'd) when it returns; saved makes the
// screen's message of what was stored: the screen moves on only then.
func CommitLabel(db *store.DB, l store.Label, sess store.Session, saved func(stored store.Label, err error) tea.Msg) tea.Cmd {
	return func() tea.Msg { return saved(db.AddLabel(l, &sess)) }
}

// Decisions reads, from the database, an annotator's current decisions of
// one comparison (oldest first) and their session of it: the saved one,
// or a new one with a fresh pane-order seed. A decision between other
// candidates is another judgement: it is not this session's. current
// calls its function for every current decision it reads (db.CurrentLabels,
// or db.CurrentSummaryLabels when the comparison is of summaries).
func Decisions(current func(func(store.Label) error) error, db *store.DB, annotator, comparison string) ([]store.Label, store.Session, error) {
	var labels []store.Label
	err := current(func(l store.Label) error {
		if l.Annotator == annotator && store.Comparison(l.Candidates) == comparison {
			labels = append(labels, l)
		}
		return nil
	})
	if err != nil {
		return nil, store.Session{}, err
	}
	sess, ok, err := db.Session(annotator, comparison)
	if !ok || sess.Seed == 0 {
		sess = store.Session{Annotator: annotator, Compare: comparison, Seed: rand.Int64N(1<<62) + 1}
	}
	return labels, sess, err
}
