package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// These tests run the real binary as separate processes: what a user sees
// when a database is busy, on Ctrl-C and after kill -9.

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "popi-tui-bin-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "popi-tui")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// records is popi JSONL with n pairs spread over 100 users.
func records(n int) []byte {
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `{"user":"u%02d","kind":"pair","prompt":"question %d","chosen":"short","rejected":"a longer answer %d"}`+"\n", i%100, i, i)
	}
	return b.Bytes()
}

// importFromPipe starts `popi-tui import -` fed by a pipe the test holds,
// writes n records and waits until they are surely committed (the import
// then waits for more input).
func importFromPipe(t *testing.T, db string, n int) (*exec.Cmd, io.WriteCloser, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(binary, "import", "--db", db, "-")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := stdin.Write(records(n)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	return cmd, stdin, &stderr
}

func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

func statsOf(t *testing.T, db string) (map[string]int, string) {
	t.Helper()
	out, errOut, code := run(t, "stats", "--json", "--db", db)
	if code != 0 {
		t.Fatalf("stats: exit %d: %s", code, errOut)
	}
	// The counts are integers; "datasets" is the one object beside them.
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatalf("stats --json printed %q: %v", out, err)
	}
	st := make(map[string]int, len(raw))
	for k, v := range raw {
		if k == "datasets" {
			continue
		}
		var n int
		if err := json.Unmarshal(v, &n); err != nil {
			t.Fatalf("stats --json: %s is %s, not an integer", k, v)
		}
		st[k] = n
	}
	return st, errOut
}

func TestBusyDatabaseFailsFastNamingTheFile(t *testing.T) {
	db := filepath.Join(t.TempDir(), "popi.db")
	holder, stdin, _ := importFromPipe(t, db, 10)
	start := time.Now()
	_, errOut, code := run(t, "stats", "--db", db)
	elapsed := time.Since(start)
	if code != 1 || !strings.Contains(errOut, db+" is in use by another popi-tui process") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	if elapsed > 4*time.Second {
		t.Errorf("took %v to give up", elapsed)
	}
	stdin.Close()
	if err := holder.Wait(); err != nil {
		t.Fatalf("the holding import failed: %v", err)
	}
	if st, _ := statsOf(t, db); st["pairs_history"] != 10 {
		t.Errorf("stats after the import: %v", st)
	}
}

func TestInterruptDuringImportLeavesTheFileOut(t *testing.T) {
	db := filepath.Join(t.TempDir(), "popi.db")
	cmd, stdin, stderr := importFromPipe(t, db, 30_000) // several batches committed
	defer stdin.Close()
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("exit: %v, want status 130", err)
	}
	if !strings.Contains(stderr.String(), "interrupted") || strings.Contains(stderr.String(), "goroutine") {
		t.Errorf("stderr = %q", stderr)
	}
	st, _ := statsOf(t, db)
	if st["users"] != 0 || st["pairs_history"] != 0 {
		t.Errorf("an interrupted import left %v", st)
	}
}

func TestKill9DuringImportIsRolledBackOnNextOpen(t *testing.T) {
	db := filepath.Join(t.TempDir(), "popi.db")
	if _, errOut, code := run(t, "import", "--db", db, "store/demo/demo.jsonl"); code != 0 {
		t.Fatalf("import demo: %s", errOut)
	}
	before, _ := statsOf(t, db)
	cmd, stdin, _ := importFromPipe(t, db, 30_000)
	defer stdin.Close()
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	after, notes := statsOf(t, db)
	if fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("after kill -9: %v, before: %v", after, before)
	}
	if !strings.Contains(notes, "rolled back the interrupted import of stdin") {
		t.Errorf("no word of the rollback: %q", notes)
	}
}

func TestDemoWithoutServer(t *testing.T) {
	out, errOut, code := run(t, "demo")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, u := range []string{"terse-tom", "thorough-theo", "formal-fiona", "playful-pia", "code-first-kai", "beginner-bea", "skeptic-sam", "bullet-ben"} {
		if !strings.Contains(out, u) {
			t.Errorf("demo output lacks %s:\n%s", u, out)
		}
	}
}

// Ctrl-C in the middle of a bulk inference: in-flight requests are
// cancelled, finished summaries are kept, the exit status is 130, and the
// same command run again does only what is left.
func TestInterruptedInferResumes(t *testing.T) {
	var served atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if r.URL.Path != "/v1/chat/completions" {
			http.NotFound(w, r)
			return
		}
		if served.Add(1) > 3 { // the first three answer at once; the rest hang until cancelled
			<-r.Context().Done()
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Likes brevity.\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
	}))
	defer srv.Close()
	dir := t.TempDir()
	db, cfg := filepath.Join(dir, "popi.db"), filepath.Join(dir, "config.toml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("[[backend]]\nname = \"m\"\nrole = \"summarizer\"\nbase_url = %q\nmodel = \"tiny\"\nconcurrency = 1\n", srv.URL+"/v1")), 0o600)
	if _, errOut, code := run(t, "demo", "--db", db); code != 0 {
		t.Fatal(errOut)
	}
	cmd := exec.Command(binary, "infer", "--db", db, "--config", cfg, "--concurrency", "1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for served.Load() < 4 { // three done, the fourth hanging
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("exit %v; stderr %s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "3 done, 0 skipped (already done), 0 failed of 8") ||
		!strings.Contains(stderr.String(), "interrupted with 5 left to do; finished work is kept") {
		t.Errorf("stdout %q\nstderr %q", stdout.String(), stderr.String())
	}
	served.Store(-100) // answer everything now
	out, errOut, code := run(t, "infer", "--db", db, "--config", cfg)
	if code != 0 || !strings.Contains(out, "5 done, 3 skipped (already done), 0 failed of 8") {
		t.Errorf("rerun: exit %d, %q %q", code, out, errOut)
	}
}

// The binary says which source it was built from: the module version, and
// for a build from a clone the revision (when the build stamps it), never
// a bare "devel".
func TestVersionOfTheBinary(t *testing.T) {
	out, errOut, code := run(t, "version")
	if code != 0 || errOut != "" || !strings.HasPrefix(out, "popi-tui ") {
		t.Fatalf("version: exit %d, %q %q", code, out, errOut)
	}
	if v := strings.TrimSpace(strings.TrimPrefix(out, "popi-tui ")); v == "devel" || v == "(devel)" {
		t.Errorf("version says only %q", v)
	}
	if flag, _, _ := run(t, "--version"); flag != out {
		t.Errorf("--version %q, version %q", flag, out)
	}
}
