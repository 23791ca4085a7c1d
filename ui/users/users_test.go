package ui

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// demoApp is the real root model over a fresh database of the demo users,
// sized w×h, with its first screen loaded.
func demoApp(t *testing.T, w, h int) (*App, *store.DB) {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "popi.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.LoadDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	app := benchApp(t, db)
	_, cmd := app.Update(tea.WindowSizeMsg{Width: w, Height: h})
	testDrive(app, tea.Batch(app.Init(), cmd))
	t.Cleanup(app.shutdown)
	return app, db
}

func press(app *App, keys ...string) {
	for _, k := range keys {
		var msg tea.KeyMsg
		switch k {
		case "enter":
			msg = tea.KeyMsg{Type: tea.KeyEnter}
		case "esc":
			msg = tea.KeyMsg{Type: tea.KeyEsc}
		case "down":
			msg = tea.KeyMsg{Type: tea.KeyDown}
		case "up":
			msg = tea.KeyMsg{Type: tea.KeyUp}
		case "end":
			msg = tea.KeyMsg{Type: tea.KeyEnd}
		case "backspace":
			msg = tea.KeyMsg{Type: tea.KeyBackspace}
		case "ctrl+c":
			msg = tea.KeyMsg{Type: tea.KeyCtrlC}
		default:
			msg = tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
		}
		_, cmd := app.Update(msg)
		testDrive(app, cmd)
	}
}

// testDrive runs what a command sets off, giving slow commands (a job's
// next report) up to two seconds.
func testDrive(app *App, cmd tea.Cmd) { drive(app, cmd, 2*time.Second) }

func TestUsersScreenListsAndFilters(t *testing.T) {
	app, _ := demoApp(t, 120, 40)
	view := app.View()
	for _, want := range []string{"Users  8", "user", "pairs h/ho", "summary", "saving", "› beginner-bea", "6/1", "none", "thorough-theo",
		"enter open", "/ filter", "l label"} {
		if !strings.Contains(view, want) {
			t.Errorf("view lacks %q:\n%s", want, view)
		}
	}
	if lines := strings.Split(view, "\n"); len(lines) != 40 {
		t.Errorf("%d lines, want the terminal's 40", len(lines))
	}
	press(app, "/", "t", "e", "r")
	view = app.View()
	if !strings.Contains(view, "1 of 8 match") || !strings.Contains(view, "› terse-tom") || strings.Contains(view, "beginner-bea") {
		t.Errorf("filter ter:\n%s", view)
	}
	// Typing in the filter: q is text, not quit.
	press(app, "q")
	if !strings.Contains(app.View(), "0 of 8 match") {
		t.Errorf("q was not typed into the filter:\n%s", app.View())
	}
	press(app, "backspace", "backspace", "backspace", "backspace", "esc")
	view = app.View()
	if strings.Contains(view, "match") || !strings.Contains(view, "beginner-bea") || !strings.Contains(view, "› terse-tom") {
		t.Errorf("after clearing (the cursor stays on its user):\n%s", view)
	}
	press(app, "up", "up")
	if !strings.Contains(app.View(), "› playful-pia") {
		t.Errorf("cursor:\n%s", app.View())
	}
	press(app, "end")
	if !strings.Contains(app.View(), "› thorough-theo") {
		t.Errorf("end:\n%s", app.View())
	}
}

func TestInferFromUsersScreenRunsAJob(t *testing.T) {
	app, db := demoApp(t, 120, 40)
	press(app, "i")
	st, _ := db.Stats()
	if st.Summaries != 8 {
		t.Fatalf("%d summaries after i", st.Summaries)
	}
	view := app.View()
	if !strings.Contains(view, "heuristic") || !strings.Contains(view, "×") || !strings.Contains(view, "finished: 8 done") {
		t.Errorf("after infer:\n%s", view)
	}
	press(app, "J")
	if view := app.View(); !strings.Contains(view, "infer summaries via heuristic — finished") || !strings.Contains(view, "8/8") {
		t.Errorf("jobs screen:\n%s", view)
	}
	press(app, "q")
	if !strings.Contains(app.View(), "Users  8") {
		t.Errorf("q did not go back:\n%s", app.View())
	}
}

func TestHelpOverlayAndTooSmall(t *testing.T) {
	app, _ := demoApp(t, 80, 24)
	press(app, "?")
	view := app.View()
	for _, want := range []string{"Keys — Users", "filter", "label", "infer summary", "jobs", "ctrl+c"} {
		if !strings.Contains(view, want) {
			t.Errorf("help lacks %q:\n%s", want, view)
		}
	}
	press(app, "?")
	if strings.Contains(app.View(), "Keys —") {
		t.Error("? did not close the help")
	}
	app.Update(tea.WindowSizeMsg{Width: 59, Height: 30})
	if v := app.View(); v != "Terminal too small (59×30): popi-tui needs 60×20." {
		t.Errorf("too small: %q", v)
	}
	// Back to a usable size: nothing was lost.
	app.Update(tea.WindowSizeMsg{Width: 60, Height: 20})
	if v := app.View(); !strings.Contains(v, "Users  8") || len(strings.Split(v, "\n")) != 20 {
		t.Errorf("60×20:\n%s", v)
	}
}

