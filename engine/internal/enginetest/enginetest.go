// Package enginetest holds what the tests of engine and engine/eval
// share beside store/storetest's databases: the real model server the
// integration tests run against, and a good streamed chat answer for
// hand-written servers. It imports nothing of engine, so that engine's
// own tests can use it.
package enginetest

import (
	"fmt"
	"net/http"
	"os"
	"testing"
)

// RealServer is the real OpenAI-compatible server the integration tests
// run against: POPI_LLM_URL (a base URL ending in /v1) and POPI_LLM_MODEL
// name it. .ci/run starts one (Ollama with a tiny model made by
// engine/internal/tinygguf); the same tests run unchanged against a
// user's own vLLM or llama.cpp server. Without the variables the test is
// skipped with a message, except under CI, where a missing server is a
// failure.
func RealServer(t testing.TB) (url, model string) {
	t.Helper()
	url, model = os.Getenv("POPI_LLM_URL"), os.Getenv("POPI_LLM_MODEL")
	if url == "" || model == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CI is set but POPI_LLM_URL and POPI_LLM_MODEL are not: .ci/run must start the model server")
		}
		t.Skip("no model server: set POPI_LLM_URL (…/v1) and POPI_LLM_MODEL to run the integration tests")
	}
	return url, model
}

// WriteStream writes a good streamed chat answer: one chunk per piece, a
// final chunk with the finish reason, the usage, then [DONE].
func WriteStream(w http.ResponseWriter, model string, pieces []string, finish string) {
	w.Header().Set("Content-Type", "text/event-stream")
	fl := w.(http.Flusher)
	for i, p := range pieces {
		role := ""
		if i == 0 {
			role = `"role":"assistant",`
		}
		fmt.Fprintf(w, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":%q,\"choices\":[{\"index\":0,\"delta\":{%s\"content\":%q},\"finish_reason\":null}]}\n\n", model, role, p)
		fl.Flush()
	}
	fmt.Fprintf(w, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":%q,\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":%q}]}\n\n", model, finish)
	fmt.Fprintf(w, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":%q,\"choices\":[],\"usage\":{\"prompt_tokens\":120,\"completion_tokens\":3,\"total_tokens\":123}}\n\n", model)
	fmt.Fprint(w, "data: [DONE]\n\n")
	fl.Flush()
}
