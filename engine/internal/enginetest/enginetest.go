// Package enginetest holds what the tests of engine and engine/eval
// share beside store/storetest's databases: the real model servers the
// integration tests run against (servers.go), and a good streamed chat answer for
// hand-written servers. It imports nothing of engine, so that engine's
// own tests can use it.
package enginetest

import (
	"fmt"
	"net/http"
)

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
