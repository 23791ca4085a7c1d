package compare

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
	"github.com/popi-tui/popi-tui/ui/screen"
	"github.com/popi-tui/popi-tui/ui/uitest"
)

// openQueue opens Compare & label of the demo's comparison over a
// selection, under queue settings, as annotator.
func openQueue(t *testing.T, db *store.DB, annotator string, qs screen.QueueSettings, sel screen.Selection) (*uitest.Env, *Screen) {
	t.Helper()
	env := uitest.New(t, 120, 40, uitest.Options{DB: db, Compare: replaySpec(t, db), Annotator: annotator, AppVersion: "test-1"})
	env.Ctx.Queue = qs
	s := NewFor(env.Ctx, sel)
	env.Open(s)
	if !s.loaded {
		t.Fatal("compare screen not loaded")
	}
	return env, s
}

// paneOrders is each item's pane order (the candidates' slots, pane a
// first) as the screen would show it.
func paneOrders(s *Screen) []string {
	var out []string
	for pos := range s.q.len() {
		var slots []string
		for _, p := range s.item(pos).panes {
			slots = append(slots, fmt.Sprint(p.slot))
		}
		out = append(out, strings.Join(slots, ""))
	}
	return out
}

// Issue 11 §6: an item left undecided shows its answers in the same panes
// when it is reopened, before any decision saved the session; another
// annotator sees them in another order.
func TestComparePaneOrderStableOnReopen(t *testing.T) {
	db := storetest.DemoDB(t)
	hs, s := openQueue(t, db, "kim", screen.QueueSettings{}, screen.Selection{})
	first := paneOrders(s)
	hs.Press("q")
	if _, ok, _ := db.Session("kim", s.ctx.Compare.Comparison()); ok {
		t.Fatal("a session was saved without a decision: the test tests nothing")
	}
	_, again := openQueue(t, db, "kim", screen.QueueSettings{}, screen.Selection{})
	if got := paneOrders(again); !slices.Equal(got, first) {
		t.Errorf("pane orders after reopening %v, were %v", got, first)
	}
	_, lee := openQueue(t, db, "lee", screen.QueueSettings{}, screen.Selection{})
	if slices.Equal(paneOrders(lee), first) {
		t.Errorf("lee sees every item in kim's order: %v", first)
	}
}

// Issue 11 §7: under skips = "again" a skipped item comes back once, after
// every other item; the end of the queue counts it as skipped. Under
// "final" it does not come back.
func TestCompareSkipComesBackOnce(t *testing.T) {
	for _, skips := range []string{engine.SkipsAgain, engine.SkipsFinal} {
		t.Run(skips, func(t *testing.T) {
			db := storetest.DemoDB(t)
			hs, s := openQueue(t, db, "kim", screen.QueueSettings{Skips: skips}, screen.Selection{})
			hs.Press("s")
			for range len(compareDemoQueue) - 1 {
				hs.Press("1")
			}
			if skips == engine.SkipsFinal {
				if s.current() != nil || s.q.tally().Skipped != 1 {
					t.Fatalf("the skip came back under final: %s, %+v", compareCurrentItem(s), s.q.tally())
				}
				return
			}
			if got := compareCurrentItem(s); got != compareDemoQueue[0] {
				t.Fatalf("after the last item: %s, want the skipped %s", got, compareDemoQueue[0])
			}
			if v := hs.View(); !strings.Contains(v, "10/11 done") {
				t.Errorf("progress with the skip back:\n%s", v)
			}
			// Reopened in the second round, it is still there.
			hs.Press("q")
			hs2, s2 := openQueue(t, db, "kim", screen.QueueSettings{Skips: skips}, screen.Selection{})
			if got := compareCurrentItem(s2); got != compareDemoQueue[0] {
				t.Fatalf("reopened at %s, want the skipped %s", got, compareDemoQueue[0])
			}
			hs2.Press("s")
			if s2.current() != nil || s2.q.tally() != (QueueTally{Items: 11, Done: 11, Decided: 10, Skipped: 1}) {
				t.Errorf("after the second skip: %s, %+v", compareCurrentItem(s2), s2.q.tally())
			}
			// And it does not come back a third time.
			_, s3 := openQueue(t, db, "kim", screen.QueueSettings{Skips: skips}, screen.Selection{})
			if s3.current() != nil {
				t.Errorf("a third time: %s", compareCurrentItem(s3))
			}
		})
	}
}

