package compare

// Reading a queue: the items of the users chosen (every user, some, a
// dataset's), the annotator's share of them in a team campaign, their
// decisions and skips, and their session. The screen reads it in a
// command; popi-tui queue lists it (ListQueue).

import (
	"fmt"
	"strings"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// NewFor makes Compare & label over a selection of users (l on the Users
// screen: those the filter shows; on the User screen: that user).
func NewFor(ctx *screen.Context, sel screen.Selection) *Screen {
	s := New(ctx)
	s.sel = sel
	return s
}

// Selection is whose items the screen queues.
func (s *Screen) Selection() screen.Selection { return s.sel }

// emptyText says why there is nothing to label: no user has what a
// comparison can ask of, or none of those chosen, or the annotator's
// share of a team's items is empty.
func (s *Screen) emptyText(what string) string {
	switch {
	case !s.sel.All():
		return fmt.Sprintf("Nothing to label: %s: no %s.", screen.Line(s.sel.Name), what)
	case len(s.ctx.Queue.Team) > 0:
		return fmt.Sprintf("Nothing to label: no %s goes to %s in the team's campaign.", what, screen.Line(s.ctx.Annotator))
	}
	return "Nothing to label: no user has " + what + ". popi-tui import FILE loads some."
}

// scope says, on the progress line, what the queue is when it is not
// every item: the users chosen, the annotator's share of a team's.
func (s *Screen) scope() string {
	var parts []string
	if !s.sel.All() {
		parts = append(parts, screen.Line(s.sel.Name))
	}
	if t := s.ctx.Queue; len(t.Team) > 0 {
		parts = append(parts, fmt.Sprintf("your share: each item to %d of %d", t.Overlap, len(t.Team)))
	}
	return strings.Join(parts, " · ")
}

// QueueOptions say whose queue it is, and of what.
type QueueOptions struct {
	Annotator string
	Compare   screen.CompareSpec
	Settings  screen.QueueSettings
	Select    screen.Selection
}

func (s *Screen) queueOptions() QueueOptions {
	return QueueOptions{Annotator: s.ctx.Annotator, Compare: s.ctx.Compare, Settings: s.ctx.Queue, Select: s.sel}
}

// queueData is what a session's queue is made of, read in one command.
type queueData struct {
	items   []queueItem    // the selection's items; with a team, the annotator's share of them
	labels  []store.Label  // the annotator's current decisions on them, oldest first
	skips   map[string]int // item key → skip decisions standing
	session store.Session
}

// readQueue reads an annotator's queue. Decisions between other
// candidates are other judgements: they neither mark an item done nor
// count for agreement here.
func readQueue(db *store.DB, opt QueueOptions) (queueData, error) {
	var d queueData
	if !opt.Settings.InTeam(opt.Annotator) {
		return d, opt.Settings.NotInTeam(opt.Annotator)
	}
	replayOnly, team := opt.Compare.ReplayOnly(), opt.Settings.Team
	each, err := signalsOf(db, opt.Select, replayOnly)
	if err != nil {
		return d, err
	}
	inQueue := map[string]bool{}
	if err := each(func(sig store.Signal) error {
		if it, ok := queueItemOf(sig, replayOnly); ok && inShare(team, opt.Settings.Overlap, opt.Annotator, it) {
			d.items = append(d.items, it)
			inQueue[it.key()] = true
		}
		return nil
	}); err != nil {
		return d, err
	}
	comparison := opt.Compare.Comparison()
	var skips skipTally
	err = db.AnnotatorLabels(opt.Annotator, comparison, func(l store.Label, current bool) error {
		if current && inQueue[itemKey(l.User, l.PromptID)] {
			d.labels = append(d.labels, l)
		}
		skips.add(l)
		return nil
	})
	if err != nil {
		return d, fmt.Errorf("decisions of %q: %w", opt.Annotator, err)
	}
	d.skips = skips.counts()
	var ok bool
	if d.session, ok, err = db.Session(opt.Annotator, comparison); err != nil {
		return d, err
	}
	if !ok {
		d.session = store.Session{Annotator: opt.Annotator, Compare: comparison}
	}
	if d.session.Seed == 0 {
		d.session.Seed = sessionSeed(opt.Annotator, comparison)
	}
	return d, nil
}

// signalsOf is how the selection's signals are read: every user's, or the
// chosen users' alone (one user's queue reads one user). Of every user,
// only the signals that make items are read (the signal index says which).
func signalsOf(db *store.DB, sel screen.Selection, replayOnly bool) (func(func(store.Signal) error) error, error) {
	users := sel.Users
	if sel.Dataset != "" {
		ids, err := db.DatasetUserIDs(sel.Dataset)
		if err != nil {
			return nil, err
		}
		if users != nil { // both: the dataset's users among those listed
			chosen := map[string]bool{}
			for _, u := range users {
				chosen[u] = true
			}
			kept := ids[:0]
			for _, id := range ids {
				if chosen[id] {
					kept = append(kept, id)
				}
			}
			ids = kept
		}
		users = append([]string{}, ids...) // not nil, even when empty: nil is everyone
	}
	if users == nil {
		queued := func(k store.Kind, sp store.Split) bool {
			_, ok := queueItemOf(store.Signal{Kind: k, Split: sp}, replayOnly)
			return ok
		}
		return func(fn func(store.Signal) error) error { return db.EachSignalWhere(queued, fn) }, nil
	}
	return func(fn func(store.Signal) error) error { return db.EachSignalOf(users, fn) }, nil
}

// skipTally counts, per item, an annotator's skips in a comparison that
// stand: not taken back (a retraction of a skip, or of a rationale added
// to it, takes the skip back). A skip with a rationale added is one skip.
// It is given their labels oldest first (store.AnnotatorLabels: the
// comparison's decisions and every retraction).
type skipTally struct {
	root   map[string]string // label id → the decision it amends, first of its line
	skipOf map[string]string // skip decision id → its item key
}

func (t *skipTally) add(l store.Label) {
	if t.root == nil {
		t.root, t.skipOf = map[string]string{}, map[string]string{}
	}
	switch {
	case l.Kind == store.LabelRetraction:
		delete(t.skipOf, rootOf(t.root, l.Retracts))
	case l.Kind != store.LabelDecision:
	case l.Amends != "":
		t.root[l.ID] = rootOf(t.root, l.Amends)
	case l.Verdict == store.VerdictSkip:
		t.skipOf[l.ID] = itemKey(l.User, l.PromptID)
	}
}

func (t *skipTally) counts() map[string]int {
	counts := map[string]int{}
	for _, k := range t.skipOf {
		counts[k]++
	}
	return counts
}

// rootOf follows amendments back to the decision they amend.
func rootOf(root map[string]string, id string) string {
	if r, ok := root[id]; ok {
		return r
	}
	return id
}

// queue makes the session's queue of what was read.
func (d queueData) queue(skips string) *queue {
	verdicts := make(map[string]string, len(d.labels))
	for _, l := range d.labels {
		verdicts[itemKey(l.User, l.PromptID)] = l.Verdict
	}
	return newQueue(d.items, skips, verdicts, d.skips)
}
