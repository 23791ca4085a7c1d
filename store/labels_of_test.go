package store_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	. "github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
)

// AnnotatorLabels passes exactly an annotator's decisions in a comparison
// and their retractions, oldest first, marked current as CurrentLabels
// says, through retractions, amendments, replacements, another annotator
// and another comparison on the same items.
func TestAnnotatorLabelsMatchReadingEverything(t *testing.T) {
	db := storetest.Open(t)
	storetest.Import(t, db, `{"user":"u","id":"p1","kind":"task","prompt":"x"}`+"\n")
	at := time.Date(2025, 3, 1, 11, 0, 0, 0, time.UTC)
	var kims []Label
	for i, annotator := range []string{"kim", "lee", "kim", "kim", "lee", "kim"} {
		l := storetest.Decision(annotator, "u", fmt.Sprintf("p%d", i%3), []string{"a", "b", VerdictSkip}[i%3])
		if i == 3 {
			l.Candidates = storetest.Candidates(3) // another comparison
		}
		l = storetest.AddLabel(t, db, l)
		if annotator == "kim" {
			kims = append(kims, l)
		}
	}
	storetest.AddLabel(t, db, kims[0].Retraction(at, "test"))
	amended := kims[1]
	amended.ID, amended.Amends, amended.Rationale = "", kims[1].ID, "on reflection"
	storetest.AddLabel(t, db, amended)
	next := kims[2]
	next.ID, next.Verdict = "", "b"
	if _, _, err := db.ReplaceDecision(kims[2], next, "test"); err != nil {
		t.Fatal(err)
	}

	for _, comparison := range []string{Comparison(storetest.Candidates(2)), Comparison(storetest.Candidates(3))} {
		current := map[string]bool{}
		if err := db.CurrentLabels(func(l Label) error { current[l.ID] = true; return nil }); err != nil {
			t.Fatal(err)
		}
		var want []string
		err := db.EachLabel(func(l Label) error {
			if l.Annotator == "kim" && (l.Kind == LabelRetraction || Comparison(l.Candidates) == comparison) {
				want = append(want, fmt.Sprint(l.ID, " ", l.Kind, " ", current[l.ID]))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		err = db.AnnotatorLabels("kim", comparison, func(l Label, cur bool) error {
			got = append(got, fmt.Sprint(l.ID, " ", l.Kind, " ", cur))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) || len(want) < 2 {
			t.Errorf("comparison %s:\n got %q\nwant %q", comparison, got, want)
		}
	}
}

// EachSignalWhere passes what EachSignal does of the kinds and splits it
// is asked for, in the same order.
func TestEachSignalWhereMatchesEachSignal(t *testing.T) {
	db := storetest.DemoDB(t)
	tests := []struct {
		name string
		only func(Kind, Split) bool
	}{
		{"held-out pairs", func(k Kind, s Split) bool { return k == KindPair && s == SplitHeldout }},
		{"tasks and held-out pairs", func(k Kind, s Split) bool { return k == KindTask || (k == KindPair && s == SplitHeldout) }},
		{"everything", func(Kind, Split) bool { return true }},
		{"nothing", func(Kind, Split) bool { return false }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var want, got []string
			err := db.EachSignal(func(s Signal) error {
				if tc.only(s.Kind, s.Split) {
					want = append(want, s.User+"/"+s.ID)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := db.EachSignalWhere(tc.only, func(s Signal) error { got = append(got, s.User+"/"+s.ID); return nil }); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("\n got %q\nwant %q", got, want)
			}
		})
	}
}
