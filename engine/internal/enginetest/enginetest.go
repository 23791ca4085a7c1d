// Package enginetest holds what the tests of engine and engine/eval
// share: a database (empty, or of the demo users), the real model server the
// integration tests run against, and a good streamed chat answer for
// hand-written servers. It imports store only, so that engine's own
// tests can use it.
package enginetest

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/popi-tui/popi-tui/store"
)

// NewDB is a new, empty database in the test's temporary directory,
// closed when the test ends.
func NewDB(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "popi.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// DemoDB is a new database holding the demo users, as NewDB.
func DemoDB(t testing.TB) *store.DB {
	t.Helper()
	db := NewDB(t)
	if _, err := db.LoadDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

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
