package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/popi-tui/popi-tui/store/format/popi"
)

// fxDirNames lists a directory's entries.
func fxDirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteFileAtomic(t *testing.T) {
	old := []byte("old content\nthat must survive a failed write\n")
	big := bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB: more than the write buffer
	boom := errors.New("export failed")
	tests := []struct {
		name    string
		exists  bool   // the target exists before
		write   []byte // what write writes
		fail    bool   // then write returns boom
		cancel  bool   // then the context is cancelled, and write returns nil
		wantErr bool
	}{
		{"success replaces", true, []byte("new content\n"), false, false, false},
		{"success creates", false, []byte("new content\n"), false, false, false},
		{"large success replaces", true, big, false, false, false},
		{"empty success truncates", true, nil, false, false, false},
		{"failure before writing", true, nil, true, false, true},
		{"failure after a little", true, []byte("half a fi"), true, false, true},
		{"failure after more than the buffer", true, big, true, false, true},
		{"failure without a target", false, []byte("half"), true, false, true},
		{"cancelled after the last row", true, []byte("every row\n"), false, true, true},
		{"cancelled without a target", false, []byte("every row\n"), false, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "labels.jsonl")
			if tt.exists {
				if err := os.WriteFile(path, old, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			err := WriteFileAtomicContext(ctx, path, func(w io.Writer) error {
				if _, err := w.Write(tt.write); err != nil {
					return err
				}
				if tt.fail {
					return boom
				}
				if tt.cancel {
					cancel()
				}
				return nil
			})
			if wantIs := map[bool]error{false: boom, true: context.Canceled}[tt.cancel]; tt.wantErr {
				if !errors.Is(err, wantIs) || !strings.Contains(err.Error(), path) {
					t.Errorf("err %v, want %v naming %s", err, wantIs, path)
				}
			} else if err != nil {
				t.Fatalf("WriteFileAtomic: %v", err)
			}
			got, readErr := os.ReadFile(path)
			switch {
			case !tt.wantErr:
				if readErr != nil || !bytes.Equal(got, tt.write) {
					t.Errorf("after success the file holds %d bytes (err %v), want the %d written", len(got), readErr, len(tt.write))
				}
				wantMode := os.FileMode(0o644) // new files; a replaced file keeps its own
				if tt.exists {
					wantMode = 0o600
				}
				if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != wantMode {
					t.Errorf("mode %v err %v, want %v", fi.Mode().Perm(), err, wantMode)
				}
			case tt.exists:
				if readErr != nil || !bytes.Equal(got, old) {
					t.Errorf("after a failed write the file holds %q (err %v), want the old content", got, readErr)
				}
			default:
				if !errors.Is(readErr, os.ErrNotExist) {
					t.Errorf("after a failed write with no target, the target exists (%d bytes, err %v)", len(got), readErr)
				}
			}
			want := []string{"labels.jsonl"}
			if tt.wantErr && !tt.exists {
				want = nil
			}
			if names := fxDirNames(t, dir); !slices.Equal(names, want) {
				t.Errorf("directory holds %q, want %q (no temporary file left)", names, want)
			}
		})
	}
}

func TestWriteFileAtomicOfAnExport(t *testing.T) {
	db := demoTestDB(t)
	path := filepath.Join(t.TempDir(), "users.jsonl")
	var n int
	err := WriteFileAtomic(path, func(w io.Writer) error { rep, err := popi.WriteUsers(w, db.EachSignal); n = rep.Rows; return err })
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != n || n == 0 || !json.Valid([]byte(lines[0])) || !json.Valid([]byte(lines[n-1])) {
		t.Errorf("%d rows for %d records", len(lines), n)
	}
	// A directory that does not exist: an error, nothing created.
	missing := filepath.Join(t.TempDir(), "no", "such", "dir", "x.jsonl")
	called := false
	if err := WriteFileAtomic(missing, func(io.Writer) error { called = true; return nil }); err == nil || called {
		t.Errorf("WriteFileAtomic into a missing directory: err %v, write called %v", err, called)
	}
}

func TestWriteFileAtomicKeepsModeLinksAndPipes(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) func(io.Writer) error {
		return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
	}

	private := filepath.Join(dir, "private.jsonl")
	if err := os.WriteFile(private, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(private, write("new")); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(private); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode became %v, want 0600", fi.Mode().Perm())
	}

	target := filepath.Join(dir, "target.jsonl")
	link := filepath.Join(dir, "link.jsonl")
	os.WriteFile(target, []byte("old"), 0o644)
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(link, write("through the link")); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
		t.Error("the symbolic link was replaced by a file")
	}
	if got, _ := os.ReadFile(target); string(got) != "through the link" {
		t.Errorf("target holds %q", got)
	}

	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	got := make(chan string)
	go func() {
		b, _ := os.ReadFile(fifo)
		got <- string(b)
	}()
	if err := WriteFileAtomic(fifo, write("into the pipe")); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "into the pipe" {
		t.Errorf("the reader got %q", s)
	}
	if fi, _ := os.Lstat(fifo); fi.Mode()&os.ModeNamedPipe == 0 {
		t.Error("the FIFO was replaced by a file")
	}
}
