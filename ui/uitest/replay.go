package uitest

import (
	"testing"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// Replay starts an Env as `popi-tui demo` has it: the demo users (in
// opt.DB, else a new database), the offline engine and the demo's
// comparison, the held-out pairs' own responses replayed.
func Replay(t testing.TB, w, h int, opt Options) *Env {
	t.Helper()
	if opt.DB == nil {
		opt.DB = storetest.DemoDB(t)
	}
	opt.Engine, opt.Compare = ReplayEngine(t, opt.DB)
	return New(t, w, h, opt)
}

// ReplayEngine is the offline engine over db and the demo's comparison,
// for a test that starts its Env (or the whole program) itself.
func ReplayEngine(t testing.TB, db *store.DB) (*engine.Engine, screen.CompareSpec) {
	t.Helper()
	e := engine.New(db, engine.Config{}, engine.Options{})
	t.Cleanup(e.Close)
	spec, err := screen.ParseCompare("", e, true)
	if err != nil {
		t.Fatal(err)
	}
	return e, spec
}
