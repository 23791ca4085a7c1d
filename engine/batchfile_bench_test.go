package engine

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
)

// BenchmarkBatchOut1M writes the summarizer requests of 1,000,000 users (a
// history pair each) to a batch input file on disk: the README's figure
// for infer --batch-out (the database is built before the clock starts).
//
//	go test ./engine/ -run '^$' -bench BatchOut -benchtime 1x -count 3
func BenchmarkBatchOut1M(b *testing.B) {
	n := 1_000_000
	if s := os.Getenv("POPI_BENCH_USERS"); s != "" {
		fmt.Sscan(s, &n)
	}
	db := storetest.Open(b)
	r, w := io.Pipe()
	go func() {
		bw := bufio.NewWriter(w)
		for i := range n {
			fmt.Fprintf(bw, `{"user":"u%07d","kind":"pair","prompt":"How do I list the files of directory %d?","chosen":"ls","rejected":"You can use the ls command, which lists the contents of the current directory."}`+"\n", i, i)
		}
		bw.Flush()
		w.Close()
	}()
	if _, err := db.Import(context.Background(), "bench.jsonl", r, store.ImportOptions{Format: store.FormatPopi}); err != nil {
		b.Fatal(err)
	}
	e := batchEngine(b, db, "http://127.0.0.1:1/v1", nil)
	path := filepath.Join(b.TempDir(), "requests.jsonl")
	b.ResetTimer()
	for b.Loop() {
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		bw := bufio.NewWriterSize(f, 256<<10)
		rep, err := e.InferBatchOut(context.Background(), bw, InferOptions{Backend: "fake"}, nil)
		if err == nil {
			err = bw.Flush()
		}
		if err == nil {
			err = f.Close()
		}
		if err != nil || rep.Done != n {
			b.Fatalf("%+v, %v", rep, err)
		}
	}
	b.StopTimer()
	fi, _ := os.Stat(path)
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "requests/s")
	b.ReportMetric(float64(fi.Size())/1e6, "MB")
}
