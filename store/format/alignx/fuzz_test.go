package alignx_test

import (
	"testing"

	"github.com/popi-tui/popi-tui/store/format/alignx"
	"github.com/popi-tui/popi-tui/store/format/formattest"
	"github.com/popi-tui/popi-tui/store/signal"
)

// FuzzAlignXRecord: the AlignX parser never panics; what it accepts is a
// user with exactly one held-out pair and valid signals, named the same
// way every time.
func FuzzAlignXRecord(f *testing.F) {
	for _, s := range []string{
		`{"prompt":"p","chosen":"c","rejected":"r","ground_truth_persona":"g","profile":"pr","Pair-wise Comparative Feedback":[{"prompt":"a","chosen":"b","rejected":"c"},{"prompt":"a","chosen":"b","rejected":"c"}]}`,
		`{"prompt":"p","chosen":"c","rejected":"r","Demographic Information":"d","User-Generated Content":[{"prompt":"q","comment":"w","Preference Direction":[0,0.5,1]},"bare"],"Preference Direction":[1]}`,
		`{"prompt":"p","chosen":"c","rejected":"r","user_id":42}`,
		`{"prompt":"p","chosen":"c"}`,
		`{"prompt":"p","chosen":"c","rejected":"r","Pair-wise Comparative Feedback":null,"profile":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		u, err := alignx.Parse(data)
		if err != nil {
			return
		}
		if why := signal.CheckID(u.ID); why != "" {
			t.Fatalf("user id %q %s", u.ID, why)
		}
		held, ids := 0, map[string]bool{}
		for i := range u.Signals {
			s := &u.Signals[i]
			if s.User != u.ID {
				t.Fatalf("signal of user %q in user %q", s.User, u.ID)
			}
			if ids[s.ID] {
				t.Fatalf("two signals with id %q", s.ID)
			}
			ids[s.ID] = true
			formattest.CheckSignal(t, s)
			if s.Kind == signal.KindPair && s.Split == signal.SplitHeldout {
				held++
			}
		}
		if held != 1 {
			t.Fatalf("%d held-out pairs, want 1", held)
		}
		again, err := alignx.Parse(data)
		if err != nil || again.ID != u.ID {
			t.Fatalf("parsing twice gave %q then %q (%v)", u.ID, again.ID, err)
		}
	})
}
