package engine

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Requests go to the replica with the fewest in flight: with two equally
// fast replicas, a bulk run splits evenly.
func TestReplicasShareTheLoad(t *testing.T) {
	noLeaks(t)
	slow := func(w http.ResponseWriter, r *http.Request, n int) bool {
		time.Sleep(20 * time.Millisecond)
		return false
	}
	a, b := newFake(t, slow), newFake(t, slow)
	e, _ := testEngine(t, 5*time.Second, a.url(), b.url())
	rep, err := e.InferAll(context.Background(), InferOptions{Backend: "fake", Concurrency: 8}, nil)
	if err != nil || rep.Done != 8 {
		t.Fatalf("%+v, %v", rep, err)
	}
	if a.requests.Load() != 4 || b.requests.Load() != 4 {
		t.Errorf("requests %d and %d, want 4 and 4", a.requests.Load(), b.requests.Load())
	}
}

// A retry goes to another replica, and a replica that fails
// replicaFailLimit times in a row is set aside, and said to be: no work is
// lost to a broken replica.
func TestFailingReplicaIsSetAside(t *testing.T) {
	noLeaks(t)
	broken := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
		jsonError(w, 502, "bad gateway")
		return true
	})
	good := newFake(t, nil)
	e, db := testEngine(t, 5*time.Second, broken.url(), good.url())
	var mu sync.Mutex
	var notices []string
	for _, b := range e.backends {
		if ob, ok := b.chat.(*openAIBackend); ok {
			ob.notify = func(s string) { mu.Lock(); notices = append(notices, s); mu.Unlock() }
		}
	}
	// 8 at once: both replicas get their 4 slots' worth at first.
	rep, err := e.InferAll(context.Background(), InferOptions{Backend: "fake", Concurrency: 8}, nil)
	if err != nil || rep.Done != 8 || rep.Failed != 0 {
		t.Fatalf("%+v, %v", rep, err)
	}
	n := broken.requests.Load()
	if n < replicaFailLimit || n > 8 {
		t.Errorf("the broken replica got %d requests, want %d to 8 before it was set aside", n, replicaFailLimit)
	}
	// Set aside, it gets nothing more while the other replica answers.
	rep, err = e.InferAll(context.Background(), InferOptions{Backend: "fake", Concurrency: 8, Force: true}, nil)
	if err != nil || rep.Done != 8 || broken.requests.Load() != n {
		t.Errorf("second run: %+v, %v; the set-aside replica got %d more requests", rep, err, broken.requests.Load()-n)
	}
	if st, _ := db.Stats(); st.Summaries != 16 {
		t.Errorf("%d summaries", st.Summaries)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(notices) != 1 || !contains(notices[0], "backend fake: replica "+broken.url()+" set aside for 30s after 3 failures in a row", "HTTP 502") {
		t.Errorf("notices = %q", notices)
	}
}

// With every replica set aside, requests still go out (to the one set aside
// longest): a backend is never stuck.
func TestAllReplicasSetAsideStillTried(t *testing.T) {
	noLeaks(t)
	var fail atomic.Bool
	fail.Store(true)
	flaky := func(w http.ResponseWriter, r *http.Request, n int) bool {
		if fail.Load() {
			jsonError(w, 503, "warming up")
			return true
		}
		return false
	}
	a, b := newFake(t, flaky), newFake(t, flaky)
	e, _ := testEngine(t, 5*time.Second, a.url(), b.url())
	for i := 0; i < 3; i++ { // 3 users × 3 attempts: both replicas fail 3 times in a row
		if _, err := e.Summarize(context.Background(), []string{"terse-tom", "playful-pia", "bullet-ben"}[i], "fake", nil); err == nil {
			t.Fatal("a request succeeded against failing replicas")
		}
	}
	fail.Store(false)
	s, err := e.Summarize(context.Background(), "skeptic-sam", "fake", nil)
	if err != nil || !strings.Contains(s.Text, "short answers") {
		t.Fatalf("after recovery: %+v, %v", s, err)
	}
}

// Fixed bug: a replica that keeps failing is set aside only the first time.
func TestReviewReplicaSetAsideOnlyOnce(t *testing.T) {
	broken := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
		jsonError(w, 502, "bad gateway")
		return true
	})
	good := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
		time.Sleep(20 * time.Millisecond)
		return false
	})
	e, _ := testEngine(t, 5*time.Second, broken.url(), good.url())
	ob := modelBackend(e)
	var notices []string
	var mu sync.Mutex
	ob.notify = func(s string) { mu.Lock(); notices = append(notices, s); mu.Unlock() }
	rb := ob.replicas[0]
	rep, err := e.InferAll(context.Background(), InferOptions{Backend: "fake", Concurrency: 8}, nil)
	if err != nil || rep.Done != 8 {
		t.Fatal(rep, err)
	}
	ob.mu.Lock()
	aside := time.Now().Before(rb.asideUntil)
	rb.asideUntil = time.Now().Add(-time.Second) // the 30 s are over
	ob.mu.Unlock()
	if !aside {
		t.Fatal("not set aside the first time")
	}
	before := broken.requests.Load()
	for range 3 {
		rep, err = e.InferAll(context.Background(), InferOptions{Backend: "fake", Concurrency: 8, Force: true}, nil)
		if err != nil {
			t.Fatal(rep, err)
		}
	}
	ob.mu.Lock()
	defer ob.mu.Unlock()
	t.Logf("broken replica: fails=%d, got %d more requests after the aside ended; notices %q", rb.fails, broken.requests.Load()-before, notices)
	if !time.Now().Before(rb.asideUntil) {
		t.Errorf("after %d more failures in a row, the broken replica is not set aside again (fails=%d)", broken.requests.Load()-before, rb.fails)
	}
}

// Fixed bug: a single replica that was never set aside is announced as "answers again".
func TestReviewAnswersAgainWithoutSetAside(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) bool {
		if n <= 3 {
			jsonError(w, 503, "warming up")
			return true
		}
		return false
	})
	e, _ := testEngine(t, 5*time.Second, f.url())
	ob := modelBackend(e)
	ob.maxAttempts = 4
	var notices []string
	ob.notify = func(s string) { notices = append(notices, s) }
	if _, err := e.Summarize(context.Background(), "terse-tom", "fake", nil); err != nil {
		t.Fatal(err)
	}
	if len(notices) != 0 {
		t.Errorf("notices %q, though nothing was ever set aside", notices)
	}
}
