package ui

import (
	"io"
	"testing"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
	"github.com/popi-tui/popi-tui/themes"
	"github.com/popi-tui/popi-tui/ui/uitest"
)

// newApp is the real root model over db with the offline engine and the
// demo's comparison (replayed answers), as `popi-tui demo` has it.
func newApp(t testing.TB, db *store.DB, annotator string) *App {
	t.Helper()
	e, spec := uitest.ReplayEngine(t, db)
	theme, err := themes.Lookup("dark")
	if err != nil {
		t.Fatal(err)
	}
	app := NewApp(Options{DB: db, Engine: e, Annotator: annotator, AppVersion: "test", Theme: theme, NoColor: true,
		Output: io.Discard, Compare: spec, Prefetch: 3})
	t.Cleanup(app.shutdown)
	return app
}

// demoApp is the root model over a fresh database of the demo users.
func demoApp(t testing.TB) (*App, *store.DB) {
	t.Helper()
	db := storetest.DemoDB(t)
	return newApp(t, db, "tester"), db
}
