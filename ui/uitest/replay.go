package uitest

import (
	"testing"

	"github.com/popi-tui/popi-tui/engine"
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
	e := engine.New(opt.DB, engine.Config{}, engine.Options{})
	t.Cleanup(e.Close)
	spec, err := screen.ParseCompare("", e, true)
	if err != nil {
		t.Fatal(err)
	}
	opt.Engine, opt.Compare = e, spec
	return New(t, w, h, opt)
}
