package ui

import (
	"bytes"
	"regexp"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
)

// itemLine is the line that names the item on screen.
var itemLine = regexp.MustCompile(`User [^ ]+ · held-out pair [^ ]+`)

// The labeling flow end to end, through the real program (the Bubble Tea
// loop of teatest) on the demo data: label 5 items, undo one, quit; open
// the same database again: the 4 labels are there and the session resumes
// at the item taken back.
func TestEndToEndLabelUndoQuitResume(t *testing.T) {
	db := storetest.DemoDB(t)
	open := func() (*teatest.TestModel, *App) {
		app := newApp(t, db, "e2e")
		tm := teatest.NewTestModel(t, app, teatest.WithInitialTermSize(120, 40))
		waitText(t, tm, "Users")
		return tm, app
	}
	// current reads the item on screen, waiting for the frame to show one
	// whose answers are whole: a decision key is refused while one still
	// streams, and the test would then wait for an item that never comes.
	current := func(tm *teatest.TestModel, app *App, after string) string {
		t.Helper()
		var item string
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
			m := itemLine.FindAllIndex(b, -1)
			if len(m) == 0 {
				return false
			}
			last := m[len(m)-1]
			item = string(b[last[0]:last[1]])
			return item != after && answersWhole(b[last[1]:])
		}, teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
		return item
	}

	// decide presses 1 on item and waits for the next; a press while an
	// answer is still coming in is refused with a notice (on a loaded
	// machine the replayed answers can take a while), and is pressed
	// again.
	decide := func(tm *teatest.TestModel, item string) string {
		t.Helper()
		var next string
		for try := 0; next == ""; try++ {
			if try == 20 {
				t.Fatalf("1 on %q never moved on", item)
			}
			tm.Send(keyRunes("1"))
			teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
				if m := itemLine.FindAll(b, -1); len(m) > 0 && string(m[len(m)-1]) != item {
					next = string(m[len(m)-1])
					return true
				}
				return bytes.Contains(b, []byte("still coming in"))
			}, teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
		}
		return next
	}

	tm, app := open()
	tm.Send(keyRunes("l"))
	seen := []string{current(tm, app, "")}
	for len(seen) < 5 {
		seen = append(seen, decide(tm, lastOf(seen)))
	}
	sixth := decide(tm, seen[4])
	if sixth == seen[4] {
		t.Fatal("no sixth item")
	}
	tm.Send(keyRunes("u")) // takes back the 5th decision: its item comes back
	if back := current(tm, app, sixth); back != seen[4] {
		t.Fatalf("after undo the screen shows %q, want %q", back, seen[4])
	}
	tm.Send(keyRunes("q"))
	waitText(t, tm, "Users")
	tm.Send(keyRunes("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))

	var current4 []store.Label
	if err := db.CurrentLabels(func(l store.Label) error { current4 = append(current4, l); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(current4) != 4 {
		t.Fatalf("%d current labels after 5 decisions and an undo, want 4", len(current4))
	}
	for i, l := range current4 {
		if l.Annotator != "e2e" || l.Verdict != "a" || itemLine.FindString("User "+l.User+" · held-out pair "+l.PromptID) != seen[i] {
			t.Errorf("label %d: %s/%s verdict %s by %s; want the item %q", i, l.User, l.PromptID, l.Verdict, l.Annotator, seen[i])
		}
	}

	// Reopen: labeling resumes at the item taken back.
	tm, app = open()
	tm.Send(keyRunes("l"))
	if got := current(tm, app, ""); got != seen[4] {
		t.Errorf("reopened at %q, want %q", got, seen[4])
	}
	tm.Send(keyRunes("q"))
	tm.Send(keyRunes("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
}

// answersWhole reports whether the panes' top edge (one line, side by
// side) was last drawn with no answer streaming. The renderer redraws only
// the lines that change: when the edge was not drawn again after the item
// line, it still says what it said for the item decided before, whose
// answers were whole.
func answersWhole(b []byte) bool {
	edge := paneEdge.FindAll(b, -1)
	if len(edge) == 0 {
		return true
	}
	return !notWhole.Match(edge[len(edge)-1])
}

var (
	// paneEdge is a line that holds the panes' titles: their top edge.
	paneEdge = regexp.MustCompile(`[┏╭][^\n]*· (done|streaming…|failed)[^\n]*`)
	notWhole = regexp.MustCompile(`streaming…|failed`)
)

func lastOf(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[len(s)-1]
}
