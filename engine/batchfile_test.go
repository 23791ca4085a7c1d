package engine

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
)

// usersJSONL is n users with two history pairs and a task each, their
// texts differing by user so that every request differs.
func usersJSONL(n int) string {
	var b strings.Builder
	for i := range n {
		for j := range 2 {
			fmt.Fprintf(&b, `{"user":"u%06d","kind":"pair","prompt":"question %d of %d","chosen":"short %d","rejected":"a much longer answer %d that goes on"}`+"\n", i, j, i, i, i)
		}
		fmt.Fprintf(&b, `{"user":"u%06d","kind":"task","id":"t1","prompt":"task of %d"}`+"\n", i, i)
	}
	return b.String()
}

// heapWatch samples the live heap (after a collection) whenever a run
// reports progress, to show that a run's memory does not grow with its
// file.
type heapWatch struct {
	mu         sync.Mutex
	base, peak uint64
}

func newHeapWatch() *heapWatch {
	h := &heapWatch{}
	h.base = liveHeap()
	return h
}

func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func (h *heapWatch) sample(Progress) {
	n := liveHeap()
	h.mu.Lock()
	h.peak = max(h.peak, n)
	h.mu.Unlock()
}

// grew is how far the live heap rose above where it was at the start.
func (h *heapWatch) grew() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return max(h.peak, h.base) - h.base
}

// The round trip at scale: the requests of 100,000 users written, answered
// as vLLM's run-batch answers them, and read back store the summaries a
// live run stores against the same server; memory stays flat throughout,
// and reading the results again stores nothing.
func TestBatchRoundTripEqualsLive(t *testing.T) {
	n := 100_000
	if testing.Short() {
		n = 2_000
	}
	url := batchServer(t, false)
	jsonl := usersJSONL(n)
	live := storetest.Open(t)
	storetest.Import(t, live, jsonl)
	if rep, err := batchEngine(t, live, url, nil).InferAll(context.Background(), InferOptions{Backend: "fake", Concurrency: 64}, nil); err != nil || rep.Done != n {
		t.Fatalf("live infer: %+v, %v", rep, err)
	}

	db := storetest.Open(t)
	storetest.Import(t, db, jsonl)
	e := batchEngine(t, db, url, nil)
	jsonl = ""
	heap := newHeapWatch()
	reqs, out := writeBatchOut(t, func(ctx context.Context, w io.Writer) (Report, error) {
		return e.InferBatchOut(ctx, w, InferOptions{Backend: "fake"}, heap.sample)
	})
	if out.Done != n || out.Failed != 0 {
		t.Fatalf("batch out: %+v", out)
	}
	results := filepath.Join(t.TempDir(), "results.jsonl")
	runBatch(t, reqs, results, nil)
	rep := batchInWith(t, e, BatchSummaries, false, heap.sample, results)
	if rep.Done != n || rep.Failed+rep.Refused+rep.Skipped != 0 {
		t.Fatalf("batch in: %+v", rep)
	}
	fi, _ := os.Stat(results)
	if grew := heap.grew(); grew > 24<<20 {
		t.Errorf("the live heap grew by %.1f MiB over a %.0f MB results file: memory is not flat", float64(grew)/(1<<20), float64(fi.Size())/1e6)
	}
	t.Logf("%d requests; results %.0f MB; the live heap grew by at most %.1f MiB", n, float64(fi.Size())/1e6, float64(heap.grew())/(1<<20))

	for i := range n {
		u := fmt.Sprintf("u%06d", i)
		want, _ := live.Summaries(u)
		got, _ := db.Summaries(u)
		if len(got) == 1 && len(want) == 1 {
			got[0].ID, got[0].CreatedAt = want[0].ID, want[0].CreatedAt // a store's own
		}
		if len(got) != 1 || len(want) != 1 || !reflect.DeepEqual(got[0], want[0]) {
			t.Fatalf("user %s: batch stored\n%v\nlive stored\n%v", u, got, want)
		}
	}
	again := batchIn(t, e, BatchSummaries, false, results)
	if again.Done != 0 || again.Skipped != n {
		t.Errorf("reading the results again: %+v, want nothing stored and %d skipped", again, n)
	}
	if out2, _ := writeBatchOut(t, func(ctx context.Context, w io.Writer) (Report, error) {
		return e.InferBatchOut(ctx, w, InferOptions{Backend: "fake"}, nil)
	}); fileSize(t, out2) != 0 {
		t.Errorf("a second --batch-out after the results are in asks again")
	}
}

