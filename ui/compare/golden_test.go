package compare

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
	"github.com/popi-tui/popi-tui/ui/screen"
	"github.com/popi-tui/popi-tui/ui/uitest"
)

// Golden frames of the Compare screen, drawn in the program's frame at
// fixed sizes with colour off once every answer is in and rendered (every
// command has returned). Update them with
//
//	go test ./ui/compare -run Golden -update
//
// and read the diff before committing.

var goldenSizes = []struct{ w, h int }{{80, 24}, {120, 40}, {140, 40}}

// goldenCompare is the first item over the demo data, with a saved
// session of a fixed seed so that the pane order is the same on every
// run; models makes the engine and the comparison.
func goldenCompare(t *testing.T, w, h int, models func(db *store.DB) (*engine.Engine, screen.CompareSpec), keys ...string) string {
	t.Helper()
	db := storetest.DemoDB(t)
	e, spec := models(db)
	if err := db.PutSession(store.Session{Annotator: "golden", Compare: spec.Comparison(), Seed: 42}); err != nil {
		t.Fatal(err)
	}
	env, s := openCompare(t, uitest.Options{DB: db, Engine: e, Compare: spec, Annotator: "golden", AppVersion: "test"}, w, h)
	env.Press(keys...)
	// The same rate on every run, and the database's path (a new
	// temporary directory each run) under a fixed name, in the export
	// command.
	s.started, s.dbPath = time.Now().Add(-2*time.Hour), "/tmp/golden.db"
	return env.View()
}

// goldenReplay is the demo's comparison.
func goldenReplay(t *testing.T) func(db *store.DB) (*engine.Engine, screen.CompareSpec) {
	return func(db *store.DB) (*engine.Engine, screen.CompareSpec) {
		e := engine.New(db, engine.Config{}, engine.Options{})
		t.Cleanup(e.Close)
		spec, _ := screen.ParseCompare("", e, true)
		return e, spec
	}
}

// goldenThree is three candidates from a fake server.
func goldenThree(t *testing.T) func(db *store.DB) (*engine.Engine, screen.CompareSpec) {
	return func(db *store.DB) (*engine.Engine, screen.CompareSpec) {
		return fakeModels(t, db, "alpha:none,beta:none,alpha:raw", func(model string) []string {
			return []string{"## Answer from " + strings.TrimPrefix(model, "model-") + "\n\n", "Some **bold** advice ", "in two parts.\n\n- one\n- two\n"}
		})
	}
}

// goldenFrames checks the frames after keys at every golden size.
func goldenFrames(t *testing.T, models func(t *testing.T) func(db *store.DB) (*engine.Engine, screen.CompareSpec), keys ...string) {
	for _, sz := range goldenSizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			teatest.RequireEqualOutput(t, []byte(goldenCompare(t, sz.w, sz.h, models(t), keys...)))
		})
	}
}

func TestGoldenCompareTwoPanes(t *testing.T) { goldenFrames(t, goldenReplay) }

func TestGoldenCompareThreePanes(t *testing.T) { goldenFrames(t, goldenThree) }

// The item's rationale kept, under the prompt.
func TestGoldenCompareRationaleKept(t *testing.T) {
	goldenFrames(t, goldenReplay, append([]string{"c"}, append(strings.Split("too wordy", ""), "enter")...)...)
}

// The user's persona over the panes.
func TestGoldenComparePersona(t *testing.T) { goldenFrames(t, goldenReplay, "p") }

// A ranking being entered: b first, the next pane equal to it.
func TestGoldenCompareRanking(t *testing.T) { goldenFrames(t, goldenThree, "R", "2", "t") }

// The end of the queue: every demo item decided, the skipped one skipped
// again when it came back at the end.
func TestGoldenCompareEndOfQueue(t *testing.T) {
	goldenFrames(t, goldenReplay, "1", "2", "t", "x", "s", "1", "2", "1", "2", "1", "2", "s")
}
