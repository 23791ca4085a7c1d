package engine

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/engine/internal/enginetest"
	"github.com/popi-tui/popi-tui/store"
)

// What the batch tests share: a server whose answer depends on what it is
// asked (so that an answer stored for the wrong request shows), live and
// as vLLM's run-batch would answer a batch file.

// batchAnswer is the fake model's answer to a request's messages.
func batchAnswer(msgs json.RawMessage) string {
	sum := sha256.Sum256(msgs)
	return "Prefers short answers. (" + hex.EncodeToString(sum[:4]) + ")"
}

// batchServer answers chat completions live with batchAnswer, streamed;
// with tokenize, it also counts tokens (one per word) as vLLM's /tokenize.
func batchServer(t testing.TB, tokenize bool) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Model    string          `json:"model"`
			Messages json.RawMessage `json:"messages"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		enginetest.WriteStream(w, req.Model, []string{batchAnswer(req.Messages)}, "stop")
	})
	if tokenize {
		mux.HandleFunc("POST /tokenize", func(w http.ResponseWriter, r *http.Request) {
			var req struct {
				Prompt string `json:"prompt"`
			}
			json.NewDecoder(r.Body).Decode(&req)
			n := len(strings.Fields(req.Prompt))
			fmt.Fprintf(w, `{"count":%d,"tokens":[%s]}`, n, strings.TrimSuffix(strings.Repeat("1,", n), ","))
		})
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL + "/v1"
}

// batchEngine is an engine with one backend "fake" (summarizer and
// generator) at url, over db; prompts is its template set (nil: default).
func batchEngine(t testing.TB, db *store.DB, url string, prompts *PromptSet) *Engine {
	t.Helper()
	cfg := Config{HistoryBudget: DefaultHistoryBudget, MaxAttempts: 1, Concurrency: 64, Backends: []BackendConfig{{
		Name: "fake", Kind: KindOpenAI, Roles: []string{RoleSummarizer, RoleGenerator}, BaseURLs: []string{url}, Model: "fake-model",
		Temperature: 0.6, MaxTokens: 64, Concurrency: 16, Timeout: time.Minute, Prompts: prompts,
	}}}
	e := New(db, cfg, Options{})
	t.Cleanup(e.Close)
	return e
}

// batchRequest is one line of a batch input file, as a batch runner reads it.
type batchRequest struct {
	CustomID string `json:"custom_id"`
	Method   string `json:"method"`
	URL      string `json:"url"`
	Body     struct {
		Model       string          `json:"model"`
		Messages    json.RawMessage `json:"messages"`
		Temperature float64         `json:"temperature"`
		MaxTokens   int             `json:"max_tokens"`
	} `json:"body"`
}

// runBatch answers the requests of a batch input file as vLLM's run-batch
// writes its output file: one line per request, {id, custom_id, response:
// {status_code, request_id, body: a chat completion}, error}. edit, when
// not nil, may rewrite request i's result line (an error, say).
func runBatch(t testing.TB, in, out string, edit func(i int, line map[string]any)) int {
	t.Helper()
	f, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	o, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	w := bufio.NewWriter(o)
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	n := 0
	for ; sc.Scan(); n++ {
		var req batchRequest
		if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
			t.Fatalf("%s:%d: %v", in, n+1, err)
		}
		if req.Method != "POST" || req.URL != "/v1/chat/completions" || req.Body.Model == "" {
			t.Fatalf("%s:%d: not a chat completion request: %s", in, n+1, sc.Text())
		}
		line := map[string]any{"id": fmt.Sprintf("vllm-%d", n), "custom_id": req.CustomID, "error": nil,
			"response": map[string]any{"status_code": 200, "request_id": fmt.Sprintf("vllm-batch-%d", n), "body": map[string]any{
				"id": fmt.Sprintf("chatcmpl-%d", n), "object": "chat.completion", "created": 1, "model": req.Body.Model,
				"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": batchAnswer(req.Body.Messages)}, "finish_reason": "stop"}},
				"usage":   map[string]any{"prompt_tokens": 120, "completion_tokens": 3, "total_tokens": 123},
			}}}
		if edit != nil {
			edit(n, line)
		}
		data, _ := json.Marshal(line)
		w.Write(append(data, '\n'))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return n
}

// writeBatchOut writes a batch input file with out (InferBatchOut or
// GenerateBatchOut bound to its options) and returns its path.
func writeBatchOut(t testing.TB, out func(ctx context.Context, w io.Writer) (Report, error)) (string, Report) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "requests.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	rep, err := out(context.Background(), w)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return path, rep
}

// batchIn reads results files into e and fails the test on a run error.
func batchIn(t testing.TB, e *Engine, kind string, force bool, paths ...string) BatchInReport {
	t.Helper()
	var files []BatchFile
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		files = append(files, BatchFile{Name: filepath.Base(p), R: f})
	}
	rep, err := e.BatchIn(context.Background(), files, BatchInOptions{Kind: kind, Force: force}, nil)
	if err != nil {
		t.Fatalf("BatchIn: %v", err)
	}
	return rep
}

// comparable is a summary or generation without what differs between two
// stores of the same answer (its id and time, and a live answer's timing).
func comparable(t testing.TB, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(data, &m)
	for _, k := range []string{"id", "created_at", "latency_ns", "ttft_ns"} {
		delete(m, k)
	}
	out, _ := json.Marshal(m)
	return string(out)
}
