package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/store/storetest/gen"
)

// TestImportSmoke100k imports the generated 100,000-user file (300,000
// records, 245 MB) under CI (CI=true) or when POPI_SMOKE=1 asks, and fails
// on a regression of about 10×: the import took 2.2 s on the development
// machine (README, Performance), with a Go heap of 63 MiB.
func TestImportSmoke100k(t *testing.T) {
	if os.Getenv("CI") != "true" && os.Getenv("POPI_SMOKE") == "" {
		t.Skip("a 245 MB import: run under CI=true or POPI_SMOKE=1")
	}
	const (
		maxImport = 20 * time.Second // 9× the measured 2.2 s: a 10× regression fails
		maxHeap   = 256 << 20
	)
	dir := t.TempDir()
	file := filepath.Join(dir, "users-100k.jsonl")
	if err := gen.WriteFile(file, gen.Options{Users: 100_000}); err != nil {
		t.Fatal(err)
	}
	db, err := Open(filepath.Join(dir, "smoke.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	heap := startHeapSampler("")
	start := time.Now()
	rep, err := db.Import(context.Background(), "users-100k.jsonl", f, ImportOptions{})
	took := time.Since(start)
	peak := heap.Stop()
	if err != nil || rep.Users != 100_000 || rep.Records != 300_000 {
		t.Fatalf("import: %d users, %d records, %v; want 100,000 and 300,000", rep.Users, rep.Records, err)
	}
	t.Logf("import of 100,000 users: %v, Go heap peak %d MiB", took, peak>>20)
	if took > maxImport {
		t.Errorf("import of 100,000 users took %v, over the smoke bound of %v (2.2 s when measured)", took, maxImport)
	}
	if peak > maxHeap {
		t.Errorf("import of 100,000 users: Go heap peak %d MiB, over %d MiB", peak>>20, maxHeap>>20)
	}
	start = time.Now()
	st, err := db.Stats()
	if err != nil || st.Users != 100_000 {
		t.Fatalf("stats: %+v, %v", st, err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("stats over 100,000 users took %v, over the smoke bound of 2 s (counters are read, not scanned)", took)
	}
}
