package engine

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
)

// BenchmarkInferHeuristic runs infer --backend heuristic over every user
// of a database of 100,000 users (two history pairs of answers of 0.3 to
// 2 KB, and a task, each; records scattered): the README's figure. The
// database is built before the clock starts. POPI_BENCH_USERS sets the
// number of users (1000000 for the goal).
//
//	go test ./engine/ -run '^$' -bench InferHeuristic -benchtime 1x -count 3
func BenchmarkInferHeuristic(b *testing.B) {
	n := 100_000
	if s := os.Getenv("POPI_BENCH_USERS"); s != "" {
		fmt.Sscan(s, &n)
	}
	db := storetest.Open(b)
	r, w := io.Pipe()
	go func() { w.CloseWithError(writeHeuristicUsers(w, n)) }()
	if _, err := db.Import(context.Background(), "bench.jsonl", r, store.ImportOptions{Format: store.FormatPopi}); err != nil {
		b.Fatal(err)
	}
	e := New(db, Config{}, Options{})
	b.Cleanup(e.Close)
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		rep, err := e.InferAll(context.Background(), InferOptions{Backend: HeuristicName, Force: true, Concurrency: e.Config().Concurrency}, nil)
		if err != nil || rep.Done != n {
			b.Fatalf("%+v, %v", rep, err)
		}
		b.ReportMetric(float64(n)/time.Since(start).Seconds(), "users/s")
	}
}

// writeHeuristicUsers writes n users' records, three each, in an order
// scattered by a fixed seed, with answers of realistic lengths.
func writeHeuristicUsers(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	order := rng.Perm(3 * n)
	for _, k := range order {
		u, which := k/3, k%3
		if which == 2 {
			fmt.Fprintf(bw, `{"user":"u%07d","kind":"task","prompt":"Explain recursion %d."}`+"\n", u, u)
			continue
		}
		chosen, rejected := heurBenchPair(rng, (u+which)%3 == 0)
		fmt.Fprintf(bw, `{"user":"u%07d","kind":"pair","id":"p%d","prompt":"Question %d of user %d?","chosen":%q,"rejected":%q}`+"\n",
			u, which, which, u, chosen, rejected)
	}
	return bw.Flush()
}

// heurBenchPair is a pair of answers of BenchmarkInferHeuristic's users:
// the preferred one a list of 0.3–0.9 KB, the other 0.8–2 KB; swapped,
// with a code block, when code.
func heurBenchPair(rng *rand.Rand, code bool) (chosen, rejected string) {
	sentence := "The function returns the value it was given, unless the list is empty. "
	text := func(min, max int) string { return strings.Repeat(sentence, (min+rng.IntN(max-min))/len(sentence)+1) }
	chosen, rejected = "- "+text(300, 900), text(800, 2000)
	if code {
		chosen, rejected = rejected, "```go\nfunc f() {}\n```\n"+chosen
	}
	return chosen, rejected
}

// BenchmarkHeuristicAnalyze measures one answer of BenchmarkInferHeuristic's
// users at a time (1.1 KB on average).
//
//	go test ./engine/ -run '^$' -bench HeuristicAnalyze
func BenchmarkHeuristicAnalyze(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	var answers []string
	for i := range 100 {
		chosen, rejected := heurBenchPair(rng, i%3 == 0)
		answers = append(answers, chosen, rejected)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		heurAnalyze(answers[i%len(answers)])
	}
}
