package compare

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
	"github.com/popi-tui/popi-tui/ui/screen"
	"github.com/popi-tui/popi-tui/ui/uitest"
)

// replaySpec is the demo's comparison.
func replaySpec(t testing.TB, db *store.DB) screen.CompareSpec {
	_, spec := uitest.ReplayEngine(t, db)
	return spec
}

func queueKeys(items []queueItem) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.User+"/"+it.PromptID)
	}
	return out
}

// Which items a queue holds: the users chosen, their dataset, the
// annotator's share of a team's.
func TestReadQueueSelection(t *testing.T) {
	db := storetest.DemoDB(t)
	spec := replaySpec(t, db)
	tests := []struct {
		name string
		opt  QueueOptions
		want []string // nil: the whole demo queue
		err  string
	}{
		{name: "everyone", opt: QueueOptions{}},
		{name: "two users, in id order", opt: QueueOptions{Select: screen.Selection{Users: []string{"terse-tom", "bullet-ben", "nobody"}}},
			want: []string{"bullet-ben/ho1", "bullet-ben/ho2", "terse-tom/ho1"}},
		{name: "a filter showing nobody", opt: QueueOptions{Select: screen.Selection{Users: []string{}}}, want: []string{}},
		{name: "the demo's dataset", opt: QueueOptions{Select: screen.Selection{Dataset: store.DemoDataset}}},
		{name: "a dataset among the users listed", opt: QueueOptions{Select: screen.Selection{Dataset: store.DemoDataset, Users: []string{"terse-tom"}}},
			want: []string{"terse-tom/ho1"}},
		{name: "an unknown dataset", opt: QueueOptions{Select: screen.Selection{Dataset: "elix"}}, want: []string{}},
		{name: "not in the team", opt: QueueOptions{Annotator: "zed", Settings: screen.QueueSettings{Team: []string{"kim", "lee"}, Overlap: 1}},
			err: `annotator "zed" is not in the team of [ui] team (kim, lee)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.opt.Annotator == "" {
				tt.opt.Annotator = "kim"
			}
			tt.opt.Compare = spec
			d, err := readQueue(db, tt.opt)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			if want == nil {
				want = compareDemoQueue
			}
			if got := queueKeys(d.items); !slices.Equal(got, want) && (len(got) > 0 || len(want) > 0) {
				t.Errorf("items %v, want %v", got, want)
			}
		})
	}
}

// Each annotator of a team of three with overlap 2 gets their share; every
// item is in exactly two queues, the same ones whatever the team's order.
func TestReadQueueTeamShares(t *testing.T) {
	db := storetest.DemoDB(t)
	spec := replaySpec(t, db)
	in := map[string][]string{}
	for _, team := range [][]string{{"kim", "lee", "max"}, {"max", "kim", "lee"}} {
		for _, a := range team {
			d, err := readQueue(db, QueueOptions{Annotator: a, Compare: spec, Settings: screen.QueueSettings{Team: team, Overlap: 2}})
			if err != nil {
				t.Fatal(err)
			}
			if len(d.items) == 0 || len(d.items) == len(compareDemoQueue) {
				t.Errorf("%s's share is %d of %d items", a, len(d.items), len(compareDemoQueue))
			}
			for _, k := range queueKeys(d.items) {
				if !slices.Contains(in[k], a) {
					in[k] = append(in[k], a)
				}
			}
		}
	}
	for _, k := range compareDemoQueue {
		if len(in[k]) != 2 {
			t.Errorf("%s is in the queues of %v, want 2 of them", k, in[k])
		}
	}
}

// The skips standing: a skip taken back does not count, nor does one whose
// rationale was taken back; a skip with a rationale counts once; another
// annotator's and another comparison's do not count.
func TestSkipTally(t *testing.T) {
	db := storetest.Open(t)
	storetest.Import(t, db, `{"user":"u","id":"p1","kind":"task","prompt":"x"}`+"\n")
	add := func(l store.Label) store.Label { return storetest.AddLabel(t, db, l) }
	skip := func(annotator, prompt string) store.Label {
		return add(storetest.Decision(annotator, "u", prompt, store.VerdictSkip))
	}
	at := time.Date(2025, 3, 1, 11, 0, 0, 0, time.UTC)
	skip("kim", "p1")
	s2 := skip("kim", "p1")
	amended := s2
	amended.ID, amended.Amends, amended.Rationale = "", s2.ID, "unsure"
	add(amended)
	gone := skip("kim", "p2")
	add(gone.Retraction(at, "test"))
	withWhy := skip("kim", "p3")
	why := withWhy
	why.ID, why.Amends, why.Rationale = "", withWhy.ID, "later"
	why = add(why)
	add(why.Retraction(at, "test"))
	skip("lee", "p4")
	other := storetest.Decision("kim", "u", "p5", store.VerdictSkip)
	other.Candidates = storetest.Candidates(3)
	add(other)
	add(storetest.Decision("kim", "u", "p6", "a"))

	var tally skipTally
	err := db.AnnotatorLabels("kim", store.Comparison(storetest.Candidates(2)), func(l store.Label, _ bool) error {
		tally.add(l)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got := tally.counts()
	if want := map[string]int{itemKey("u", "p1"): 2}; !maps.Equal(got, want) {
		t.Errorf("skip counts %v, want %v", got, want)
	}
}
