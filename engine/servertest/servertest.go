// Package servertest is llama.cpp's llama-server, vLLM, Ollama and
// OpenAI's hosted API as a first run meets them, on loopback, for the
// tests of what popi-tui tells a person about a server: the routes each
// serves (with or without /v1), what its GET /v1/models says of itself
// (owned_by, max_model_len), the fields its /tokenize reads, where it
// reports its context length (llama.cpp's /props, Ollama's /api/show and
// /api/ps), what it does with a prompt longer than its context (cut or
// refused) and with a model name it does not serve, and the parameters
// OpenAI's reasoning models refuse. The shapes are those of each server's
// own documentation (llama.cpp tools/server/README.md, vLLM's OpenAI-
// compatible server protocol, Ollama docs/api.md and openai/openai.go,
// OpenAI's API reference). The tokenizer is a toy: a word is one token a
// started four bytes, about what BPE tokenizers make of English.
package servertest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Kinds of server.
const (
	LlamaCpp = "llama.cpp"
	VLLM     = "vLLM"
	Ollama   = "Ollama"
	OpenAI   = "OpenAI"
)

// Server is one fake server. Set its fields before the first request.
type Server struct {
	Kind string
	// Model is the one model served: llama-server's id is the path of
	// its file unless started with --alias; Ollama's ends in ":latest".
	Model string
	// Context is the tokens of context a request gets; a longer prompt is
	// cut to it (llama.cpp with --context-shift, Ollama) or refused (vLLM,
	// OpenAI).
	Context int
	// NumCtx is the num_ctx Ollama's model sets (PARAMETER num_ctx), 0 for
	// none; Loaded says whether Ollama has it in memory (/api/ps), with
	// Context as its context_length; TrainedContext is its model_info
	// "llama.context_length".
	NumCtx         int
	Loaded         bool
	TrainedContext int

	srv  *httptest.Server
	mu   sync.Mutex
	reqs map[string][]map[string]any // the JSON bodies received, by path
}

// New starts a fake server of kind serving model with context tokens of
// context, closed when the test ends.
func New(t testing.TB, kind, model string, context int) *Server {
	s := &Server{Kind: kind, Model: model, Context: context, TrainedContext: 131072, reqs: map[string][]map[string]any{}}
	mux := http.NewServeMux()
	switch kind {
	case LlamaCpp:
		// llama-server answers the OpenAI routes with and without /v1.
		for _, p := range []string{"", "/v1"} {
			mux.HandleFunc("GET "+p+"/models", s.models)
			mux.HandleFunc("POST "+p+"/chat/completions", s.chat)
		}
		mux.HandleFunc("POST /tokenize", s.tokenize)
		mux.HandleFunc("GET /props", s.props)
	case VLLM:
		mux.HandleFunc("GET /v1/models", s.models)
		mux.HandleFunc("POST /v1/chat/completions", s.chat)
		mux.HandleFunc("POST /tokenize", s.tokenize)
		mux.HandleFunc("GET /version", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, map[string]any{"version": "0.11.0"}) })
	case Ollama:
		mux.HandleFunc("GET /v1/models", s.models)
		mux.HandleFunc("POST /v1/chat/completions", s.chat)
		mux.HandleFunc("GET /api/version", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, map[string]any{"version": "0.17.4"}) })
		mux.HandleFunc("POST /api/show", s.show)
		mux.HandleFunc("GET /api/ps", s.ps)
	case OpenAI:
		mux.HandleFunc("GET /v1/models", s.models)
		mux.HandleFunc("POST /v1/chat/completions", s.chat)
	}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern == "" {
			s.notFound(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the server's address, without /v1.
func (s *Server) URL() string { return s.srv.URL }

// Requests are the JSON bodies received on path (such as "/tokenize").
func (s *Server) Requests(path string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]map[string]any(nil), s.reqs[path]...)
}

// Count is the number of requests received on path, bodies or not.
func (s *Server) Count(path string) int { return len(s.Requests(path)) }

// read decodes a request's JSON body and records it under its path.
func (s *Server) read(r *http.Request) map[string]any {
	body := map[string]any{}
	json.NewDecoder(r.Body).Decode(&body)
	s.mu.Lock()
	s.reqs[r.URL.Path] = append(s.reqs[r.URL.Path], body)
	s.mu.Unlock()
	return body
}

// notFound answers a route the server does not have, as each does.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.read(r)
	switch s.Kind {
	case LlamaCpp:
		writeJSON(w, 404, map[string]any{"error": map[string]any{"code": 404, "message": "File Not Found", "type": "not_found_error"}})
	case VLLM: // FastAPI
		writeJSON(w, 404, map[string]any{"detail": "Not Found"})
	case Ollama: // Go's http.ServeMux
		http.Error(w, "404 page not found", http.StatusNotFound)
	default:
		writeJSON(w, 404, map[string]any{"error": map[string]any{"message": "Invalid URL (" + r.Method + " " + r.URL.Path + ")", "type": "invalid_request_error", "param": nil, "code": nil}})
	}
}

