package eval

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/engine/vllmtest"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
)

// The figures of the README's Performance section for preference
// accuracy:
//
//	go test ./engine/eval -run '^$' -bench AccuracyThroughput -benchtime 1x -count 3

// The scoring server's shape: it answers after benchLatency, at most
// benchCapacity requests at once.
const (
	benchCapacity = 16
	benchLatency  = 100 * time.Millisecond
)

// BenchmarkAccuracyThroughput: preference accuracy over 1,000 held-out
// pairs against a scoring server whose /v1/completions answers after a
// fixed latency L, at most C at once (tokenizing is quick, as vLLM's is:
// it runs on the CPU beside the model), at concurrency C, against the
// ideal (2·1000/C)·L — two scoring requests a pair (goal: ≤ 1.1 × ideal).
func BenchmarkAccuracyThroughput(b *testing.B) {
	const pairs = 1000
	db := accuracyBenchDB(b, pairs)
	url := benchServer(b)
	benchAccuracy(b, pairs, func() *engine.Engine { return scoringEngine(db, url, benchCapacity) },
		AccuracyOptions{Backend: "vllm", Concurrency: benchCapacity})
}

// BenchmarkAccuracyThroughputWithReference: the same against a reference
// model on a server of its own, of the same shape: each pair is two
// scoring requests on each server, at once, so the ideal is the same
// (2·1000/C)·L.
func BenchmarkAccuracyThroughputWithReference(b *testing.B) {
	const pairs = 1000
	db := accuracyBenchDB(b, pairs)
	urls := [2]string{benchServer(b), benchServer(b)}
	newEngine := func() *engine.Engine {
		backends := make([]engine.BackendConfig, 2)
		for k, name := range []string{"vllm", "ref"} {
			backends[k] = engine.BackendConfig{Name: name, Kind: engine.KindOpenAI, Roles: []string{engine.RoleGenerator}, BaseURLs: []string{urls[k] + "/v1"},
				Model: "fake-vllm", Concurrency: benchCapacity, Timeout: 10 * time.Second}
		}
		return engine.New(db, engine.Config{MaxAttempts: 1, Concurrency: 8 * benchCapacity, Backends: backends}, engine.Options{})
	}
	benchAccuracy(b, pairs, newEngine, AccuracyOptions{Backend: "vllm", Reference: "ref", Concurrency: benchCapacity})
}

// benchServer is a fake vLLM of the benchmarks' shape, and its URL.
func benchServer(b *testing.B) string {
	f := vllmtest.New(b, nil)
	f.Capacity = make(chan struct{}, benchCapacity)
	f.Latency = benchLatency
	return f.URL()
}

// benchAccuracy measures accuracy with opt over the pairs b.N times, each
// on an engine of its own, and reports the mean time against the ideal
// (2·pairs/C)·L.
func benchAccuracy(b *testing.B, pairs int, newEngine func() *engine.Engine, opt AccuracyOptions) {
	ideal := 2 * float64(pairs) / benchCapacity * benchLatency.Seconds()
	var total float64
	for i := 0; i < b.N; i++ {
		e := newEngine()
		start := time.Now()
		rep, err := Accuracy(context.Background(), e, opt, nil)
		elapsed := time.Since(start).Seconds()
		e.Close()
		if err != nil || rep.Run.Done != pairs || rep.Rows[0].Pairs != pairs {
			b.Fatalf("accuracy: %+v, %v", rep.Run, err)
		}
		total += elapsed
	}
	mean := total / float64(b.N)
	b.ReportMetric(mean, "s/1000-pairs")
	b.ReportMetric(ideal, "ideal-s")
	b.ReportMetric(mean/ideal, "x-ideal")
	b.ReportMetric(0, "ns/op")
}

// accuracyBenchDB holds n users, each with a history pair, a held-out
// pair and a summary.
func accuracyBenchDB(b *testing.B, n int) *store.DB {
	b.Helper()
	db := storetest.Open(b)
	var in strings.Builder
	for i := range n {
		fmt.Fprintf(&in, `{"user":"u%05d","kind":"pair","prompt":"question","chosen":"short answer","rejected":"a much longer answer"}`+"\n", i)
		fmt.Fprintf(&in, `{"user":"u%05d","kind":"pair","split":"heldout","prompt":"held question %d","chosen":"yes %d","rejected":"no %d"}`+"\n", i, i, i, i)
	}
	if _, err := db.Import(context.Background(), "pairs.jsonl", strings.NewReader(in.String()), store.ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	ss := make([]store.Summary, n)
	for i := range ss {
		ss[i] = store.Summary{User: fmt.Sprintf("u%05d", i), Text: "Likes brevity.", Source: "bench/model"}
	}
	if _, err := db.AddSummaries(ss); err != nil {
		b.Fatal(err)
	}
	return db
}
