package ui

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/cursor"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/themes"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// The Users screen's figures (README, Performance):
//
//	go test ./ui -run '^$' -bench Users -benchtime 5x

const benchUsers = 100_000

var (
	bigDBOnce sync.Once
	bigDBPath string
	bigDBErr  error
)

// TestMain removes the benchmarks' database when the run ends.
func TestMain(m *testing.M) {
	code := m.Run()
	if bigDBPath != "" {
		os.RemoveAll(filepath.Dir(bigDBPath))
	}
	os.Exit(code)
}

// bigDB is a database of 100,000 users (two pairs and a task each), made
// once per test binary run.
func bigDB(b testing.TB) string {
	b.Helper()
	bigDBOnce.Do(func() {
		dir, err := os.MkdirTemp("", "popi-ui-bench-*")
		if err != nil {
			bigDBErr = err
			return
		}
		bigDBPath = filepath.Join(dir, "big.db")
		db, err := store.Open(bigDBPath)
		if err != nil {
			bigDBErr = err
			return
		}
		defer db.Close()
		pr, pw := io.Pipe()
		go func() {
			w := bufio.NewWriter(pw)
			for i := 0; i < benchUsers; i++ {
				fmt.Fprintf(w, `{"user":"user-%06d","kind":"pair","prompt":"q%d","chosen":"short","rejected":"a longer answer"}`+"\n", i, i)
				fmt.Fprintf(w, `{"user":"user-%06d","kind":"task","prompt":"task %d"}`+"\n", i, i)
			}
			w.Flush()
			pw.Close()
		}()
		_, bigDBErr = db.Import(context.Background(), "big.jsonl", pr, store.ImportOptions{})
	})
	if bigDBErr != nil {
		b.Fatal(bigDBErr)
	}
	return bigDBPath
}

// benchDrive runs a command and feeds what it returns back into the app,
// following batches, until nothing is left. A command that has not
// answered within 50 ms is a timer (cursor blink, tick): it is dropped, as
// it would only fire later in the real program.
func benchDrive(app *App, cmd tea.Cmd) (lastHandled time.Time) {
	return drive(app, cmd, 50*time.Millisecond)
}

// drive is benchDrive with the wait for a command chosen: tests give slow
// commands (a job's next report, under -race) time, and drop the cursor's
// blink messages instead.
func drive(app *App, cmd tea.Cmd, wait time.Duration) (lastHandled time.Time) {
	lastHandled = time.Now()
	queue := []tea.Cmd{cmd}
	for steps := 0; len(queue) > 0 && steps < 1000; steps++ {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		got := make(chan tea.Msg, 1)
		go func() { got <- c() }()
		var msg tea.Msg
		select {
		case msg = <-got:
		case <-time.After(wait):
			continue
		}
		switch m := msg.(type) {
		case nil:
		case cursor.BlinkMsg:
		case tea.BatchMsg:
			queue = append(queue, m...)
		default:
			_, next := app.Update(msg)
			lastHandled = time.Now()
			queue = append(queue, next)
		}
	}
	return lastHandled
}

func benchApp(b testing.TB, db *store.DB) *App {
	theme, _ := themes.Lookup("dark")
	e := engine.New(db, engine.Config{}, engine.Options{})
	return NewApp(Options{DB: db, Engine: e, Annotator: "bench", Theme: theme, NoColor: true, Output: io.Discard,
		Compare: screen.CompareSpec{Mode: screen.CompareReplay}})
}

// firstFrame opens the Users screen on db and draws it, as at start.
func firstFrame(b testing.TB, db *store.DB) (*App, string) {
	app := benchApp(b, db)
	_, cmd := app.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	benchDrive(app, tea.Batch(app.Init(), cmd))
	return app, app.View()
}

func BenchmarkUsersFirstFrame100k(b *testing.B) {
	db, err := store.Open(bigDB(b))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var total time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		_, view := firstFrame(b, db)
		total += time.Since(start)
		if !strings.Contains(view, "user-000000") || !strings.Contains(view, "Users  100000") {
			b.Fatalf("first frame:\n%s", view)
		}
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/first-frame")
	b.ReportMetric(0, "ns/op")
}

func BenchmarkUsersFilterKeystroke100k(b *testing.B) {
	db, err := store.Open(bigDB(b))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	app, _ := firstFrame(b, db)
	benchDrive(app, func() tea.Msg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("/")} })
	var total time.Duration
	for i := 0; i < b.N; i++ {
		// Type a digit, then take it back: two keystrokes, each redrawn.
		for _, k := range []tea.KeyMsg{{Type: tea.KeyRunes, Runes: []rune(strconv.Itoa(i % 10))}, {Type: tea.KeyBackspace}} {
			// The time until the last message is handled and the frame drawn;
			// the cursor's blink timer, dropped by benchDrive, is not work.
			start := time.Now()
			_, cmd := app.Update(k)
			handled := benchDrive(app, cmd)
			drawStart := time.Now()
			view := app.View()
			total += handled.Sub(start) + time.Since(drawStart)
			if !strings.Contains(view, "user-") {
				b.Fatalf("after a keystroke:\n%s", view)
			}
		}
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(2*b.N), "ms/keystroke")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkUsersMemory100k: the peak resident memory of a process that
// opens the 100,000-user database on the Users screen and filters it
// (goal ≤ 150 MB), measured in a child process.
func BenchmarkUsersMemory100k(b *testing.B) {
	path := bigDB(b)
	var peak float64
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestUsersMemoryChild$")
		cmd.Env = append(os.Environ(), "POPI_UI_MEMORY_CHILD="+path)
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("child: %v\n%s", err, out)
		}
		_, v, ok := strings.Cut(string(out), "VmHWM:")
		if !ok {
			b.Fatalf("no VmHWM in %s", out)
		}
		kb, err := strconv.Atoi(strings.Fields(v)[0])
		if err != nil {
			b.Fatal(err)
		}
		peak += float64(kb) / 1024
	}
	b.ReportMetric(peak/float64(b.N), "MiB-peak-RSS")
	b.ReportMetric(0, "ns/op")
}

// TestUsersMemoryChild is BenchmarkUsersMemory100k's child: it does the
// work and prints its peak RSS. It does nothing in a normal test run.
func TestUsersMemoryChild(t *testing.T) {
	path := os.Getenv("POPI_UI_MEMORY_CHILD")
	if path == "" {
		t.Skip("runs as the child of BenchmarkUsersMemory100k")
	}
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	app, _ := firstFrame(t, db)
	for _, r := range "/user-0999" {
		_, cmd := app.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
		benchDrive(app, cmd)
		app.View()
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			fmt.Println(l)
		}
	}
}