// batchInWith is batchIn with a progress function.
func batchInWith(t testing.TB, e *Engine, kind string, force bool, progress func(Progress), paths ...string) BatchInReport {
	t.Helper()
	f, err := os.Open(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := e.BatchIn(context.Background(), []BatchFile{{Name: filepath.Base(paths[0]), R: f}}, BatchInOptions{Kind: kind, Force: force}, progress)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func fileSize(t testing.TB, path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// Summaries with the server's token counts (/tokenize) and generations
// under every condition come back from a batch file as a live request
// stores them.
func TestBatchGenerationsAndTokensEqualLive(t *testing.T) {
	url := batchServer(t, true)
	jsonl := usersJSONL(20)
	live, db := storetest.Open(t), storetest.Open(t)
	storetest.Import(t, live, jsonl)
	storetest.Import(t, db, jsonl)
	el, e := batchEngine(t, live, url, nil), batchEngine(t, db, url, nil)
	if _, err := el.InferAll(context.Background(), InferOptions{Backend: "fake"}, nil); err != nil {
		t.Fatal(err)
	}
	reqs, _ := writeBatchOut(t, func(ctx context.Context, w io.Writer) (Report, error) {
		return e.InferBatchOut(ctx, w, InferOptions{Backend: "fake"}, nil)
	})
	results := filepath.Join(t.TempDir(), "results.jsonl")
	runBatch(t, reqs, results, nil)
	batchIn(t, e, BatchSummaries, false, results)
	want, _ := live.Summaries("u000003")
	got, _ := db.Summaries("u000003")
	if comparable(t, got) != comparable(t, want) || got[0].TokensEstimated {
		t.Fatalf("summary: batch stored\n%+v\nlive stored\n%+v", got, want)
	}

	conditions := []string{store.ConditionSummary, store.ConditionRaw, store.ConditionNone}
	reqs, out := writeBatchOut(t, func(ctx context.Context, w io.Writer) (Report, error) {
		return e.GenerateBatchOut(ctx, w, GenerateOptions{Backends: []string{"fake"}, Conditions: conditions}, nil)
	})
	if out.Done != 20*3 {
		t.Fatalf("generate batch out: %+v", out)
	}
	runBatch(t, reqs, results, nil)
	if rep := batchIn(t, e, BatchGeneration, false, results); rep.Done != 60 {
		t.Fatalf("generate batch in: %+v", rep)
	}
	for _, c := range conditions {
		req := GenerateRequest{User: "u000007", PromptID: "t1", Condition: c, Backend: "fake"}
		stored, cached, err := e.Generate(context.Background(), req, nil)
		if err != nil || !cached {
			t.Fatalf("%s: the batch answer is not the cached one: %v", c, err)
		}
		req.Force = true
		fresh, _, err := e.Generate(context.Background(), req, nil)
		if err != nil || comparable(t, stored) != comparable(t, fresh) {
			t.Errorf("%s: batch stored\n%s\nlive stores\n%s (%v)", c, comparable(t, stored), comparable(t, fresh), err)
		}
	}
	if rep := batchIn(t, e, BatchGeneration, true, results); rep.Done != 0 {
		t.Errorf("the same results again, with Force: %+v, want nothing stored", rep)
	}
}

// Results read under a stopped context store nothing half-made, and say
// the run was interrupted; reading them again stores them.
func TestBatchInInterrupted(t *testing.T) {
	url := batchServer(t, true)
	db := storetest.DemoDB(t)
	e := batchEngine(t, db, url, nil)
	reqs, _ := writeBatchOut(t, func(ctx context.Context, w io.Writer) (Report, error) {
		return e.InferBatchOut(ctx, w, InferOptions{Backend: "fake"}, nil)
	})
	results := filepath.Join(t.TempDir(), "results.jsonl")
	runBatch(t, reqs, results, nil)
	f, err := os.Open(results)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rep, err := e.BatchIn(ctx, []BatchFile{{Name: "results.jsonl", R: f}}, BatchInOptions{Kind: BatchSummaries}, nil)
	if err != nil || !rep.Interrupted || rep.Done != 0 || storetest.Stats(t, db).Summaries != 0 {
		t.Fatalf("stopped run: %+v, %v", rep, err)
	}
	if rep := batchIn(t, e, BatchSummaries, false, results); rep.Done != 8 {
		t.Errorf("the run again: %+v", rep)
	}
}