func (s *Server) models(w http.ResponseWriter, r *http.Request) {
	s.read(r)
	m := map[string]any{"id": s.Model, "object": "model", "created": 1735142223}
	switch s.Kind {
	case LlamaCpp:
		m["owned_by"] = "llamacpp"
		m["meta"] = map[string]any{"vocab_type": 2, "n_vocab": 128256, "n_ctx_train": s.TrainedContext, "n_embd": 4096, "n_params": 8030261312, "size": 4912898304}
	case VLLM:
		m["owned_by"], m["root"], m["parent"], m["max_model_len"] = "vllm", s.Model, nil, s.Context
		m["permission"] = []any{map[string]any{"id": "modelperm-1", "object": "model_permission", "allow_sampling": true}}
	case Ollama:
		m["owned_by"] = "library" // the model's namespace
	case OpenAI:
		m["owned_by"] = "system"
	}
	data := []any{m}
	if s.Kind == OpenAI {
		data = append(data, map[string]any{"id": "gpt-4o-mini", "object": "model", "created": 1721172741, "owned_by": "system"})
	}
	writeJSON(w, 200, map[string]any{"object": "list", "data": data})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// Tokens is the toy tokenizer: a word is one token a started four bytes.
func Tokens(text string) []int {
	var ids []int
	for _, word := range strings.Fields(text) {
		for i := 0; i < len(word); i += 4 {
			ids = append(ids, 100+len(ids))
		}
	}
	return ids
}

// bos is the id of the beginning-of-sequence token.
const bos = 1

// tokenize answers POST /tokenize: llama.cpp reads "content" and
// "add_special" (default false); vLLM reads "prompt", "model" and
// "add_special_tokens" (default true) and counts the tokens it made.
func (s *Server) tokenize(w http.ResponseWriter, r *http.Request) {
	body := s.read(r)
	special := func(key string, def bool) bool {
		if v, ok := body[key].(bool); ok {
			return v
		}
		return def
	}
	field, add := "content", special("add_special", false)
	if s.Kind == VLLM {
		field, add = "prompt", special("add_special_tokens", true)
	}
	text, ok := body[field].(string)
	if !ok && s.Kind == VLLM {
		writeJSON(w, 400, map[string]any{"object": "error", "message": "Field required: prompt", "type": "BadRequestError", "param": nil, "code": 400})
		return
	}
	ids := Tokens(text)
	if add {
		ids = append([]int{bos}, ids...)
	}
	if s.Kind == VLLM {
		writeJSON(w, 200, map[string]any{"count": len(ids), "max_model_len": s.Context, "tokens": ids, "token_strs": nil})
		return
	}
	writeJSON(w, 200, map[string]any{"tokens": ids})
}

// IgnoredFields are the fields of the /tokenize requests vLLM received that
// it does not read (it logs a warning for each request that has any).
func (s *Server) IgnoredFields() []string {
	read := map[string]bool{"model": true, "prompt": true, "add_special_tokens": true, "return_token_strs": true}
	var ignored []string
	for _, body := range s.Requests("/tokenize") {
		for k := range body {
			if !read[k] {
				ignored = append(ignored, k)
			}
		}
	}
	return ignored
}

// llama3Template is the start of Llama 3's chat template, as /props gives it.
const llama3Template = "{{- bos_token }}\n{%- for message in messages %}<|start_header_id|>{{ message['role'] }}<|end_header_id|>\n\n" +
	"{{ message['content'] | trim }}<|eot_id|>{%- endfor %}"

// props answers llama-server's GET /props: the context of a slot is
// default_generation_settings.n_ctx.
func (s *Server) props(w http.ResponseWriter, r *http.Request) {
	s.read(r)
	writeJSON(w, 200, map[string]any{
		"default_generation_settings": map[string]any{"id": 0, "id_task": -1, "n_ctx": s.Context, "speculative": false, "is_processing": false,
			"params": map[string]any{"n_predict": -1, "temperature": 0.8, "n_keep": 0}},
		"total_slots": 1, "model_path": s.Model, "chat_template": llama3Template, "modalities": map[string]any{"vision": false},
		"build_info": "b6000-fake", "is_sleeping": false,
	})
}

// show answers Ollama's POST /api/show.
func (s *Server) show(w http.ResponseWriter, r *http.Request) {
	body := s.read(r)
	if !s.serves(fmt.Sprint(body["model"])) {
		writeJSON(w, 404, map[string]any{"error": fmt.Sprintf("model '%v' not found", body["model"])})
		return
	}
	params := "num_keep                       24\nstop                           \"<|eot_id|>\""
	if s.NumCtx > 0 {
		params += fmt.Sprintf("\nnum_ctx                        %d", s.NumCtx)
	}
	writeJSON(w, 200, map[string]any{
		"parameters": params,
		"details":    map[string]any{"parent_model": "", "format": "gguf", "family": "llama", "families": []string{"llama"}, "parameter_size": "3.2B", "quantization_level": "Q4_K_M"},
		"model_info": map[string]any{"general.architecture": "llama", "general.parameter_count": 3212749888, "llama.context_length": s.TrainedContext,
			"llama.embedding_length": 3072, "tokenizer.ggml.model": "gpt2"},
		"capabilities": []string{"completion"},
	})
}

// ps answers Ollama's GET /api/ps: the models in memory, with the context
// each was loaded with.
func (s *Server) ps(w http.ResponseWriter, r *http.Request) {
	s.read(r)
	models := []any{}
	if s.Loaded {
		models = append(models, map[string]any{"name": s.Model, "model": s.Model, "size": 2019393189, "digest": "a80c4f17acd5",
			"details": map[string]any{"format": "gguf", "family": "llama"}, "expires_at": "2026-12-03T08:15:34Z", "size_vram": 0, "context_length": s.Context})
	}
	writeJSON(w, 200, map[string]any{"models": models})
}

// serves says whether the server answers requests for model: llama-server
// serving one model answers any name; Ollama also answers "name" for
// "name:latest".
func (s *Server) serves(model string) bool {
	switch s.Kind {
	case LlamaCpp:
		return true
	case Ollama:
		return model == s.Model || model+":latest" == s.Model
	}
	return model == s.Model
}
