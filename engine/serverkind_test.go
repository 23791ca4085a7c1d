package engine

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/popi-tui/popi-tui/engine/servertest"
)

// llama-server started without --alias names its one model by the path of
// its file, and answers requests for any name with it: usable, with a
// warning that says how to make the names agree. vLLM and Ollama refuse
// another name: not usable, and told which name to use.
func TestOneModelUnderAnotherID(t *testing.T) {
	const file = "../models/Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf"
	tests := []struct {
		kind, served string
		usable       bool
		says         []string
	}{
		{servertest.LlamaCpp, file, true, []string{`it serves one model, "` + file + `", and answers requests for "popi-llama-3.2-3b" with it`,
			`set model = "` + file + `", or start llama-server with --alias popi-llama-3.2-3b`}},
		{servertest.VLLM, "meta-llama/Llama-3.2-3B-Instruct", false, []string{`it does not serve model "popi-llama-3.2-3b" (it serves [meta-llama/Llama-3.2-3B-Instruct]): set model = "meta-llama/Llama-3.2-3B-Instruct"`}},
		{servertest.Ollama, "llama3.2:latest", false, []string{`it does not serve model "popi-llama-3.2-3b" (it serves [llama3.2:latest]): set model = "llama3.2:latest"`}},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			srv := servertest.New(t, tt.kind, tt.served, 8192)
			e, _ := serverEngine(t, srv.URL()+"/v1", "popi-llama-3.2-3b", nil)
			h := e.Check(context.Background(), "srv")
			_, err := e.Summarize(context.Background(), "terse-tom", "srv", nil)
			if len(h.Replicas) != 1 || h.OK() != tt.usable || (err == nil) != tt.usable {
				t.Fatalf("check %+v (usable %v), summarize %v; want usable %v", h, h.OK(), err, tt.usable)
			}
			r := h.Replicas[0]
			said := strings.Join(append(r.Warnings, r.Problem), "\n")
			for _, want := range tt.says {
				if !strings.Contains(said, want) {
					t.Errorf("check says %q, want %q", said, want)
				}
			}
			if tt.usable && (r.ServedAs != tt.served || r.Server != tt.kind) {
				t.Errorf("served as %q by %q", r.ServedAs, r.Server)
			}
		})
	}
}

// Each server's /tokenize is sent the fields it reads: vLLM warns of any
// other and adds a BOS unless told add_special_tokens false, llama.cpp
// reads content and add_special. The count is of the text alone.
func TestTokenizeSendsEachServerItsFields(t *testing.T) {
	tests := []struct {
		kind string
		want map[string]any // the fields of every /tokenize request
	}{
		{servertest.VLLM, map[string]any{"model": "m", "prompt": "The quick brown fox jumps", "add_special_tokens": false}},
		{servertest.LlamaCpp, map[string]any{"model": "m", "content": "The quick brown fox jumps", "add_special": false}},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			srv := servertest.New(t, tt.kind, "m", 8192)
			e, _ := serverEngine(t, srv.URL()+"/v1", "m", nil)
			for range 2 {
				n, exact, err := modelBackend(e).Tokenize(context.Background(), "The quick brown fox jumps")
				if n != 8 || !exact || err != nil { // The, quic+k, brow+n, fox, jump+s: no BOS
					t.Errorf("Tokenize = %d, %v, %v; want 8 exact", n, exact, err)
				}
			}
			reqs := srv.Requests("/tokenize")
			for _, r := range reqs {
				if len(r) != len(tt.want) {
					t.Errorf("request %v, want %v", r, tt.want)
				}
				for k, v := range tt.want {
					if r[k] != v {
						t.Errorf("request %v: %s = %v, want %v", r, k, r[k], v)
					}
				}
			}
			if len(reqs) != 2 || len(srv.IgnoredFields()) > 0 && tt.kind == servertest.VLLM {
				t.Errorf("%d requests; vLLM ignored %v", len(reqs), srv.IgnoredFields())
			}
		})
	}
}

// A vLLM whose /v1/models does not say it is vLLM (a proxy in front of it)
// is told from its first /tokenize answer, and sent its own fields after.
func TestTokenizeLearnsVLLMFromItsAnswer(t *testing.T) {
	srv := servertest.New(t, servertest.VLLM, "m", 8192)
	e, _ := serverEngine(t, srv.URL()+"/v1", "m", nil)
	ob := modelBackend(e)
	ob.replicas[0].kindKnown = true // as if /v1/models had said nothing
	for range 3 {
		if n, exact, _ := ob.Tokenize(context.Background(), "The quick brown fox jumps"); n != 8 || !exact {
			t.Errorf("Tokenize = %d, %v", n, exact)
		}
	}
	if ignored := srv.IgnoredFields(); !slices.Equal(ignored, []string{"content", "add_special"}) && !slices.Equal(ignored, []string{"add_special", "content"}) {
		t.Errorf("vLLM ignored %v; want the fields of the first request only", ignored)
	}
}

// `backends` reports the context a request gets where the server says:
// vLLM's max_model_len, llama.cpp's /props, Ollama's num_ctx, loaded
// context or the model's most; and warns when the history budget and the
// answer do not fit in it.
func TestCheckReportsContextLength(t *testing.T) {
	tests := []struct {
		name, kind, model string
		edit              func(*servertest.Server)
		context           int
		source            string
	}{
		{"vLLM", servertest.VLLM, "m", nil, 4096, "max_model_len"},
		{"llama.cpp", servertest.LlamaCpp, "m", nil, 4096, "n_ctx of a slot (/props)"},
		{"Ollama num_ctx", servertest.Ollama, "m:latest", func(s *servertest.Server) { s.NumCtx = 4096 }, 4096, "the model's num_ctx (/api/show)"},
		{"Ollama loaded", servertest.Ollama, "m:latest", func(s *servertest.Server) { s.Loaded = true }, 4096, "as loaded now (/api/ps)"},
		{"Ollama not loaded", servertest.Ollama, "m:latest", func(s *servertest.Server) { s.TrainedContext = 4096 }, 4096, "the model's most (/api/show)"},
		{"hosted", servertest.OpenAI, "m", nil, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := servertest.New(t, tt.kind, tt.model, 4096)
			if tt.edit != nil {
				tt.edit(srv)
			}
			e, _ := serverEngine(t, srv.URL()+"/v1", "m", nil)
			h := e.Check(context.Background(), "srv")
			r := h.Replicas[0]
			if r.ContextLength != tt.context || !strings.HasPrefix(r.ContextSource, tt.source) || !h.OK() {
				t.Errorf("context %d (%s), ok %v %q; want %d (%s)", r.ContextLength, r.ContextSource, h.OK(), r.Problem, tt.context, tt.source)
			}
			short := slices.ContainsFunc(r.Warnings, func(w string) bool {
				return strings.Contains(w, "its context (4096 tokens) is shorter than history_budget (6000) + max_tokens (256)")
			})
			if short != (tt.context > 0) {
				t.Errorf("warnings %q", r.Warnings)
			}
		})
	}
}
