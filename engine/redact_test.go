package engine

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/engine/vllmtest"
)

func TestRedact(t *testing.T) {
	const key = "sk-proj-A1b2/C3d4+E5f6="
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	r := newRedactor([]string{key, "", "k9", " padded-key-123 "},
		[]string{"http://alice:p%40ss-w0rd@gpu1:8000/v1", "https://tokenonly@gpu2/v1", "http://plain:8000/v1", "::not a url"})
	tests := []struct{ name, in, want string }{
		{"the key", "bad key " + key + ".", "bad key [redacted]."},
		{"the key in base64", "got " + b64(key), "got [redacted]"},
		{"the key percent-encoded", "url ?key=sk-proj-A1b2%2FC3d4%2BE5f6%3D", "url ?key=[redacted]"},
		{"the key escaped in JSON", `{"k":"sk-proj-A1b2\/C3d4+E5f6="}`, `{"k":"[redacted]"}`},
		{"the key glued to text", "xx" + key + "yy", "xx[redacted]yy"},
		{"a key trimmed by the server", "key padded-key-123!", "key [redacted]!"},
		{"a short key alone", "bad key k9", "bad key [redacted]"},
		{"a short key inside a word is left", "k9s and ok9", "k9s and ok9"},
		{"Bearer of any value", "Authorization: Bearer other-token_1.x", "Authorization: Bearer [redacted]"},
		{"bearer in any case", "BEARER abc", "BEARER [redacted]"},
		{"Basic of any value", "Basic dXNlcjpwYXNz", "Basic [redacted]"},
		{"the configured Basic credentials", "creds " + b64("alice:p@ss-w0rd"), "creds [redacted]"},
		{"the password", "password p@ss-w0rd refused", "password [redacted] refused"},
		{"the userinfo as written", "alice:p%40ss-w0rd", "[redacted]"},
		{"userinfo in an url.Error", `Post "http://alice:p%40ss-w0rd@gpu1:8000/v1/chat/completions": dial tcp: connection refused`,
			`Post "http://[redacted]@gpu1:8000/v1/chat/completions": dial tcp: connection refused`},
		{"userinfo of any URL", "see https://bob:hunter2@example.com/x?y=z@w", "see https://[redacted]@example.com/x?y=z@w"},
		{"a user without a password is a token", "token tokenonly", "token [redacted]"},
		{"ordinary text is kept", "HTTP 500: out of memory at http://plain:8000/v1", "HTTP 500: out of memory at http://plain:8000/v1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.redact(tt.in); got != tt.want {
				t.Errorf("redact(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	var none *redactor // no secrets known: the patterns still apply
	if got := none.redact("Bearer x at http://u:p@h/"); got != "Bearer [redacted] at http://[redacted]@h/" {
		t.Errorf("nil redactor: %q", got)
	}
}

// A sealed error says nothing secret, whatever the error under it printed,
// and still answers errors.Is for what it stands for.
func TestSealedBackendError(t *testing.T) {
	r := newRedactor([]string{"sk-secret-value"}, nil)
	under := fmt.Errorf("error, status code: 401, message: bad key sk-secret-value: %w", context.DeadlineExceeded)
	be := r.seal(&BackendError{Backend: "b", Status: 401, Msg: "bad key sk-secret-value", Err: under})
	for _, text := range []string{be.Error(), be.Msg, be.Err.Error(), fmt.Sprintf("%+v", be)} {
		if strings.Contains(text, "sk-secret-value") {
			t.Errorf("%q holds the key", text)
		}
	}
	if !errors.Is(be, context.DeadlineExceeded) {
		t.Error("the sealed error no longer is what it stood for")
	}
	// A BackendError made without the redactor still hides credentials.
	if got := (&BackendError{Backend: "b", Msg: "echo: Bearer sk-x"}).Error(); got != "backend b: echo: Bearer [redacted]" {
		t.Errorf("Error() = %q", got)
	}
}

// A server that keeps answering, a little at a time, without ever
// finishing: every kind of request ends at the backend's deadline, says
// so naming the backend, is not tried again, and leaves nothing running.
func TestFaultDeadline(t *testing.T) {
	noLeaks(t)
	var requests atomic.Int32
	srv := httptest.NewServer(vllmtest.Trickle(10*time.Millisecond, func() { requests.Add(1) }))
	defer srv.Close()
	e, _ := testEngine(t, 5*time.Second, srv.URL+"/v1")
	ob := e.backends[0].chat.(*openAIBackend)
	ob.cfg.Deadline = 300 * time.Millisecond
	ctx := context.Background()
	errText := func(err error) string {
		if err == nil {
			return ""
		}
		return err.Error()
	}
	tests := []struct {
		name string
		run  func() string // the error
		want string
	}{
		{"streamed completion", func() string { _, err := summarize(t, e); return errText(err) },
			"backend fake: no complete answer within 300ms (deadline)"},
		{"scoring", func() string {
			_, err := ob.request(ctx, "score", false, "/completions", map[string]any{"prompt": []int{1}})
			return errText(err)
		}, "backend fake: score: no complete answer within 300ms (deadline)"},
		{"tokenize", func() string { _, err := ob.tokenizeOn(ctx, ob.replicas[0], "text"); return errText(err) },
			"backend fake: tokenize: no complete answer within 300ms (deadline)"},
		{"check", func() string { return e.Check(ctx, "fake").Replicas[0].Problem },
			"GET /models: no complete answer within 300ms (deadline)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := requests.Load()
			start := time.Now()
			got := tt.run()
			if got != tt.want {
				t.Errorf("error %q, want %q", got, tt.want)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("took %v: the deadline did not end it", d)
			}
			if n := requests.Load() - before; n != 1 {
				t.Errorf("%d requests, want 1: a request past its deadline is not tried again", n)
			}
		})
	}
}
