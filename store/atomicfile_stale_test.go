package store

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// A temporary file a killed export left behind is removed by the next
// write to the same file; nothing else is: other files' temporary files,
// names not of our making, directories, links, one just created, and one
// that a running write holds.
func TestWriteFileAtomicRemovesStaleTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rows.jsonl")
	old := time.Now().Add(-2 * time.Hour)
	mk := func(name string, mtime time.Time) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("half an export"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		return p
	}
	mk(".rows.jsonl.tmp-1234567", old)     // stale: removed
	mk(".rows.jsonl.tmp-99", old)          // stale: removed
	mk(".other.jsonl.tmp-1234567", old)    // another file's
	mk(".rows.jsonl.tmp-1234567.bak", old) // not our name
	mk(".rows.jsonl.tmp-", old)            // not our name
	mk("rows.jsonl.tmp-5", old)            // not our name
	mk(".rows.jsonl.tmp-77", time.Now())   // just made by another export
	if err := os.Mkdir(filepath.Join(dir, ".rows.jsonl.tmp-55"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "elsewhere"), filepath.Join(dir, ".rows.jsonl.tmp-66")); err != nil {
		t.Fatal(err)
	}
	held := mk(".rows.jsonl.tmp-88", old)
	unlock := lockTemp(held) // a running export's, which has been slow to write
	locks := tempInUse(held) == lockHeld
	defer unlock()

	if err := WriteFileAtomic(path, func(w io.Writer) error { _, err := io.WriteString(w, "rows\n"); return err }); err != nil {
		t.Fatal(err)
	}
	want := []string{".other.jsonl.tmp-1234567", ".rows.jsonl.tmp-", ".rows.jsonl.tmp-1234567.bak", ".rows.jsonl.tmp-55",
		".rows.jsonl.tmp-66", ".rows.jsonl.tmp-77", ".rows.jsonl.tmp-88", "rows.jsonl", "rows.jsonl.tmp-5"}
	if !locks {
		t.Log("no file locks here: the held file is judged by its age (removed)")
		want = slices.DeleteFunc(want, func(s string) bool { return s == ".rows.jsonl.tmp-88" })
	}
	if got := fxDirNames(t, dir); !slices.Equal(got, want) {
		t.Errorf("after the export the directory holds\n%q\nwant\n%q", got, want)
	}
	if !locks {
		return
	}
	unlock() // that export was killed: its lock went with it
	if err := WriteFileAtomic(path, func(w io.Writer) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if slices.Contains(fxDirNames(t, dir), ".rows.jsonl.tmp-88") {
		t.Error("a temporary file nobody holds any more was not removed")
	}
}

// A write stopped part way (Ctrl-C cancels the export's context) leaves
// the file as it was and no temporary file beside it.
func TestWriteFileAtomicInterruptedLeavesNoTemporaryFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rows.jsonl")
	if err := os.WriteFile(path, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	err := WriteFileAtomic(path, func(w io.Writer) error {
		for i := 0; ; i++ {
			if i == 1000 {
				cancel()
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if _, err := io.WriteString(w, strings.Repeat("row ", 100)+"\n"); err != nil {
				return err
			}
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if got := fxDirNames(t, dir); !slices.Equal(got, []string{"rows.jsonl"}) {
		t.Errorf("the directory holds %q", got)
	}
	if data, _ := os.ReadFile(path); string(data) != "old\n" {
		t.Errorf("the file is now %q", data)
	}
}
