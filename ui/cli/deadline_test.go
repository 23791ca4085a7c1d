package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/engine/vllmtest"
)

// A server that streams empty chunks forever, each well within the idle
// timeout: the deadline of the configuration file ends the request, once
// (it is not tried again), and the failure names the backend.
func TestDeadlineFromConfiguration(t *testing.T) {
	// Only the chat requests count: the engine may also ask the server
	// what it is (/v1/models, /tokenize), which trickles too.
	var requests atomic.Int32
	trickle := vllmtest.Trickle(10*time.Millisecond, nil)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/chat/completions" {
			requests.Add(1)
		}
		trickle.ServeHTTP(w, r)
	}))
	defer srv.Close()
	e := newTestEnv(t)
	db := e.demoDB()
	cfg := e.path("deadline.toml")
	text := fmt.Sprintf("max_attempts = 3\ndeadline = \"300ms\"\n\n[[backend]]\nname = \"slow\"\nrole = \"summarizer\"\nbase_url = %q\nmodel = \"tiny\"\ntimeout = \"100ms\"\n", srv.URL+"/v1")
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r := e.mustRun(ExitFailure, "infer", "--db", db, "--config", cfg, "--user", "terse-tom")
	if !strings.Contains(r.stderr, "1 × backend slow: no complete answer within 300ms (deadline) (e.g. user terse-tom)") {
		t.Errorf("stderr = %q", r.stderr)
	}
	if d := time.Since(start); d > 5*time.Second || requests.Load() != 1 {
		t.Errorf("%d chat requests in %v, want 1 ended by the deadline", requests.Load(), d)
	}
}
