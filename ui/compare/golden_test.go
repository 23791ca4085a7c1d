package compare

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

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

var goldenSizes = []struct{ w, h int }{{120, 40}, {80, 24}}

// goldenCompare is the first item over the demo data, with a saved
// session of a fixed seed so that the pane order is the same on every
// run; models makes the engine and the comparison.
func goldenCompare(t *testing.T, w, h int, models func(db *store.DB) (*engine.Engine, screen.CompareSpec)) string {
	t.Helper()
	db := storetest.DemoDB(t)
	e, spec := models(db)
	if err := db.PutSession(store.Session{Annotator: "golden", Compare: spec.Comparison(), Seed: 42}); err != nil {
		t.Fatal(err)
	}
	env, _ := openCompare(t, uitest.Options{DB: db, Engine: e, Compare: spec, Annotator: "golden", AppVersion: "test"}, w, h)
	return env.View()
}

func TestGoldenCompareTwoPanes(t *testing.T) {
	for _, sz := range goldenSizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			teatest.RequireEqualOutput(t, []byte(goldenCompare(t, sz.w, sz.h, func(db *store.DB) (*engine.Engine, screen.CompareSpec) {
				e := engine.New(db, engine.Config{}, engine.Options{})
				t.Cleanup(e.Close)
				spec, _ := screen.ParseCompare("", e, true)
				return e, spec
			})))
		})
	}
}

func TestGoldenCompareThreePanes(t *testing.T) {
	for _, sz := range goldenSizes {
		t.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(t *testing.T) {
			teatest.RequireEqualOutput(t, []byte(goldenCompare(t, sz.w, sz.h, func(db *store.DB) (*engine.Engine, screen.CompareSpec) {
				f := newCompareFakeServer(t, func(w http.ResponseWriter, r *http.Request, model string) {
					compareSSE(w, model, "## Answer from "+strings.TrimPrefix(model, "model-")+"\n\n", "Some **bold** advice ", "in two parts.\n\n- one\n- two\n")
				})
				e := engine.New(db, engine.Config{MaxAttempts: 1, Backends: []engine.BackendConfig{
					compareGenerator("alpha", f.srv.URL, "model-alpha"), compareGenerator("beta", f.srv.URL, "model-beta")}}, engine.Options{})
				t.Cleanup(e.Close)
				spec, err := screen.ParseCompare("alpha:none,beta:none,alpha:raw", e, false)
				if err != nil {
					t.Fatal(err)
				}
				return e, spec
			})))
		})
	}
}