// Issue 11 §10: a session over chosen users queues their items only.
func TestCompareSelectionQueue(t *testing.T) {
	db := storetest.DemoDB(t)
	hs, s := openQueue(t, db, "kim", screen.QueueSettings{}, screen.Selection{Users: []string{"terse-tom", "bullet-ben"}, Name: "2 users"})
	if got := queueKeys(s.q.items); !slices.Equal(got, []string{"bullet-ben/ho1", "bullet-ben/ho2", "terse-tom/ho1"}) {
		t.Fatalf("queue %v", got)
	}
	if v := hs.View(); !strings.Contains(v, "0/3 done · 2 users") {
		t.Errorf("progress over the selection:\n%s", v)
	}
	hs.Press("1", "1", "1")
	if s.current() != nil || len(compareCurrentLabels(t, db)) != 3 {
		t.Errorf("3 decisions end the selection's queue: current %s", compareCurrentItem(s))
	}
}

// Issue 11 §14: with a team, the queue is the annotator's share and the
// progress counts it; someone outside the team is told so.
func TestCompareTeamShare(t *testing.T) {
	db := storetest.DemoDB(t)
	team := screen.QueueSettings{Team: []string{"kim", "lee", "max"}, Overlap: 2}
	hs, s := openQueue(t, db, "lee", team, screen.Selection{})
	var want []string
	for _, k := range compareDemoQueue {
		user, prompt, _ := strings.Cut(k, "/")
		if slices.Contains(assignees(team.Team, 2, user, prompt), "lee") {
			want = append(want, k)
		}
	}
	if got := queueKeys(s.q.items); !slices.Equal(got, want) {
		t.Fatalf("lee's queue %v, want %v", got, want)
	}
	if v := hs.View(); !strings.Contains(v, fmt.Sprintf("0/%d done · your share: each item to 2 of 3", len(want))) {
		t.Errorf("progress over lee's share:\n%s", v)
	}
	env := uitest.New(t, 120, 40, uitest.Options{DB: db, Compare: replaySpec(t, db), Annotator: "zed"})
	env.Ctx.Queue = team
	zed := New(env.Ctx)
	env.Open(zed)
	if zed.loadErr == nil || !strings.Contains(env.View(), `annotator "zed" is not in the team`) {
		t.Errorf("someone outside the team: %v\n%s", zed.loadErr, env.View())
	}
}

// An empty queue says why: the users chosen have nothing to label.
func TestCompareEmptySelectionSaysWhy(t *testing.T) {
	db := storetest.DemoDB(t)
	hs, _ := openQueue(t, db, "kim", screen.QueueSettings{}, screen.Selection{Dataset: "elix", Name: "dataset elix"})
	uitest.WantIn(t, hs.View(), "Nothing to label: dataset elix: no held-out pairs")
}

// A skip replaced from the Decisions screen by a verdict is decided: it
// does not come back at the end of the queue.
func TestCompareReplacedSkipDoesNotComeBack(t *testing.T) {
	db := storetest.DemoDB(t)
	hs, s := openQueue(t, db, "kim", screen.QueueSettings{}, screen.Selection{Users: []string{"bullet-ben"}})
	hs.Press("s")
	replaceFirst(t, hs, db, store.VerdictTie)
	hs.Press("1")
	if s.current() != nil || s.q.tally() != (QueueTally{Items: 2, Done: 2, Decided: 2, Ties: 1}) {
		t.Errorf("after the skip was replaced by a tie: at %s, %+v", compareCurrentItem(s), s.q.tally())
	}
}

// replaceFirst replaces the first current decision by one of verdict, as
// the Decisions screen does, and tells the screens.
func replaceFirst(t *testing.T, hs *uitest.Env, db *store.DB, verdict string) {
	t.Helper()
	old := compareCurrentLabels(t, db)[0]
	l := old
	l.ID, l.Verdict = "", verdict
	_, replaced, err := db.ReplaceDecision(old, l, "test")
	if err != nil {
		t.Fatal(err)
	}
	hs.Send(screen.LabelReplacedMsg{Old: old, New: replaced})
	hs.Settle()
}
