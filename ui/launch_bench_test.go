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

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/themes"
	"github.com/popi-tui/popi-tui/ui/screen"
	"github.com/popi-tui/popi-tui/ui/uitest"
)

// The program's launch figures, on the Users screen (README, Performance):
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

// benchApp is the program over db as `popi-tui tui` starts it, with the
// offline engine.
func benchApp(tb testing.TB, db *store.DB) *App {
	theme, _ := themes.Lookup("dark")
	e := engine.New(db, engine.Config{}, engine.Options{})
	tb.Cleanup(e.Close)
	app := NewApp(Options{DB: db, Engine: e, Annotator: "bench", Theme: theme, NoColor: true, Output: io.Discard,
		Compare: screen.CompareSpec{Mode: screen.CompareReplay}})
	tb.Cleanup(app.shutdown)
	return app
}

// firstFrame starts the program on db and draws its first frame, as at
// launch: Init, the terminal's size, every command they set off.
func firstFrame(tb testing.TB, db *store.DB) (*uitest.Program, string) {
	p := uitest.Drive(tb, benchApp(tb, db), 120, 40)
	return p, p.View()
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
	p, _ := firstFrame(b, db)
	p.Press("/")
	var total time.Duration
	for i := 0; i < b.N; i++ {
		// Type a digit, then take it back: two keystrokes, each redrawn.
		for _, k := range []string{strconv.Itoa(i % 10), "backspace"} {
			// The time until the last message is handled and the frame drawn;
			// the cursor's blink timer, which the Program drops, is not work.
			start := time.Now()
			p.Press(k)
			handled := p.LastHandled()
			drawStart := time.Now()
			view := p.View()
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
	p, _ := firstFrame(t, db)
	for _, r := range "/user-0999" {
		p.Press(string(r))
		p.View()
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
