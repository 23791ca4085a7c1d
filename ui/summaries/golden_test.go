package summaries

import (
	"fmt"
	"testing"

	"github.com/charmbracelet/x/exp/teatest"

	"github.com/popi-tui/popi-tui/store/storetest"
)

// Golden frames of the Compare summaries screen, drawn in the program's
// frame at fixed sizes with colour off once the queue is read. The pane
// order depends on the annotator, the user and the comparison only, so it
// is the same on every run. Update them with
//
//	go test ./ui/summaries -run Golden -update
//
// and read the diff before committing.

var goldenSizes = []struct{ w, h int }{{80, 24}, {140, 40}}

// TestGoldenSummaries draws the first item, and (History) its user's
// history open over it.
func TestGoldenSummaries(t *testing.T) {
	for _, keys := range [][]string{nil, {"h"}} {
		for _, sz := range goldenSizes {
			name := fmt.Sprintf("%dx%d", sz.w, sz.h)
			if len(keys) > 0 {
				name = "History/" + name
			}
			t.Run(name, func(t *testing.T) {
				db := storetest.DemoDB(t)
				fxSummaries(t, db)
				env, _ := openSummaries(t, db, "summaries:alpha,beta", "golden", sz.w, sz.h)
				env.Press(keys...)
				teatest.RequireEqualOutput(t, []byte(env.View()))
			})
		}
	}
}