func TestQuitAsksWhileJobsRun(t *testing.T) {
	app, _ := demoApp(t, 100, 30)
	// A job that stays running until cancelled.
	started := make(chan struct{})
	_, run, _ := app.jobs.start("long", "a long job", func(ctx context.Context, p func(engine.Progress)) (engine.Report, error) {
		close(started)
		<-ctx.Done()
		return engine.Report{Interrupted: true}, nil
	})
	goCmds(run)
	<-started
	_, cmd := app.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")})
	if cmd != nil {
		t.Fatal("q quit at once with a job running")
	}
	if !strings.Contains(app.View(), "1 job is still running: quit and cancel them?") {
		t.Errorf("no question:\n%s", app.View())
	}
	_, cmd = app.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("n")})
	if cmd != nil {
		if _, quit := cmd().(tea.QuitMsg); quit {
			t.Fatal("n quit")
		}
	}
	app.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")})
	_, cmd = app.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("y")})
	if cmd == nil {
		t.Fatal("y did not quit")
	}
	if msg := cmd(); msg != nil {
		if _, ok := msg.(quitAnswer); ok {
			_, cmd = app.Update(msg)
			if _, quit := cmd().(tea.QuitMsg); !quit {
				t.Fatal("y did not quit")
			}
		}
	}
}

// goCmds runs a batch's commands on goroutines of their own, dropping
// their messages: a job, outside a program.
func goCmds(cmd tea.Cmd) {
	for _, c := range cmd().(tea.BatchMsg) {
		go c()
	}
}

// The same job is not started twice while it runs (i pressed twice must
// not summarize every user twice); once it has finished it can be.
func TestJobsAreNotStartedTwice(t *testing.T) {
	jobs := NewRunner(nil)
	release := make(chan struct{})
	run := func(ctx context.Context, p func(engine.Progress)) (engine.Report, error) {
		<-release
		return engine.Report{Progress: engine.Progress{Total: 1, Done: 1}}, nil
	}
	first, cmd, ok := jobs.start("infer all", "infer summaries via popi", run)
	if !ok || cmd == nil {
		t.Fatal("the first job did not start")
	}
	goCmds(cmd)
	if again, cmd, ok := jobs.start("infer all", "infer summaries via popi", run); ok || cmd != nil || again != first {
		t.Fatalf("the same job started twice (ok %v)", ok)
	}
	other, cmd, ok := jobs.start("generate all", "generate via alpha", run)
	if !ok || other == first {
		t.Fatal("another job did not start")
	}
	goCmds(cmd)
	if msg := jobs.started(first, nil, false)(); msg.(screen.NoticeMsg).Text != "infer summaries via popi is already running (J shows it)" {
		t.Errorf("notice: %+v", msg)
	}
	close(release)
	<-first.finished
	jobs.Update(screen.JobDoneMsg{ID: first.ID})
	if _, _, ok := jobs.start("infer all", "infer summaries via popi", run); !ok {
		t.Error("a finished job cannot be run again")
	}
	if !jobs.CancelAll(5 * time.Second) {
		t.Error("CancelAll did not see the jobs return")
	}
}

