package summaries_test

import (
	"testing"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store/storetest"
	"github.com/popi-tui/popi-tui/ui/compare"
	"github.com/popi-tui/popi-tui/ui/screen"
	"github.com/popi-tui/popi-tui/ui/summaries"
	"github.com/popi-tui/popi-tui/ui/uitest"
	"github.com/popi-tui/popi-tui/ui/users"
)

// l on the Users screen starts labeling what --compare says: summaries
// side by side for a summaries spec, answers otherwise.
func TestLabelOpensTheScreenOfTheSpec(t *testing.T) {
	for spec, want := range map[string]string{"summaries:versions": "*summaries.Screen", "": "*compare.Screen"} {
		db := storetest.DemoDB(t)
		e := engine.New(db, engine.Config{}, engine.Options{})
		t.Cleanup(e.Close)
		c, err := screen.ParseCompare(spec, e, true)
		if err != nil {
			t.Fatal(err)
		}
		env := uitest.New(t, 100, 30, uitest.Options{DB: db, Engine: e, Compare: c,
			First: func(ctx *screen.Context) screen.Screen { return users.New(ctx) }})
		env.Press("l")
		var got string
		switch env.Top().(type) {
		case *summaries.Screen:
			got = "*summaries.Screen"
		case *compare.Screen:
			got = "*compare.Screen"
		}
		if got != want {
			t.Errorf("--compare %q: l opens %T, want %s", spec, env.Top(), want)
		}
	}
}
