package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/store/storetest/gen"
)

// BenchmarkScaleMerge merges two databases of N/2 users each, every user
// of the other one with a summary (so that the merge brings them all
// across, with their signals), and compares the merge with importing the
// same records (both halves, into fresh databases) in the same run
// (goal: merge ≤ 2×). N is 100,000, and 1,000,000 with POPI_BENCH_1M=1:
//
//	go test ./store -run '^$' -bench ScaleMerge -benchtime 1x -timeout 2h
func BenchmarkScaleMerge(b *testing.B) {
	sizes := []int{100_000}
	if os.Getenv("POPI_BENCH_1M") != "" {
		sizes = append(sizes, 1_000_000)
	}
	for _, users := range sizes {
		b.Run(fmt.Sprintf("users=%d", users), func(b *testing.B) {
			half := users / 2
			fileA := scaleFile(b, gen.Options{Users: half})
			fileB := scaleFile(b, gen.Options{Users: half, FirstUser: half})
			var imp, merge time.Duration
			for i := 0; i < b.N; i++ {
				dir := b.TempDir()
				a, took := importFresh(b, filepath.Join(dir, "a.db"), fileA)
				imp += took
				other, took := importFresh(b, filepath.Join(dir, "b.db"), fileB)
				imp += took
				addSummaryEach(b, other, half, half)
				other.Close()
				start := time.Now()
				rep, err := a.Merge(context.Background(), other.Path())
				merge += time.Since(start)
				a.Close()
				if err != nil || rep.Users != half {
					b.Fatalf("merge: %d users brought across, %v; want %d", rep.Users, err, half)
				}
			}
			n := float64(b.N)
			b.ReportMetric(imp.Seconds()/n, "import-s")
			b.ReportMetric(merge.Seconds()/n, "merge-s")
			b.ReportMetric(merge.Seconds()/imp.Seconds(), "merge/import")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// importFresh imports file into a new database at path, in this process.
func importFresh(b *testing.B, path, file string) (*DB, time.Duration) {
	b.Helper()
	db, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	f, err := os.Open(file)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	start := time.Now()
	if _, err := db.Import(context.Background(), filepath.Base(file), f, ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	return db, time.Since(start)
}

// addSummaryEach gives users user-first … user-(first+n-1) a summary each.
func addSummaryEach(b *testing.B, db *DB, first, n int) {
	b.Helper()
	const chunk = 10_000
	for start := 0; start < n; start += chunk {
		ss := make([]Summary, 0, chunk)
		for u := start; u < min(start+chunk, n); u++ {
			ss = append(ss, Summary{User: fmt.Sprintf("user-%d", first+u), Text: "likes short answers", Source: "heuristic"})
		}
		if _, err := db.AddSummaries(ss); err != nil {
			b.Fatal(err)
		}
	}
}
