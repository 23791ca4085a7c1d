package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
)

// answerBatch answers a batch input file as vllm run-batch writes its
// output file (one line per request: id, custom_id, response {status_code,
// request_id, body: a chat completion with usage}, error), with no server;
// edit may rewrite line i.
func answerBatch(t *testing.T, in, out string, edit func(i int, line map[string]any)) int {
	t.Helper()
	f, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b strings.Builder
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	n := 0
	for ; sc.Scan(); n++ {
		var req struct {
			CustomID string `json:"custom_id"`
			Body     struct {
				Model string `json:"model"`
			} `json:"body"`
		}
		if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
			t.Fatalf("%s:%d: %v", in, n+1, err)
		}
		line := map[string]any{"id": fmt.Sprint("vllm-", n), "custom_id": req.CustomID, "error": nil,
			"response": map[string]any{"status_code": 200, "request_id": fmt.Sprint("vllm-batch-", n), "body": map[string]any{
				"object": "chat.completion", "model": req.Body.Model,
				"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": "Likes brevity."}, "finish_reason": "stop"}},
				"usage":   map[string]any{"prompt_tokens": 50, "completion_tokens": 2, "total_tokens": 52},
			}}}
		if edit != nil {
			edit(n, line)
		}
		data, _ := json.Marshal(line)
		b.Write(append(data, '\n'))
	}
	writeFile(t, out, b.String())
	return n
}

// No server is needed for the batch path: the backend's address refuses
// connections, and the requests are answered by answerBatch.
const noServer = "http://127.0.0.1:1/v1"

func TestBatchRoundTripThroughTheCommandLine(t *testing.T) {
	cases := []struct {
		name      string
		out, in   []string // the commands' arguments, after --db and --config
		requests  int
		stats     string
		wantOut   string // the second command's stdout starts with
		againSays string // reading the same results again
	}{
		{name: "infer", out: []string{"infer", "--batch-out"}, in: []string{"infer", "--batch-in"}, requests: 8, stats: "summaries",
			wantOut: "infer --batch-in: 8 result(s): 8 stored, 0 already stored, 0 error(s) in the results, 0 refused", againSays: "0 stored, 8 already stored"},
		{name: "generate", out: []string{"generate", "--condition", "none,raw", "--batch-out"}, in: []string{"generate", "--batch-in"}, requests: 2 * 35, stats: "generations",
			wantOut: "generate --batch-in: 70 result(s): 70 stored", againSays: "0 stored, 70 already stored"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t)
			db, cfg := e.demoDB(), e.withConfig(noServer, "")
			reqs, results := e.path("requests.jsonl"), e.path("results.jsonl")
			r := e.mustRun(ExitOK, append(append([]string{"--db", db, "--config", cfg}, tc.out...), reqs)...)
			if !strings.Contains(r.stderr, fmt.Sprintf("wrote %d request(s) to %s", tc.requests, reqs)) {
				t.Errorf("batch out said %q", r.stderr)
			}
			if n := answerBatch(t, reqs, results, nil); n != tc.requests {
				t.Fatalf("%d requests in the file, want %d", n, tc.requests)
			}
			r = e.mustRun(ExitOK, append(append([]string{"--db", db, "--config", cfg}, tc.in...), results)...)
			if !strings.HasPrefix(r.stdout, tc.wantOut) {
				t.Errorf("batch in said %q, want %q", r.stdout, tc.wantOut)
			}
			if st := e.stats(db); st[tc.stats] != tc.requests {
				t.Errorf("%d %s stored, want %d", st[tc.stats], tc.stats, tc.requests)
			}
			data, _ := os.ReadFile(results)
			r = e.runCtx(t.Context(), string(data), append(append([]string{"--db", db, "--config", cfg}, tc.in...), "-")...)
			if r.code != ExitOK || !strings.Contains(r.stdout, tc.againSays) || e.stats(db)[tc.stats] != tc.requests {
				t.Errorf("the same results again from stdin: %d %q %q, want %q and nothing new", r.code, r.stdout, r.stderr, tc.againSays)
			}
		})
	}
}

