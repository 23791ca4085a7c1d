package engine

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/engine/internal/enginetest"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
)

// The figures of the README's Performance section for the engine:
//
//	go test ./engine/... -run '^$' -bench . -benchtime 1x -count 3

// slowServer answers chat completions after a fixed latency, serving at
// most capacity requests at once (the others wait for a slot), like a
// model server with a fixed batch size.
func slowServer(b *testing.B, latency time.Duration, capacity int) *httptest.Server {
	b.Helper()
	slots := make(chan struct{}, capacity)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if !strings.HasSuffix(r.URL.Path, "/chat/completions") {
			http.NotFound(w, r)
			return
		}
		slots <- struct{}{}
		defer func() { <-slots }()
		time.Sleep(latency)
		enginetest.WriteStream(w, "bench-model", []string{"Prefers ", "short ", "answers."}, "stop")
	}))
	b.Cleanup(srv.Close)
	return srv
}

// benchDB is a database of n users with two history pairs each.
func benchDB(b *testing.B, n int) *store.DB {
	b.Helper()
	db := storetest.Open(b)
	var in strings.Builder
	for i := 0; i < n; i++ {
		for j := 0; j < 2; j++ {
			fmt.Fprintf(&in, `{"user":"u%05d","kind":"pair","prompt":"question %d","chosen":"short answer","rejected":"a much longer answer that goes on"}`+"\n", i, j)
		}
	}
	if _, err := db.Import(context.Background(), "bench.jsonl", strings.NewReader(in.String()), store.ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	return db
}

// inferSeconds summarizes every user of db through replicas of a slow
// server and returns how long it took.
func inferSeconds(b *testing.B, db *store.DB, urls []string, perReplica int) float64 {
	b.Helper()
	cfg := Config{HistoryBudget: DefaultHistoryBudget, MaxAttempts: 1, Concurrency: 1024, Backends: []BackendConfig{{
		Name: "bench", Kind: KindOpenAI, Roles: []string{RoleSummarizer}, BaseURLs: urls, Model: "bench-model",
		Temperature: 0.6, MaxTokens: 64, Concurrency: perReplica, Timeout: time.Minute,
	}}}
	e := New(db, cfg, Options{})
	defer e.Close()
	start := time.Now()
	rep, err := e.InferAll(context.Background(), InferOptions{Backend: "bench", Force: true, Concurrency: perReplica * len(urls)}, nil)
	elapsed := time.Since(start).Seconds()
	if err != nil || rep.Failed > 0 || rep.Done != rep.Total {
		b.Fatalf("infer: %+v, %v", rep, err)
	}
	return elapsed
}

const (
	benchSummaries = 1000
	benchLatency   = 100 * time.Millisecond
	benchCapacity  = 16
)

// BenchmarkBatchThroughput: 1,000 summaries against a server of latency L
// and capacity C, at concurrency C, against the ideal (1000/C)·L (goal:
// ≤ 1.05 × ideal).
func BenchmarkBatchThroughput(b *testing.B) {
	db := benchDB(b, benchSummaries)
	srv := slowServer(b, benchLatency, benchCapacity)
	ideal := float64(benchSummaries) / benchCapacity * benchLatency.Seconds()
	var total float64
	for i := 0; i < b.N; i++ {
		total += inferSeconds(b, db, []string{srv.URL + "/v1"}, benchCapacity)
	}
	mean := total / float64(b.N)
	b.ReportMetric(mean, "s/1000-summaries")
	b.ReportMetric(ideal, "ideal-s")
	b.ReportMetric(mean/ideal, "x-ideal")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkReplicaScaling: the same with 1, 2 and 4 replicas in one
// base_url list; throughput relative to one replica (goal: ≥ 1.9 with 2,
// ≥ 3.6 with 4).
func BenchmarkReplicaScaling(b *testing.B) {
	db := benchDB(b, benchSummaries)
	var servers []string
	for range 4 {
		servers = append(servers, slowServer(b, benchLatency, benchCapacity).URL+"/v1")
	}
	var one float64
	for _, n := range []int{1, 2, 4} {
		var total float64
		for i := 0; i < b.N; i++ {
			total += inferSeconds(b, db, servers[:n], benchCapacity)
		}
		mean := total / float64(b.N)
		if n == 1 {
			one = mean
		}
		b.ReportMetric(one/mean, fmt.Sprintf("speedup-%d-replicas", n))
	}
	b.ReportMetric(0, "ns/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkClientOverhead: process CPU time per streamed completion through
// the engine, and through a bare net/http client reading the same stream
// (the server runs in this process for both; the difference is the
// engine's own cost).
func BenchmarkClientOverhead(b *testing.B) {
	srv := slowServer(b, 0, 64)
	db := benchDB(b, 1)
	cfg := Config{MaxAttempts: 1, Concurrency: 8, Backends: []BackendConfig{{Name: "bench", Kind: KindOpenAI, Roles: []string{RoleGenerator},
		BaseURLs: []string{srv.URL + "/v1"}, Model: "bench-model", Temperature: 0.6, MaxTokens: 64, Concurrency: 8, Timeout: time.Minute}}}
	e := New(db, cfg, Options{})
	defer e.Close()
	chat := e.backends[0].chat
	msgs := []store.Message{{Role: "user", Content: "Say something short."}}
	const n = 2000
	run := func(one func()) time.Duration {
		start := cpuTime()
		for i := 0; i < n; i++ {
			one()
		}
		return (cpuTime() - start) / n
	}
	client := &http.Client{}
	body := `{"model":"bench-model","messages":[{"role":"user","content":"Say something short."}],"stream":true}`
	var engineCPU, rawCPU time.Duration
	for i := 0; i < b.N; i++ {
		engineCPU += run(func() {
			if _, err := chat.Complete(context.Background(), msgs, nil); err != nil {
				b.Fatal(err)
			}
		})
		rawCPU += run(func() {
			resp, err := client.Post(srv.URL+"/v1/chat/completions", "application/json", strings.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		})
	}
	b.ReportMetric(float64(engineCPU.Microseconds())/float64(b.N), "µs-cpu/request")
	b.ReportMetric(float64(rawCPU.Microseconds())/float64(b.N), "µs-cpu/raw-http")
	b.ReportMetric(float64((engineCPU-rawCPU).Microseconds())/float64(b.N), "µs-cpu/overhead")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkStreamingLatency: from the server writing a chunk (its content
// is the time it was written) to the caller's delta callback.
func BenchmarkStreamingLatency(b *testing.B) {
	const chunks = 200
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		fl := w.(http.Flusher)
		for i := 0; i < chunks; i++ {
			fmt.Fprintf(w, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%d \"},\"finish_reason\":null}]}\n\n", time.Now().UnixNano())
			fl.Flush()
			time.Sleep(time.Millisecond)
		}
		fmt.Fprint(w, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
	}))
	defer srv.Close()
	db := benchDB(b, 1)
	cfg := Config{MaxAttempts: 1, Concurrency: 8, Backends: []BackendConfig{{Name: "bench", Kind: KindOpenAI, Roles: []string{RoleGenerator},
		BaseURLs: []string{srv.URL + "/v1"}, Model: "bench-model", Temperature: 0.6, MaxTokens: 64, Concurrency: 8, Timeout: time.Minute}}}
	e := New(db, cfg, Options{})
	defer e.Close()
	var lat []time.Duration
	for i := 0; i < b.N; i++ {
		_, err := e.backends[0].chat.Complete(context.Background(), []store.Message{{Role: "user", Content: "x"}}, func(d Delta) {
			if ns, err := strconv.ParseInt(strings.TrimSpace(d.Text), 10, 64); err == nil {
				lat = append(lat, time.Since(time.Unix(0, ns)))
			}
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) }
	b.ReportMetric(pct(0.5), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
	b.ReportMetric(0, "ns/op")
}
