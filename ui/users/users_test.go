package users

import (
	"slices"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
	"github.com/popi-tui/popi-tui/ui/compare"
	"github.com/popi-tui/popi-tui/ui/screen"
	"github.com/popi-tui/popi-tui/ui/uitest"
	"github.com/popi-tui/popi-tui/ui/user"
)

// openUsers is the Users screen at the bottom of the program's frame over
// db (the demo users when nil), loaded.
func openUsers(t *testing.T, db *store.DB, w, h int) (*uitest.Env, *Screen) {
	t.Helper()
	var s *Screen
	env := uitest.New(t, w, h, uitest.Options{DB: db, Compare: screen.CompareSpec{Mode: screen.CompareReplay},
		First: func(ctx *screen.Context) screen.Screen { s = New(ctx); return s }})
	return env, s
}

func TestUsersScreenListsAndFilters(t *testing.T) {
	env, _ := openUsers(t, nil, 120, 40)
	v := env.View()
	uitest.WantIn(t, v, "Users  8", "user", "pairs h/ho", "summary", "saving", "› beginner-bea", "6/1", "none", "thorough-theo",
		"enter open", "/ filter", "l label")
	uitest.CheckFrame(t, v, 120, 40)
	env.Press("/", "t", "e", "r")
	v = env.View()
	uitest.WantIn(t, v, "1 of 8 match", "› terse-tom")
	uitest.WantNotIn(t, v, "beginner-bea")
	// Typing in the filter: q is text, not quit.
	env.Press("q")
	uitest.WantIn(t, env.View(), "0 of 8 match")
	env.Press("backspace", "backspace", "backspace", "backspace", "esc")
	v = env.View()
	uitest.WantNotIn(t, v, "match")
	uitest.WantIn(t, v, "beginner-bea", "› terse-tom") // the cursor stays on its user
	env.Press("up", "up")
	uitest.WantIn(t, env.View(), "› playful-pia")
	env.Press("end")
	uitest.WantIn(t, env.View(), "› thorough-theo")
}

func TestUsersEscapeSequencesInIDsAreCleaned(t *testing.T) {
	db := storetest.Open(t)
	storetest.Import(t, db, `{"user":"\u001b[31mred\u001b[0m\u001b]0;title\u0007","kind":"task","prompt":"p"}`+"\n")
	env, _ := openUsers(t, db, 100, 30)
	v := env.View()
	if strings.ContainsAny(v, "\x1b\x07") {
		t.Errorf("view: %q", v)
	}
	uitest.WantIn(t, v, "› red")
}

// Keys typed right after enter (a burst from tmux, a fast typist) reach
// the screen enter opened: navigation happens within Update, so q closes
// the User screen rather than quitting from the Users screen under it.
func TestKeysRightAfterEnterReachTheOpenedScreen(t *testing.T) {
	env, s := openUsers(t, nil, 120, 40)
	env.Send(uitest.Key("enter")) // its commands are not run yet
	if _, ok := env.Top().(*user.Screen); !ok {
		t.Fatalf("after enter the top screen is %T, before any command ran", env.Top())
	}
	env.Send(uitest.Key("q"))
	if env.Top() != screen.Screen(s) || env.Frame.Depth() != 1 {
		t.Errorf("after enter, q: top %T, %d screens; want the Users screen alone", env.Top(), env.Frame.Depth())
	}
	env.Settle()
	env.Press("l")
	if _, ok := env.Top().(*compare.Screen); !ok {
		t.Errorf("l: top %T, want Compare", env.Top())
	}
	env.Press("esc")
	if env.Top() != screen.Screen(s) {
		t.Errorf("esc on Compare: top %T, want Users", env.Top())
	}
}

// The list reloads after every saved summary, closed screen and finished
// job: the cursor stays on its user.
func TestUsersReloadKeepsTheCursorOnItsUser(t *testing.T) {
	env, s := openUsers(t, nil, 120, 40)
	env.Press("down", "down", "down")
	uitest.WantIn(t, env.View(), "› formal-fiona")
	tests := []struct {
		name string
		do   func()
	}{
		{"open and close a user", func() { env.Press("enter", "q") }},
		{"open and close a labeling session", func() { env.Press("l", "q") }},
		{"a filter that keeps it", func() { env.Press("/", "f", "enter") }},
		{"a job that finished", func() { env.Send(screen.DataChangedMsg{}); env.Settle() }},
	}
	for _, tt := range tests {
		tt.do()
		if env.Top() != screen.Screen(s) {
			t.Fatalf("%s: top %T", tt.name, env.Top())
		}
		if v := env.View(); !strings.Contains(v, "› formal-fiona") {
			t.Errorf("%s: the cursor moved:\n%s", tt.name, v)
		}
	}
}