// Refused lines name FILE:LINE and say why, errors of the results are
// counted by reason, neither is stored, and what servers and files say
// reaches the terminal sanitized.
func TestBatchInReportsRefusedAndFailed(t *testing.T) {
	e := newTestEnv(t)
	db, cfg := e.demoDB(), e.withConfig(noServer, "")
	reqs, results := e.path("requests.jsonl"), e.path("results.jsonl")
	e.mustRun(ExitOK, "--db", db, "--config", cfg, "infer", "--batch-out", reqs)
	answerBatch(t, reqs, results, func(i int, l map[string]any) {
		switch i {
		case 1:
			l["custom_id"] = "popi-tui/summarize/fake/nobody\x1b[31m/all/builtin-popi-2/0011223344556677"
		case 4:
			l["response"], l["error"] = nil, map[string]any{"code": "server_error", "message": "boom \x1b]0;owned\x07"}
		}
	})
	r := e.mustRun(ExitFailure, "--db", db, "--config", cfg, "infer", "--batch-in", results)
	for _, want := range []string{"8 result(s): 6 stored, 0 already stored, 1 error(s) in the results, 1 refused",
		results + `:2: custom_id "popi-tui/summarize/fake/nobody\x1b[31m/all/builtin-popi-2/0011223344556677": user "nobody\x1b[31m": not found`,
		"1 × backend fake: batch error: boom"} {
		if !strings.Contains(r.stdout+r.stderr, want) {
			t.Errorf("output lacks %q:\n%s%s", want, r.stdout, r.stderr)
		}
	}
	if strings.ContainsAny(r.stdout+r.stderr, "\x1b\x07") {
		t.Errorf("a control character reached the terminal: %q", r.stderr)
	}
	if st := e.stats(db); st["summaries"] != 6 {
		t.Errorf("%d summaries stored, want 6", st["summaries"])
	}
}

func TestBatchUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"infer", "--batch-out", "x.jsonl", "--batch-in", "r.jsonl"}, "--batch-out writes requests and --batch-in reads their results: give one"},
		{[]string{"infer", "r.jsonl"}, "infer takes no arguments (name users with --user)"},
		{[]string{"generate", "--batch-in"}, "--batch-in: no results files"},
		{[]string{"infer", "--batch-in", "--backend", "fake", "r.jsonl"}, "--backend does not apply to --batch-in"},
		{[]string{"generate", "--batch-in", "--condition", "raw", "r.jsonl"}, "--condition does not apply to --batch-in"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			e := newTestEnv(t)
			r := e.mustRun(ExitUsage, tc.args...)
			if !strings.Contains(r.stderr, tc.want) {
				t.Errorf("stderr %q lacks %q", r.stderr, tc.want)
			}
		})
	}
	e := newTestEnv(t)
	r := e.mustRun(ExitFailure, "--db", e.demoDB(), "infer", "--batch-out", e.path("x.jsonl"), "--backend", "heuristic")
	if !strings.Contains(r.stderr, "backend heuristic is the offline engine: it sends no requests to put in a batch file") || exists(e.path("x.jsonl")) {
		t.Errorf("an offline backend's batch file: %q", r.stderr)
	}
}

// A batch file holds what a request's body holds: never the API key or
// the password of a base_url, wherever the request would have gone.
func TestBatchFileHoldsNoSecret(t *testing.T) {
	const key, pass = "sk-batch-secret-1234", "hunter2-batch"
	e := newTestEnv(t)
	e.vars["POPI_TEST_KEY"] = key
	db := e.demoDB()
	cfg := e.withConfig("http://kim:"+pass+"@127.0.0.1:1/v1", "api_key_env = \"POPI_TEST_KEY\"\n")
	reqs := e.path("requests.jsonl")
	e.mustRun(ExitOK, "--db", db, "--config", cfg, "infer", "--batch-out", reqs)
	e.mustRun(ExitOK, "--db", db, "--config", cfg, "generate", "--condition", "none", "--batch-out", e.path("gen.jsonl"))
	for _, f := range []string{reqs, e.path("gen.jsonl")} {
		data, err := os.ReadFile(f)
		if err != nil || len(data) == 0 || strings.Contains(string(data), key) || strings.Contains(string(data), pass) {
			t.Errorf("%s: %d bytes, a secret in it or %v", f, len(data), err)
		}
	}
}

// An interrupted --batch-out leaves no file: half a batch would be run as
// if it were all.
func TestBatchOutInterruptedWritesNothing(t *testing.T) {
	e := newTestEnv(t)
	db, cfg := e.demoDB(), e.withConfig(noServer, "")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	r := e.runCtx(ctx, "", "--db", db, "--config", cfg, "infer", "--batch-out", e.path("requests.jsonl"))
	if r.code != ExitInterrupted || exists(e.path("requests.jsonl")) || !strings.Contains(r.stderr, "was not written") {
		t.Errorf("exit %d, file there: %v, stderr %q", r.code, exists(e.path("requests.jsonl")), r.stderr)
	}
}
