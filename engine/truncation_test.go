package engine

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/popi-tui/popi-tui/engine/servertest"
)

// A server that cuts a prompt to fit its context says so only in its
// usage: the engine compares that with what it sent and warns, once per
// backend, through its notices.
func TestCutPromptIsWarnedOfOnce(t *testing.T) {
	tests := []struct {
		name, kind string
		context    int
		want       []string // in the one notice; none when nil
	}{
		// Ollama has no /tokenize: the count sent is estimated.
		{"Ollama, small context", servertest.Ollama, 600, []string{"backend srv: replica ", "read 600 prompt tokens of the ~", "(estimated) sent",
			"it cut the prompt to fit its context", "OLLAMA_CONTEXT_LENGTH", "history_budget"}},
		{"Ollama, room enough", servertest.Ollama, 100000, nil},
		// llama.cpp started with --context-shift cuts too; it counts exactly.
		{"llama.cpp, small --ctx-size", servertest.LlamaCpp, 600, []string{"read 600 prompt tokens of the ", "--ctx-size"}},
		{"llama.cpp, room enough", servertest.LlamaCpp, 100000, nil},
		// vLLM refuses a prompt too long rather than cut it: never warned of.
		{"vLLM, room enough", servertest.VLLM, 100000, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			model := "m:latest"
			srv := servertest.New(t, tt.kind, model, tt.context)
			e, n := serverEngine(t, srv.URL()+"/v1", model, nil)
			for _, user := range []string{"thorough-theo", "formal-fiona", "terse-tom"} {
				if _, err := e.Summarize(context.Background(), user, "srv", nil); err != nil {
					t.Fatal(err)
				}
			}
			got := n.all()
			if c := srv.Count("/tokenize"); tt.kind == servertest.VLLM && c != 6 {
				t.Errorf("vLLM got %d /tokenize requests, want 6 (history and summary, per summary): it is not checked", c)
			}
			if tt.want == nil {
				if len(got) != 0 {
					t.Errorf("notices %q, want none", got)
				}
				return
			}
			t.Log(got)
			if len(got) != 1 || !contains(got[0], tt.want...) {
				t.Errorf("notices %q, want one with %q", got, tt.want)
			}
		})
	}
}

// Estimates are off by about a fifth either way: a server that read a
// little fewer tokens than estimated has not cut anything.
func TestEstimateShortfallIsNoCut(t *testing.T) {
	tests := []struct {
		read, sent int
		exact, cut bool
	}{
		{read: 999, sent: 1000, exact: true, cut: true},
		{read: 1000, sent: 1000, exact: true, cut: false},
		{read: 850, sent: 1000, exact: false, cut: false},
		{read: 790, sent: 1000, exact: false, cut: true},
	}
	for _, tt := range tests {
		if got := promptCut(tt.read, tt.sent, tt.exact); got != tt.cut {
			t.Errorf("promptCut(%d, %d, exact %v) = %v", tt.read, tt.sent, tt.exact, got)
		}
	}
}

// The notice names the replica without its credentials, and holds no key.
func TestCutPromptNoticeIsRedacted(t *testing.T) {
	srv := servertest.New(t, servertest.Ollama, "m:latest", 600)
	u, _ := url.Parse(srv.URL())
	u.User = url.UserPassword("kim", "hunter2-secret")
	e, n := serverEngine(t, u.String()+"/v1", "m:latest", nil)
	if _, err := e.Summarize(context.Background(), "thorough-theo", "srv", nil); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(n.all(), "\n")
	if !strings.Contains(got, "read 600 prompt tokens") || strings.Contains(got, "hunter2") || strings.Contains(got, "kim:") {
		t.Errorf("notice %q", got)
	}
}

// A refusal for a prompt longer than the context is given what to change;
// llama-server is known by its words before anything asked what it is.
func TestContextHint(t *testing.T) {
	tests := []struct {
		name   string
		kind   serverKind
		status int
		msg    string
		want   string // "" for no hint
	}{
		{"llama-server, kind not yet known", serverUnknown, 400, "request (5429 tokens) exceeds the available context size (4096 tokens), try increasing it", "--kv-unified"},
		{"vLLM", serverVLLM, 400, "This model's maximum context length is 8192 tokens. However, you requested 9000 tokens", "Give the server a longer context"},
		{"Ollama's kind, llama's words", serverOllama, 400, "exceeds the available context size", "OLLAMA_CONTEXT_LENGTH"},
		{"another 400", serverLlamaCpp, 400, "invalid temperature", ""},
		{"the words, another status", serverLlamaCpp, 500, "exceeds the available context size", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &openAIBackend{}
			got := b.contextHint(&replica{kind: tt.kind, kindKnown: tt.kind != serverUnknown}, tt.status, tt.msg)
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) || (got != "" && !strings.Contains(got, "history_budget")) {
				t.Errorf("contextHint = %q, want one with %q", got, tt.want)
			}
		})
	}
}
