package enginetest

import (
	"os"
	"strings"
	"testing"
)

// Server is one real OpenAI-compatible server process the integration
// tests run against, as .ci/llm-server started it (or a user's own, named
// by the same variables).
type Server struct {
	Name  string // "ollama" or "llama.cpp": the subtest's name
	URL   string // base URL ending in /v1
	Model string
	// LoopURL and LoopModel serve a model that never stops on its own
	// (tinygguf's loop variant), for finish_reason "length" and cancelling
	// mid-stream; the plain model where none is given.
	LoopURL, LoopModel string
	// Expect is what the model answers to every prompt, when it is known
	// to say one fixed thing (the tiny models); "" for a real model.
	Expect string
	// CanScore: the server returns the log-probabilities of a given text,
	// which preference accuracy needs (vLLM; POPI_LLM_CAN_SCORE).
	CanScore bool
	// LlamaCpp is set for llama.cpp's llama-server.
	LlamaCpp bool
}

// serverVars are the environment variables that name each server.
var serverVars = []struct {
	name, prefix, start string
	llamaCpp            bool
}{
	{"ollama", "POPI_LLM_", ".ci/llm-server start DIR", false},
	{"llama.cpp", "POPI_LLAMACPP_", ".ci/llm-server start-llamacpp DIR", true},
}

// Servers lists the real servers named in the environment:
// POPI_LLM_URL and POPI_LLM_MODEL (Ollama in CI, or any server of the
// user's), POPI_LLAMACPP_URL and POPI_LLAMACPP_MODEL (llama-server), each
// with its _URL_LOOP, _MODEL_LOOP and _EXPECT. Under CI every one of them
// must be there, and a missing one fails the test; elsewhere a missing one
// is left out, and with none the test is skipped with a message.
func Servers(t testing.TB) []Server {
	t.Helper()
	var found []Server
	var missing []string
	for _, v := range serverVars {
		get := func(key string) string { return os.Getenv(v.prefix + key) }
		if get("URL") == "" || get("MODEL") == "" {
			missing = append(missing, v.prefix+"URL and "+v.prefix+"MODEL ("+v.start+")")
			continue
		}
		s := Server{Name: v.name, URL: get("URL"), Model: get("MODEL"), LoopURL: get("URL_LOOP"), LoopModel: get("MODEL_LOOP"),
			Expect: get("EXPECT"), CanScore: get("CAN_SCORE") != "", LlamaCpp: v.llamaCpp}
		if s.LoopURL == "" {
			s.LoopURL = s.URL
		}
		if s.LoopModel == "" {
			s.LoopModel, s.LoopURL = s.Model, s.URL
		}
		found = append(found, s)
	}
	switch {
	case len(missing) > 0 && os.Getenv("CI") != "":
		t.Fatalf("CI is set but a model server is missing: .ci/run must start it: %s", strings.Join(missing, "; "))
	case len(found) == 0:
		t.Skipf("no model server: set %s to run the integration tests", strings.Join(missing, ", or "))
	case len(missing) > 0:
		t.Logf("not run against: %s", strings.Join(missing, "; "))
	}
	return found
}

// EachServer runs fn as a subtest against every server Servers finds.
func EachServer(t *testing.T, fn func(t *testing.T, s Server)) {
	t.Helper()
	for _, s := range Servers(t) {
		t.Run(s.Name, func(t *testing.T) { fn(t, s) })
	}
}

// LlamaCpp is the llama-server Servers finds, with the address of the one
// started without --alias (POPI_LLAMACPP_URL_NOALIAS, whose model id is
// the file's path, POPI_LLAMACPP_MODEL_PATH). Under CI a missing one fails
// the test; elsewhere it is skipped.
func LlamaCpp(t testing.TB) (s Server, noAliasURL, modelPath string) {
	t.Helper()
	for _, s := range Servers(t) {
		if s.LlamaCpp {
			return s, os.Getenv("POPI_LLAMACPP_URL_NOALIAS"), os.Getenv("POPI_LLAMACPP_MODEL_PATH")
		}
	}
	t.Skip("no llama-server: set POPI_LLAMACPP_URL and POPI_LLAMACPP_MODEL (.ci/llm-server start-llamacpp DIR)")
	return Server{}, "", ""
}
