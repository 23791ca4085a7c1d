package cli

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/popi-tui/popi-tui/engine/servertest"
)

// `popi-tui backends` on the first run against each server (issue 12 §1):
// the README's example configuration, pointed at llama-server, vLLM,
// Ollama or OpenAI as each is usually started.
func TestBackendsOnEachServer(t *testing.T) {
	const file = "../models/Llama-3.2-3B-Instruct-Q4_K_M.gguf"
	tests := []struct {
		name, kind, served string
		model, path        string // the configuration's model, and what follows the address in base_url
		context            int
		exit               int
		says               []string
	}{
		{"llama-server without --alias", servertest.LlamaCpp, file, "popi-llama-3.2-3b", "/v1", 8192, ExitOK, []string{
			"popi  [openai]  summarizer  model popi-llama-3.2-3b  — ok",
			"ms; llama.cpp; model served: as \"" + file + "\"; /tokenize: yes; prompt log-probabilities: no; context: 8192 tokens (n_ctx of a slot (/props))",
			"chat template: {{- bos_token }}⏎{%- for message in messages %}<|start_header_id|>{{ message['role'] }}<|end_header… (160 bytes)",
			"warning: it serves one model, \"" + file + "\", and answers requests for \"popi-llama-3.2-3b\" with it; to name it as the server does, set model = \"" + file + "\", or start llama-server with --alias popi-llama-3.2-3b"}},
		{"vLLM without /v1", servertest.VLLM, "meta-llama/Llama-3.2-3B-Instruct", "meta-llama/Llama-3.2-3B-Instruct", "", 8192, ExitFailure, []string{
			"— NOT USABLE", "problem: GET /models: HTTP 404: Not Found (did you mean %URL%/v1? It answers GET /v1/models there)"}},
		{"Ollama with a 4k context", servertest.Ollama, "llama3.2:latest", "llama3.2", "/v1", 4096, ExitOK, []string{
			"ms; Ollama; model served: yes; /tokenize: no; prompt log-probabilities: no; context: 4096 tokens (as loaded now (/api/ps))",
			"warning: its context (4096 tokens) is shorter than history_budget (6000) + max_tokens (1024)"}},
		{"OpenAI's gpt-5-mini", servertest.OpenAI, "gpt-5-mini", "gpt-5-mini", "/v1", 400000, ExitOK, []string{
			"popi  [openai]  summarizer  model gpt-5-mini (max_tokens sent as max_completion_tokens)  — ok",
			"model served: yes; /tokenize: no; prompt log-probabilities: no"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			srv := servertest.New(t, tt.kind, tt.served, tt.context)
			srv.Loaded = true // Ollama has the model in memory
			cfg := e.path("config.toml")
			os.WriteFile(cfg, []byte(fmt.Sprintf("[[backend]]\nname = \"popi\"\nrole = \"summarizer\"\nbase_url = %q\nmodel = %q\n", srv.URL()+tt.path, tt.model)), 0o600)
			r := e.mustRun(tt.exit, "backends", "--db", e.demoDB(), "--config", cfg)
			for _, want := range tt.says {
				if want = strings.ReplaceAll(want, "%URL%", srv.URL()); !strings.Contains(r.stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
				}
			}
		})
	}
}

// Ollama with a context shorter than the histories cuts them without a
// word: infer says so, once, above its progress.
func TestInferWarnsOfACutPromptOnce(t *testing.T) {
	e := newTestEnv(t)
	srv := servertest.New(t, servertest.Ollama, "llama3.2:latest", 600)
	cfg := e.path("config.toml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("[[backend]]\nname = \"popi\"\nrole = \"summarizer\"\nbase_url = %q\nmodel = \"llama3.2\"\n", srv.URL()+"/v1")), 0o600)
	r := e.mustRun(ExitOK, "infer", "--db", e.demoDB(), "--config", cfg)
	if n := strings.Count(r.stderr, "it cut the prompt to fit its context"); n != 1 || !strings.Contains(r.stderr, "read 600 prompt tokens of the ~") ||
		!strings.Contains(r.stderr, "OLLAMA_CONTEXT_LENGTH") {
		t.Errorf("%d warnings in stderr:\n%s", n, r.stderr)
	}
}

// A chat template is shown on one line, cut, with nothing a server put in
// it reaching the terminal as a control sequence.
func TestTemplateGlimpse(t *testing.T) {
	tests := []struct{ tpl, want string }{
		{"{{ a }}\n{{ b }}", "{{ a }}⏎{{ b }} (15 bytes)"},
		{"\n  {{ a }}  \n", "{{ a }} (13 bytes)"},
		{"x\x1b]8;;http://evil\x07y\x1b[31mz", "xyz (25 bytes)"},
		{strings.Repeat("é", 150), strings.Repeat("é", 99) + "… (300 bytes)"},
	}
	for _, tt := range tests {
		got := templateGlimpse(tt.tpl)
		if !strings.HasPrefix(got, tt.want) || strings.ContainsAny(got, "\x1b\x07\n") {
			t.Errorf("templateGlimpse(%q) = %q, want %q", tt.tpl, got, tt.want)
		}
	}
}
