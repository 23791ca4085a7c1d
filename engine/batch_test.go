package engine

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/engine/internal/enginetest"
	"github.com/popi-tui/popi-tui/store"
)

// Bulk runs (batch.go): what a run counts and reports.

// Fixed bug: items that never sent a request are counted as requests.
func TestReviewRequestsCountedWithoutRequests(t *testing.T) {
	f := newFake(t, nil)
	e, _ := testEngine(t, 5*time.Second, f.url())
	rep, err := e.GenerateAll(context.Background(), GenerateOptions{Backends: []string{"fake"}, Conditions: []string{store.ConditionSummary}, Concurrency: 4}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("report %+v; server saw %d requests", rep.Progress, f.requests.Load())
	if rep.Requests != int(f.requests.Load()) {
		t.Errorf("report counts %d requests (%.1f/s), the server got %d", rep.Requests, rep.RequestsPerSecond(), f.requests.Load())
	}
}

// Fixed bug: per-item text in the reason: one failure cause, one line per user.
func TestReviewReasonNamesTheItem(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
		enginetest.WriteStream(w, "fake-model", []string{"<think>hmm"}, "length")
		return true
	})
	e, _ := testEngine(t, 5*time.Second, f.url())
	rep, err := e.InferAll(context.Background(), InferOptions{Backend: "fake", Concurrency: 4}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range rep.Errors {
		t.Logf("%d × %s", c.Count, c.Reason)
	}
	if len(rep.Errors) != 1 {
		t.Errorf("%d failures of one cause reported as %d distinct reasons", rep.Failed, len(rep.Errors))
	}
}

// Fixed bug: duplicate conditions (or backends, users) do the work twice.
func TestReviewDuplicateConditions(t *testing.T) {
	f := newFake(t, nil)
	e, _ := testEngine(t, 5*time.Second, f.url())
	rep, err := e.GenerateAll(context.Background(), GenerateOptions{Users: []string{"terse-tom"}, Backends: []string{"fake"}, Conditions: []string{"none", "none"}, Concurrency: 8}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v, server requests %d", rep.Progress, f.requests.Load())
	// terse-tom has 4 prompts (1 held-out, 3 tasks): each asked for once.
	if rep.Total != 4 || rep.Done != 4 || f.requests.Load() != 4 {
		t.Errorf("total %d, done %d, requests %d; want 4 each", rep.Total, rep.Done, f.requests.Load())
	}
}
