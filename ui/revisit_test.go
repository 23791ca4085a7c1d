package ui

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/compare"
	"github.com/popi-tui/popi-tui/ui/decisions"
	"github.com/popi-tui/popi-tui/ui/export"
	"github.com/popi-tui/popi-tui/ui/uitest"
	"github.com/popi-tui/popi-tui/ui/users"
)

// D and E open the Decisions and Export screens from the Users screen,
// once however often pressed; while the filter is typed into they are
// text.
func TestDecisionsAndExportKeysFromUsers(t *testing.T) {
	app, _ := demoApp(t)
	p := uitest.Drive(t, app, 100, 30)
	p.Press("D", "D")
	if _, ok := app.frame.Top().(*decisions.Screen); !ok || app.frame.Depth() != 2 {
		t.Fatalf("D D: top %T, %d screens", app.frame.Top(), app.frame.Depth())
	}
	uitest.WantIn(t, p.View(), "No decisions of yours in this comparison yet")
	p.Press("E", "E")
	if _, ok := app.frame.Top().(*export.Screen); !ok || app.frame.Depth() != 3 {
		t.Fatalf("E E: top %T, %d screens", app.frame.Top(), app.frame.Depth())
	}
	p.Press("q", "q")
	if _, ok := app.frame.Top().(*users.Screen); !ok {
		t.Fatalf("q q: top %T", app.frame.Top())
	}
	p.Press("/", "D", "E")
	if _, ok := app.frame.Top().(*users.Screen); !ok {
		t.Fatalf("D and E in the filter: top %T", app.frame.Top())
	}
	uitest.WantIn(t, p.View(), "/DE")
	p.Press("esc", "?")
	uitest.WantIn(t, p.View(), "your decisions", "export")
}

// From Compare, D lists the decisions just made; one is replaced, and
// Compare is where esc comes back to. The Stats screen under them has
// the replacement counted when it shows again.
func TestRevisitFromCompareKeepsStatsCurrent(t *testing.T) {
	app, db := demoApp(t)
	p := uitest.Drive(t, app, 120, 40)
	p.Press("S", "q", "l", "1", "1", "S")
	uitest.WantIn(t, p.View(), "Human labels — 2 decisions (and 0 skips)")
	p.Press("q")
	if _, ok := app.frame.Top().(*compare.Screen); !ok {
		t.Fatalf("top %T, want Compare", app.frame.Top())
	}
	p.Press("S", "D") // Stats stays open under the list
	uitest.WantIn(t, p.View(), "2 of 2", "bullet-ben", "beginner-bea", "a best")
	p.Press("enter", "s")
	uitest.WantIn(t, p.View(), "Your verdict: skipped", "replaced a best with skipped on bullet-ben · ho1")
	var retractions int
	db.EachLabel(func(l store.Label) error {
		if l.Kind == store.LabelRetraction {
			retractions++
		}
		return nil
	})
	if retractions != 1 {
		t.Errorf("%d retractions stored, want the replaced decision's", retractions)
	}
	p.Press("esc")
	uitest.WantIn(t, p.View(), "2 of 2", "skipped")
	p.Press("esc")
	uitest.WantIn(t, p.View(), "Human labels — 1 decision (and 1 skip)")
	p.Press("q")
	if _, ok := app.frame.Top().(*compare.Screen); !ok {
		t.Fatalf("top %T, want Compare", app.frame.Top())
	}
}

// E from Compare exports the labels made so far, the program still
// running (the database is this process's), and the Stats screen is
// unchanged by it.
func TestExportFromCompare(t *testing.T) {
	app, _ := demoApp(t)
	p := uitest.Drive(t, app, 120, 40)
	p.Press("l", "1", "2", "t", "E")
	s, ok := app.frame.Top().(*export.Screen)
	if !ok {
		t.Fatalf("E: top %T", app.frame.Top())
	}
	path := filepath.Join(t.TempDir(), "out.jsonl")
	p.Press("down", "down")
	if !s.Typing() {
		t.Fatal("the file's row is not typed into")
	}
	for range len("labels-dpo.jsonl") {
		p.Press("backspace")
	}
	p.Press(path, "enter")
	uitest.WantIn(t, p.View(), "labels (dpo): 2 row(s) from 3 decision(s) of 1 annotator(s): tester 3", "1 tie", "wrote labels to")
	if b, err := os.ReadFile(path); err != nil || len(b) == 0 {
		t.Fatalf("exported file: %v", err)
	}
	p.Press("esc", "S")
	uitest.WantIn(t, p.View(), "Human labels — 3 decisions (and 0 skips)")
}
