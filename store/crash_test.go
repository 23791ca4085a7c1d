package store

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The crash tests run an import in a child process (this test binary,
// re-executed) and kill it with SIGKILL: no deferred code, no rollback
// by the importer itself; only the next Open can put things right.
func TestMain(m *testing.M) {
	if os.Getenv("POPI_STORE_IMPORT_CHILD") != "" {
		os.Exit(importChild())
	}
	code := m.Run()
	if benchTempDir != "" {
		os.RemoveAll(benchTempDir)
	}
	os.Exit(code)
}

// importChild imports $POPI_FILE into $POPI_DB, printing a line after each
// committed batch; with $POPI_STALL_AFTER=n it stops after batch n and
// waits to be killed.
func importChild() int {
	db, err := Open(os.Getenv("POPI_DB"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	f, err := os.Open(os.Getenv("POPI_FILE"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	stall, _ := strconv.Atoi(os.Getenv("POPI_STALL_AFTER"))
	batches := 0
	var heap *heapSampler
	if os.Getenv("POPI_REPORT_HEAP") != "" { // for BenchmarkScale
		heap = startHeapSampler(os.Getenv("POPI_HEAPPROFILE"))
	}
	if path := os.Getenv("POPI_CPUPROFILE"); path != "" { // for BenchmarkScale
		if f, err := os.Create(path); err == nil {
			pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
	}
	start := time.Now()
	_, err = db.Import(context.Background(), "big.jsonl", f, ImportOptions{Progress: func(int64) {
		batches++
		fmt.Printf("batch %d\n", batches)
		if batches == stall {
			time.Sleep(time.Hour)
		}
	}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("done")
	fmt.Printf("Elapsed: %d\n", time.Since(start))
	if heap != nil {
		fmt.Printf("HeapPeak: %d\n", heap.Stop())
	}
	if os.Getenv("POPI_REPORT_RSS") != "" { // for BenchmarkImportPeakRSS
		status, err := os.ReadFile("/proc/self/status")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		for _, line := range strings.Split(string(status), "\n") {
			if strings.HasPrefix(line, "VmHWM:") || strings.HasPrefix(line, "Rss") {
				fmt.Println(line)
			}
		}
	}
	return 0
}

func startImportChild(t *testing.T, dbPath, file string, stallAfter int) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "POPI_STORE_IMPORT_CHILD=1", "POPI_DB="+dbPath, "POPI_FILE="+file,
		"POPI_STALL_AFTER="+strconv.Itoa(stallAfter))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, bufio.NewScanner(out)
}

func writeBigFile(t *testing.T, records int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "big.jsonl")
	if err := os.WriteFile(path, []byte(manyRecords(records)), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestKill9MidImportRollsBackOnOpen(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "popi.db")
	db, err := Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := importString(t, db, "first.jsonl", goodPopi, FormatAuto); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, db)
	db.Close()

	file := writeBigFile(t, 5*batchRecords)
	cmd, lines := startImportChild(t, dbPath, file, 3)
	for lines.Scan() {
		if lines.Text() == "batch 3" {
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	db, err = Open(dbPath)
	if err != nil {
		t.Fatalf("open after kill -9: %v", err)
	}
	defer db.Close()
	if len(db.Recovered) != 1 {
		t.Errorf("Recovered = %q; want one rolled-back import", db.Recovered)
	}
	if snapshot(t, db) != before {
		t.Fatal("after kill -9 and reopening, the killed import's records are still there")
	}
	rep, err := db.Import(context.Background(), "big.jsonl", mustOpen(t, file), ImportOptions{})
	if err != nil || rep.Added.HistoryPairs != 5*batchRecords {
		t.Fatalf("importing the file again: %+v, %v", rep, err)
	}
}

// Killed at arbitrary moments, an import is always wholly in or wholly out.
func TestKill9AtRandomMomentsIsAllOrNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	file := writeBigFile(t, 4*batchRecords)
	for i, delay := range []time.Duration{0, 30 * time.Millisecond, 80 * time.Millisecond, 150 * time.Millisecond, 300 * time.Millisecond, 3 * time.Second} {
		t.Run(fmt.Sprint(delay), func(t *testing.T) {
			dbPath := filepath.Join(t.TempDir(), "popi.db")
			cmd, _ := startImportChild(t, dbPath, file, 0)
			time.Sleep(delay)
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
			db, err := Open(dbPath)
			if err != nil {
				if i == 0 && strings.Contains(err.Error(), "not a popi-tui database") {
					return // killed before bbolt wrote its first page: an empty file
				}
				t.Fatalf("open after kill -9: %v", err)
			}
			defer db.Close()
			st, err := db.Stats()
			if err != nil {
				t.Fatal(err)
			}
			if st.PairsHistory != 0 && st.PairsHistory != 4*batchRecords {
				t.Fatalf("%d pairs after kill -9: the file is partly in", st.PairsHistory)
			}
			t.Logf("killed after %v: %d pairs in, recovered %q", delay, st.PairsHistory, db.Recovered)
		})
	}
}

func mustOpen(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}