// Rows read before a change to the database but delivered after it are
// stale: they are dropped, not kept in place of the fresh ones.
func TestUsersDropRowsReadBeforeAChange(t *testing.T) {
	env, s := openUsers(t, nil, 120, 40)
	clear(s.rows)
	clear(s.pending)
	stale := s.fetch() // reads the rows now: no user has a summary
	if stale == nil {
		t.Fatal("nothing to fetch")
	}
	old := stale()
	ids, err := env.DB.UserIDs()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		storetest.AddSummary(t, env.DB, store.Summary{User: id, Text: "likes tests", Source: store.SourceHuman})
	}
	env.Send(screen.DataChangedMsg{})
	env.Settle()
	env.Send(old)
	env.Settle()
	if r, ok := s.rows["beginner-bea"]; !ok || r.summary == nil {
		t.Errorf("beginner-bea's row after the stale read: %+v (ok %v), want its new summary", r, ok)
	}
	uitest.WantNotIn(t, env.View(), " none ")
}

// A resize keeps the list to the terminal: the frame is w×h at every size
// the program accepts.
func TestUsersFitTheTerminal(t *testing.T) {
	env, _ := openUsers(t, nil, 120, 40)
	for _, sz := range []struct{ w, h int }{{60, 20}, {80, 24}, {200, 60}} {
		env.Send(tea.WindowSizeMsg{Width: sz.w, Height: sz.h})
		env.Settle()
		uitest.CheckFrame(t, env.View(), sz.w, sz.h)
	}
}

// l labels the users the filter shows: everyone without a filter, one
// user by name, none when nothing matches.
func TestUsersLabelWhatTheFilterShows(t *testing.T) {
	db := storetest.DemoDB(t)
	_, spec := uitest.ReplayEngine(t, db)
	var s *Screen
	env := uitest.New(t, 120, 40, uitest.Options{DB: db, Compare: spec,
		First: func(ctx *screen.Context) screen.Screen { s = New(ctx); return s }})
	label := func() (*compare.Screen, string) {
		t.Helper()
		env.Press("l")
		c, ok := env.Top().(*compare.Screen)
		if !ok {
			return nil, env.View()
		}
		v := env.View()
		env.Press("q")
		return c, v
	}
	if c, v := label(); c == nil || !c.Selection().All() || !strings.Contains(v, "0/11 done") {
		t.Errorf("without a filter:\n%s", v)
	}
	env.Press("/", "b", "e", "enter")
	uitest.WantIn(t, env.View(), "2 of 8 match", "l label these")
	c, v := label()
	if c == nil || !slices.Equal(c.Selection().Users, []string{"beginner-bea", "bullet-ben"}) || !strings.Contains(v, "0/3 done") {
		t.Errorf("filter be:\n%s", v)
	}
	env.Press("/", "backspace", "backspace", "t", "o", "m", "enter")
	if c, v := label(); c == nil || c.Selection().Name != "user terse-tom" {
		t.Errorf("filter tom:\n%s", v)
	}
	env.Press("/", "x", "enter")
	if c, v := label(); c != nil || !strings.Contains(v, `no user matches "tomx": nothing to label`) {
		t.Errorf("a filter matching nobody opened labeling:\n%s", v)
	}
	if env.Top() != screen.Screen(s) {
		t.Errorf("top %T", env.Top())
	}
}

// At 60 columns long ids that share their start stay told apart: they
// are cut in the middle, their ends kept.
func TestUsersLongIDsCutInTheMiddle(t *testing.T) {
	db := storetest.Open(t)
	storetest.Import(t, db, `{"user":"alignx-user-0000000000000000000000000000000000-a1","kind":"task","prompt":"p"}
{"user":"alignx-user-0000000000000000000000000000000000-b2","kind":"task","prompt":"p"}
`)
	env, _ := openUsers(t, db, 60, 20)
	v := env.View()
	uitest.CheckFrame(t, v, 60, 20)
	uitest.WantIn(t, v, "…0000-a1", "…0000-b2")
}
