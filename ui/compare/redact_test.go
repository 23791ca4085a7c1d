package compare

import (
	"testing"

	"github.com/popi-tui/popi-tui/engine"
)

func TestRedactorKeepsErrorsBlind(t *testing.T) {
	r := newRedactor([]engine.BackendConfig{
		{Name: "alpha", Model: "alpha-70b-instruct", BaseURLs: []string{"http://127.0.0.1:8081/v1"}},
		{Name: "beta", Model: "Qwen/Qwen2.5-7B", BaseURLs: []string{"http://gpu-b:8000/v1"}},
		{Name: "gamma", Model: "g", BaseURLs: []string{"http://user:pw@gpu-c:9000/v1"}},
		{Name: "gp", Model: "x"}, // too short to replace
	})
	tests := []struct{ in, want string }{
		{"The model alpha-70b-instruct does not exist.", "The model [backend] does not exist."},
		{"backend ALPHA: HTTP 404", "backend [backend]: HTTP 404"},
		{"model qwen/qwen2.5-7b not loaded", "model [backend] not loaded"},
		{`Post "http://gpu-b:8000/v1/chat/completions": connection refused`, `Post "[backend]/chat/completions": connection refused`},
		// The engine prints addresses without their credentials.
		{`replica http://[redacted]@gpu-c:9000/v1 set aside`, `replica [backend] set aside`},
		{"beta and alpha both failed", "[backend] and [backend] both failed"},
		{"a gp of x", "a gp of x"},
		{"nothing to hide", "nothing to hide"},
	}
	for _, tt := range tests {
		if got := r.redact(tt.in); got != tt.want {
			t.Errorf("redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := newRedactor(nil).redact("alpha"); got != "alpha" {
		t.Errorf("no backends: %q", got)
	}
}