func TestUsersEscapeSequencesInIDsAreCleaned(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "popi.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	in := `{"user":"\u001b[31mred\u001b[0m\u001b]0;title\u0007","kind":"task","prompt":"p"}` + "\n"
	if _, err := db.Import(context.Background(), "in.jsonl", strings.NewReader(in), store.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	app := benchApp(t, db)
	_, cmd := app.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	benchDrive(app, tea.Batch(app.Init(), cmd))
	view := app.View()
	if strings.ContainsAny(view, "\x1b\x07") || !strings.Contains(view, "› red") {
		t.Errorf("view: %q", view)
	}
}

// Keys typed right after enter (a burst from tmux, a fast typist) reach
// the screen enter opened: navigation happens within Update, so q closes
// the User screen rather than quitting from the Users screen under it.
func TestKeysRightAfterEnterReachTheOpenedScreen(t *testing.T) {
	app, _ := demoApp(t, 120, 40)
	_, enter := app.Update(tea.KeyMsg{Type: tea.KeyEnter})
	if _, ok := app.top().(*userScreen); !ok {
		t.Fatalf("after enter the top screen is %T, before any command ran", app.top())
	}
	_, q := app.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")})
	if q != nil {
		if _, quit := q().(tea.QuitMsg); quit {
			t.Fatal("q right after enter quit the program")
		}
	}
	if _, ok := app.top().(*usersScreen); !ok || len(app.stack) != 1 {
		t.Errorf("after enter, q: top %T, %d screens; want the Users screen alone", app.top(), len(app.stack))
	}
	testDrive(app, tea.Batch(enter, q))
	press(app, "l")
	if _, ok := app.top().(*compareScreen); !ok {
		t.Errorf("l: top %T, want Compare", app.top())
	}
	press(app, "esc")
	if _, ok := app.top().(*usersScreen); !ok {
		t.Errorf("esc on Compare: top %T, want Users", app.top())
	}
}

// The list reloads after every saved summary, closed screen and finished
// job: the cursor stays on its user.
func TestUsersReloadKeepsTheCursorOnItsUser(t *testing.T) {
	app, _ := demoApp(t, 120, 40)
	press(app, "down", "down", "down")
	if !strings.Contains(app.View(), "› formal-fiona") {
		t.Fatalf("cursor not on formal-fiona:\n%s", app.View())
	}
	tests := []struct {
		name string
		keys []string
	}{
		{"open and close a user", []string{"enter", "q"}},
		{"open and close the jobs", []string{"J", "q"}},
		{"a filter that keeps it", []string{"/", "f", "enter"}},
	}
	for _, tt := range tests {
		press(app, tt.keys...)
		if _, ok := app.top().(*usersScreen); !ok {
			t.Fatalf("%s: top %T", tt.name, app.top())
		}
		if v := app.View(); !strings.Contains(v, "› formal-fiona") {
			t.Errorf("%s: the cursor moved:\n%s", tt.name, v)
		}
	}
}

// Rows read before a change to the database but delivered after it are
// stale: they are dropped, not kept in place of the fresh ones.
func TestUsersDropRowsReadBeforeAChange(t *testing.T) {
	app, db := demoApp(t, 120, 40)
	s := app.stack[0].(*usersScreen)
	clear(s.rows)
	clear(s.pending)
	stale := s.fetch() // reads the rows now: no user has a summary
	if stale == nil {
		t.Fatal("nothing to fetch")
	}
	old := stale()
	ids, err := db.UserIDs()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if _, err := db.AddSummary(store.Summary{User: id, Text: "likes tests", Source: store.SourceHuman}); err != nil {
			t.Fatal(err)
		}
	}
	_, cmd := app.Update(screen.DataChangedMsg{})
	testDrive(app, cmd)
	_, cmd = app.Update(old)
	testDrive(app, cmd)
	if r, ok := s.rows["beginner-bea"]; !ok || r.summary == nil {
		t.Errorf("beginner-bea's row after the stale read: %+v (ok %v), want its new summary", r, ok)
	}
	if v := app.View(); strings.Contains(v, " none ") {
		t.Errorf("a row still says none:\n%s", v)
	}
}

// The Jobs list scrolls to keep the cursor's job in view; x on a finished
// job says so; esc goes back.
func TestJobsScreenScrollsAndSays(t *testing.T) {
	app, _ := demoApp(t, 60, 20)
	for i := range 12 {
		job, cmd, _ := app.jobs.start(fmt.Sprint(i), fmt.Sprintf("job number %d", i), func(ctx context.Context, p func(engine.Progress)) (engine.Report, error) {
			return engine.Report{Progress: engine.Progress{Total: 1, Done: 1}}, nil
		})
		for _, c := range cmd().(tea.BatchMsg) {
			if msg, ok := c().(screen.JobDoneMsg); ok {
				app.Update(msg)
			}
		}
		if job.running() {
			t.Fatalf("job %d did not finish", i)
		}
	}
	press(app, "J")
	for range 11 {
		press(app, "down")
	}
	v := app.View()
	checkCompareFrame(t, v, 60, 20)
	if !strings.Contains(v, "› job number 11 — finished") || strings.Contains(v, "job number 0 ") {
		t.Errorf("the last job is not in view:\n%s", v)
	}
	press(app, "x")
	if !strings.Contains(app.View(), "job number 11 has finished already") {
		t.Errorf("x on a finished job says nothing:\n%s", app.View())
	}
	press(app, "esc")
	if _, ok := app.top().(*usersScreen); !ok {
		t.Errorf("esc: top %T", app.top())
	}
}

// i on a user whom a running inference job will summarize does not start
// a second summary of them.
func TestJobsInferringCoversItsUsers(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	run := func(ctx context.Context, p func(engine.Progress)) (engine.Report, error) {
		<-release
		return engine.Report{}, nil
	}
	tests := []struct {
		name       string
		opt        engine.InferOptions
		user       string
		hasSummary bool
		covered    bool
	}{
		{"missing, user without", engine.InferOptions{Missing: true}, "ann", false, true},
		{"missing, user with", engine.InferOptions{Missing: true}, "ann", true, false},
		{"all users", engine.InferOptions{Force: true}, "ann", true, true},
		{"listed", engine.InferOptions{Users: []string{"ann"}}, "ann", true, true},
		{"not listed", engine.InferOptions{Users: []string{"bob"}}, "ann", false, false},
	}
	for _, tt := range tests {
		jobs := NewRunner(nil)
		job, cmd, _ := jobs.start("infer", "infer", run)
		job.infer = &tt.opt
		if got, ok := jobs.Inferring(tt.user, tt.hasSummary); ok != tt.covered {
			t.Errorf("%s: Inferring = %q, want covered %v", tt.name, got, tt.covered)
		}
		job.Report = &engine.Report{} // finished
		if _, ok := jobs.Inferring(tt.user, tt.hasSummary); ok {
			t.Errorf("%s: a finished job still covers %s", tt.name, tt.user)
		}
		_ = cmd // never run: nothing to wait for
	}
}
