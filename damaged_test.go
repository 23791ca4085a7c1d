package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// bigDatabase imports some 26 MB of records into a new database at path
// through the binary: a database that uses more than half of its file.
func bigDatabase(t *testing.T, path string) {
	t.Helper()
	var b bytes.Buffer
	long := strings.Repeat("a rather long rejected answer ", 140)
	for i := 0; i < 6000; i++ {
		fmt.Fprintf(&b, `{"user":"u%03d","kind":"pair","prompt":"question %d","chosen":"short %d","rejected":"%s %d"}`+"\n", i%300, i, i, long, i)
	}
	in := filepath.Join(t.TempDir(), "big.jsonl")
	if err := os.WriteFile(in, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := run(t, "import", "--db", path, in); code != 0 {
		t.Fatalf("import: exit %d: %s", code, errOut)
	}
}

// A database cut short crashed the process with SIGBUS (exit 2 and a
// runtime dump); now it is refused with exit 1, naming it, untouched.
func TestTruncatedDatabaseIsRefusedByTheBinary(t *testing.T) {
	dir := t.TempDir()
	full, good := filepath.Join(dir, "full.db"), filepath.Join(dir, "good.db")
	bigDatabase(t, full)
	if _, errOut, code := run(t, "import", "--db", good, "store/demo/demo.jsonl"); code != 0 {
		t.Fatal(errOut)
	}
	data, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	for name, n := range map[string]int{"first-20000.db": 20000, "first-half.db": len(data) / 2} {
		bad := filepath.Join(dir, name)
		if err := os.WriteFile(bad, data[:n], 0o600); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{
			{"stats", "--db", bad},
			{"export", "users", "--db", bad, "-o", filepath.Join(dir, "out.jsonl")},
			{"merge", "--db", good, bad},
		} {
			stdout, stderr, code := run(t, args...)
			if want := bad + " is damaged (truncated?): it is "; code != 1 || !strings.Contains(stderr, want) {
				t.Errorf("%q: exit %d, stderr %q; want 1 and %q", args, code, stderr, want)
			}
			for _, crash := range []string{"SIGBUS", "fatal error", "goroutine", "panic", ".go:"} {
				if strings.Contains(stdout+stderr, crash) {
					t.Errorf("%q printed %q:\n%s", args, crash, stderr)
				}
			}
			if got, _ := os.ReadFile(bad); !bytes.Equal(got, data[:n]) {
				t.Fatalf("%q changed %s", args, bad)
			}
		}
	}
}

// tempFiles lists the export's temporary files in dir.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, ".rows.jsonl.tmp-*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// An export to a file stopped by a signal (Ctrl-C, kill, a lost SSH
// connection) exits 130 and leaves neither its temporary file nor a
// changed file behind. SIGHUP used to kill it, leaving the temporary file.
func TestSignalDuringExportLeavesNoTemporaryFile(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "popi.db")
	bigDatabase(t, db)
	out := filepath.Join(dir, "rows.jsonl")
	if err := os.WriteFile(out, []byte("old rows\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			if sig == syscall.SIGHUP && signal.Ignored(syscall.SIGHUP) {
				t.Skip("SIGHUP is ignored here (nohup), and so in popi-tui, as it should be")
			}
			// Caught mid-export: stopped once its temporary file is there,
			// signalled, let go. An export that finishes before it is seen
			// is tried again.
			for attempt := 0; ; attempt++ {
				cmd := exec.Command(binary, "export", "users", "--db", db, "-o", out)
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				exited := make(chan error, 1)
				go func() { exited <- cmd.Wait() }()
				caught := false
				for !caught {
					select {
					case <-exited:
					default:
						if len(tempFiles(t, dir)) > 0 {
							cmd.Process.Signal(syscall.SIGSTOP)
							caught = len(tempFiles(t, dir)) > 0
							if !caught {
								cmd.Process.Signal(syscall.SIGCONT)
							}
						}
						continue
					}
					break
				}
				if !caught {
					if attempt == 10 {
						t.Fatal("the export never was caught before it finished")
					}
					continue
				}
				cmd.Process.Signal(sig)
				cmd.Process.Signal(syscall.SIGCONT)
				var err error
				select {
				case err = <-exited:
				case <-time.After(30 * time.Second):
					cmd.Process.Kill()
					t.Fatal("the export did not stop within 30 s of the signal")
				}
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.ExitCode() != 130 {
					t.Errorf("exit: %v, want status 130; stderr %q", err, stderr.String())
				}
				if !strings.Contains(stderr.String(), "interrupted") || strings.Contains(stderr.String(), "goroutine") {
					t.Errorf("stderr %q", stderr.String())
				}
				if left := tempFiles(t, dir); len(left) > 0 {
					t.Errorf("left behind: %q", left)
				}
				if data, _ := os.ReadFile(out); string(data) != "old rows\n" {
					t.Errorf("the file was replaced by an interrupted export (%d bytes)", len(data))
				}
				return
			}
		})
	}
}
