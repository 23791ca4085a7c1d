package ui

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/metrics"
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
//
// The 1,000,000-user cases make a database of about 1 GB first (a minute
// or so), so they run only when asked:
//
//	POPI_BENCH_1M=1 go test ./ui -run '^$' -bench 'Users.*1M' -benchtime 5x

// bigDBs are the benchmarks' databases by size, each made once per run.
var bigDBs = map[int]*bigDBEntry{100_000: {}, 1_000_000: {}}

type bigDBEntry struct {
	once sync.Once
	path string
	err  error
}

// TestMain removes the benchmarks' databases when the run ends.
func TestMain(m *testing.M) {
	code := m.Run()
	for _, e := range bigDBs {
		if e.path != "" && os.Getenv("POPI_BENCH_KEEP_DB") == "" {
			os.RemoveAll(filepath.Dir(e.path))
		}
	}
	os.Exit(code)
}

// bigDBOf is a database of n users (a pair and a task each), made once
// per test binary run; the 1,000,000-user one only with POPI_BENCH_1M set.
func bigDBOf(b testing.TB, n int) string {
	b.Helper()
	if n >= 1_000_000 && os.Getenv("POPI_BENCH_1M") == "" {
		b.Skip("set POPI_BENCH_1M=1 to run the 1,000,000-user case")
	}
	e := bigDBs[n]
	e.once.Do(func() { e.path, e.err = makeBigDB(n) })
	if e.err != nil {
		b.Fatal(e.err)
	}
	return e.path
}

func makeBigDB(n int) (string, error) {
	if keep := os.Getenv("POPI_BENCH_KEEP_DB"); keep != "" {
		// A database made by an earlier run, kept (never removed) to
		// measure other things on.
		path := filepath.Join(keep, fmt.Sprintf("users-%d.db", n))
		if _, err := os.Stat(path); err == nil {
			return path, nil
		}
		if err := os.MkdirAll(keep, 0o755); err != nil {
			return "", err
		}
		return path, writeBigDB(path, n)
	}
	dir, err := os.MkdirTemp("", "popi-ui-bench-*")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "big.db")
	return path, writeBigDB(path, n)
}

// writeBigDB imports n users, a pair and a task each, into path.
func writeBigDB(path string, n int) error {
	db, err := store.Open(path)
	if err != nil {
		return err
	}
	defer db.Close()
	pr, pw := io.Pipe()
	go func() {
		w := bufio.NewWriter(pw)
		for i := 0; i < n; i++ {
			fmt.Fprintf(w, `{"user":"user-%06d","kind":"pair","prompt":"q%d","chosen":"short","rejected":"a longer answer"}`+"\n", i, i)
			fmt.Fprintf(w, `{"user":"user-%06d","kind":"task","prompt":"task %d"}`+"\n", i, i)
		}
		w.Flush()
		pw.Close()
	}()
	_, err = db.Import(context.Background(), "big.jsonl", pr, store.ImportOptions{})
	return err
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

func BenchmarkUsersFirstFrame100k(b *testing.B) { benchFirstFrame(b, 100_000) }
func BenchmarkUsersFirstFrame1M(b *testing.B)   { benchFirstFrame(b, 1_000_000) }

// openBigDB opens the database of n users until the benchmark ends.
func openBigDB(b *testing.B, n int) *store.DB {
	db, err := store.Open(bigDBOf(b, n))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

func benchFirstFrame(b *testing.B, n int) {
	db := openBigDB(b, n)
	var total time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		_, view := firstFrame(b, db)
		total += time.Since(start)
		if !strings.Contains(view, "user-000000") || !strings.Contains(view, fmt.Sprintf("Users  %d", n)) {
			b.Fatalf("first frame:\n%s", view)
		}
	}
	reportMean(b, total, b.N, "ms/first-frame")
}

// reportMean reports total over n as milliseconds in unit, alone.
func reportMean(b *testing.B, total time.Duration, n int, unit string) {
	b.ReportMetric(float64(total.Microseconds())/1000/float64(n), unit)
	b.ReportMetric(0, "ns/op")
}

func BenchmarkUsersFilterKeystroke100k(b *testing.B) { benchFilterKeystroke(b, 100_000) }
func BenchmarkUsersFilterKeystroke1M(b *testing.B)   { benchFilterKeystroke(b, 1_000_000) }

func benchFilterKeystroke(b *testing.B, n int) {
	db := openBigDB(b, n)
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
	reportMean(b, total, 2*b.N, "ms/keystroke")
}

func BenchmarkUsersOpenUser100k(b *testing.B) { benchOpenUser(b, 100_000) }
func BenchmarkUsersOpenUser1M(b *testing.B)   { benchOpenUser(b, 1_000_000) }

// benchOpenUser: enter on a user in the middle of the list until the
// User screen is drawn with what it read, then back.
func benchOpenUser(b *testing.B, n int) {
	db := openBigDB(b, n)
	p, _ := firstFrame(b, db)
	want := fmt.Sprintf("user-%06d", n/2)
	p.Press("/")
	p.Press(strings.Split(want, "")...)
	p.Press("enter")
	var total time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		p.Press("enter")
		view := p.View()
		total += time.Since(start)
		if !strings.Contains(view, want) {
			b.Fatalf("opened user:\n%s", view)
		}
		p.Press("esc")
	}
	reportMean(b, total, b.N, "ms/open")
}

// BenchmarkUsersMemory100k: the peak resident memory of a process that
// opens the 100,000-user database on the Users screen and filters it
// (goal ≤ 150 MB), measured in a child process, and its Go heap
// (runtime/metrics: RSS also counts the database's mapped pages).
func BenchmarkUsersMemory100k(b *testing.B) { benchMemory(b, 100_000) }
func BenchmarkUsersMemory1M(b *testing.B)   { benchMemory(b, 1_000_000) }

func benchMemory(b *testing.B, n int) {
	path := bigDBOf(b, n)
	var peak, heap float64
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestUsersMemoryChild$")
		cmd.Env = append(os.Environ(), "POPI_UI_MEMORY_CHILD="+path)
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("child: %v\n%s", err, out)
		}
		peak += childFigure(b, out, "VmHWM:") / 1024
		heap += childFigure(b, out, "GoHeap:") / (1 << 20)
	}
	b.ReportMetric(peak/float64(b.N), "MiB-peak-RSS")
	b.ReportMetric(heap/float64(b.N), "MiB-Go-heap")
	b.ReportMetric(0, "ns/op")
}

// childFigure is the number after name in the child's output.
func childFigure(b *testing.B, out []byte, name string) float64 {
	_, v, ok := strings.Cut(string(out), name)
	if !ok {
		b.Fatalf("no %s in %s", name, out)
	}
	f, err := strconv.ParseFloat(strings.Fields(v)[0], 64)
	if err != nil {
		b.Fatal(err)
	}
	return f
}

// TestUsersMemoryChild is benchMemory's child: it does the work and
// prints its peak RSS and the most the Go heap held (sampled after each
// step). It does nothing in a normal test run.
func TestUsersMemoryChild(t *testing.T) {
	path := os.Getenv("POPI_UI_MEMORY_CHILD")
	if path == "" {
		t.Skip("runs as the child of benchMemory")
	}
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var most uint64
	measure := func() {
		metrics.Read(sample)
		most = max(most, sample[0].Value.Uint64())
	}
	p, _ := firstFrame(t, db)
	measure()
	for _, r := range "/user-0999" {
		p.Press(string(r))
		p.View()
		measure()
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
	fmt.Println("GoHeap:", most)
}
