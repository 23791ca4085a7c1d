package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/popi-tui/popi-tui/store"
)

// bigJSONL is popi JSONL of some 26 MB: enough that a database of it uses
// more than half of its file (bbolt grows a file 16 MiB ahead).
func bigJSONL() string {
	var b strings.Builder
	long := strings.Repeat("a rather long rejected answer ", 140)
	for i := 0; i < 6000; i++ {
		fmt.Fprintf(&b, `{"user":"u%03d","kind":"pair","prompt":"question %d","chosen":"short %d","rejected":"%s %d"}`+"\n", i%300, i, i, long, i)
	}
	return b.String()
}

// truncatedCopies builds a real database and writes two copies of it cut
// short: its first 20,000 bytes and its first half.
func truncatedCopies(t *testing.T, e *testEnv) []string {
	t.Helper()
	full := e.path("full.db")
	e.mustRun(ExitOK, "import", "--db", full, writeFile(t, e.path("big.jsonl"), bigJSONL()))
	data, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	first, half := e.path("first-20000.db"), e.path("first-half.db")
	for path, n := range map[string]int{first: 20000, half: len(data) / 2} {
		if err := os.WriteFile(path, data[:n], 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return []string{first, half}
}

// A database file cut short (a copy that stopped early) is refused by
// every command that opens it, with exit status 1 and a message naming it,
// and left as it was. It used to crash with SIGBUS and a runtime dump.
func TestTruncatedDatabaseIsRefused(t *testing.T) {
	e := newTestEnv(t)
	good := e.path("good.db")
	e.mustRun(ExitOK, "import", "--db", good, writeFile(t, e.path("users.jsonl"), goodPopi))
	for _, bad := range truncatedCopies(t, e) {
		before, err := os.ReadFile(bad)
		if err != nil {
			t.Fatal(err)
		}
		out := e.path("out", filepath.Base(bad)+".jsonl")
		for _, tt := range []struct {
			args []string
			want string
		}{
			{[]string{"stats", "--db", bad}, "popi-tui: " + bad + " is damaged (truncated?): it is "},
			{[]string{"stats", "--json", "--db", bad}, "popi-tui: " + bad + " is damaged (truncated?): "},
			{[]string{"import", "--db", bad, e.path("users.jsonl")}, "popi-tui: " + bad + " is damaged (truncated?): "},
			{[]string{"export", "users", "--db", bad, "-o", out}, "popi-tui: " + bad + " is damaged (truncated?): "},
			{[]string{"export", "labels", "--db", bad}, "popi-tui: " + bad + " is damaged (truncated?): "},
			{[]string{"merge", "--db", bad, good}, "popi-tui: " + bad + " is damaged (truncated?): "},
			{[]string{"merge", "--db", good, bad}, "popi-tui: merge: " + bad + " is damaged (truncated?): "},
		} {
			r := e.run(tt.args...) // fails the test on a panic or stack trace
			if r.code != ExitFailure || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("%q: exit %d, stderr %q; want %d and %q", tt.args, r.code, r.stderr, ExitFailure, tt.want)
			}
			for _, crash := range []string{"SIGBUS", "fatal error", "goroutine", "panic"} {
				if strings.Contains(r.stdout+r.stderr, crash) {
					t.Errorf("%q printed %q:\n%s", tt.args, crash, r.stderr)
				}
			}
			if after, _ := os.ReadFile(bad); !bytes.Equal(after, before) {
				t.Fatalf("%q changed %s (%d bytes, were %d)", tt.args, bad, len(after), len(before))
			}
		}
		if exists(out) || exists(filepath.Dir(out)) && len(dirNames(t, filepath.Dir(out))) > 0 {
			t.Errorf("an export from a damaged database wrote something")
		}
	}
	if st := e.stats(good); st["users"] != 2 {
		t.Errorf("the good database after failed merges: %v", st)
	}
}

// Any schema_version this build does not know is refused, naming the
// file, with exit status 1, and the file is left as it was. A negative
// one used to panic (index out of range); 0 was taken for a new file.
func TestUnknownSchemaVersionIsRefused(t *testing.T) {
	known := store.SchemaVersion()
	for _, tt := range []struct{ value, want string }{
		{"-5", fmt.Sprintf("unknown schema version -5 (this popi-tui knows 1–%d)", known)},
		{"0", fmt.Sprintf("unknown schema version 0 (this popi-tui knows 1–%d)", known)},
		{"five", fmt.Sprintf(`unknown schema version "five" (this popi-tui knows 1–%d)`, known)},
		{"184467440737095516160", `unknown schema version "184467440737095516160"`},
		{strconv.Itoa(known + 1), fmt.Sprintf("written by a newer popi-tui (schema %d; this build knows 1–%d)", known+1, known)},
	} {
		t.Run(tt.value, func(t *testing.T) {
			e := newTestEnv(t)
			db := e.path("popi.db")
			e.mustRun(ExitOK, "import", "--db", db, writeFile(t, e.path("users.jsonl"), goodPopi))
			b, err := bolt.Open(db, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = b.Update(func(tx *bolt.Tx) error {
				return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), []byte(tt.value))
			})
			if cerr := b.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				t.Fatal(err)
			}
			before, _ := os.ReadFile(db)
			for _, args := range [][]string{{"stats", "--db", db}, {"merge", "--db", e.path("other.db"), db}} {
				r := e.run(args...)
				if want := db + ": " + tt.want; r.code != ExitFailure || !strings.Contains(r.stderr, want) {
					t.Errorf("%q: exit %d, stderr %q; want %d and %q", args, r.code, r.stderr, ExitFailure, want)
				}
			}
			if after, _ := os.ReadFile(db); !bytes.Equal(after, before) {
				t.Error("the file was changed")
			}
		})
	}
}

// endlessReader is standard input that never ends and has no newline.
type endlessReader struct{}

func (endlessReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// An endless stream without a newline (/dev/zero, or such a pipe) is read
// only past the 8 MiB limit of a line, then refused as a regular file
// with such a line is. It used to be read for ever.
func TestImportOfAnEndlessStreamStops(t *testing.T) {
	e := newTestEnv(t)
	db := e.path("popi.db")
	type source struct {
		file, name string
		stdin      bool
	}
	sources := []source{{"-", "stdin", true}}
	if runtime.GOOS == "linux" {
		sources = append(sources, source{"/dev/zero", "/dev/zero", false})
	}
	for _, src := range sources {
		done := make(chan result, 1)
		go func() {
			var stdout, stderr bytes.Buffer
			env := Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Getenv: e.getenv}
			if src.stdin {
				env.Stdin = endlessReader{}
			}
			code := Run(context.Background(), []string{"import", "--db", db, src.file}, env)
			done <- result{code: code, stdout: stdout.String(), stderr: stderr.String()}
		}()
		var r result
		select {
		case r = <-done:
		case <-time.After(30 * time.Second):
			t.Fatalf("import %s still reads after 30 s", src.file)
		}
		want := src.name + ":1: line is longer than 8 MiB\n"
		if r.code != ExitFailure || !strings.HasPrefix(r.stderr, want) || !strings.Contains(r.stderr, "nothing from this file was imported") {
			t.Errorf("import %s: exit %d, stderr %q; want %d and %q first", src.file, r.code, r.stderr, ExitFailure, want)
		}
	}
	if st := e.stats(db); st["users"] != 0 {
		t.Errorf("stats after the refused imports: %v", st)
	}
}

// A stale temporary file of an export killed earlier (kill -9, a crash) is
// removed by the next export to the same file.
func TestExportRemovesStaleTemporaryFiles(t *testing.T) {
	e := newTestEnv(t)
	db := e.path("popi.db")
	e.mustRun(ExitOK, "import", "--db", db, writeFile(t, e.path("users.jsonl"), goodPopi))
	out := e.path("out", "rows.jsonl")
	stale := writeFile(t, e.path("out", ".rows.jsonl.tmp-2503311234"), strings.Repeat("half an export\n", 1000))
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	e.mustRun(ExitOK, "export", "users", "--db", db, "-o", out)
	if names := dirNames(t, filepath.Dir(out)); len(names) != 1 || names[0] != "rows.jsonl" {
		t.Errorf("after the export the directory holds %q, want only rows.jsonl", names)
	}
}

// Names of files and databases can hold escape sequences: every one
// printed goes through the sanitizer, as record text does.
func TestHostileFileNamesAreSanitized(t *testing.T) {
	e := newTestEnv(t)
	const (
		osc52 = "\x1b]52;c;aGk=\x07" // set the clipboard
		clear = "\x1b[2J"            // clear the screen
	)
	dir := e.path("d")
	name := func(base string) (path, shown string) {
		path = filepath.Join(dir, "x"+osc52+"y"+clear+base)
		return path, filepath.Join(dir, "xy"+base)
	}
	good, goodShown := name("good.jsonl")
	writeFile(t, good, goodPopi)
	var bad strings.Builder
	for i := 0; i < 25; i++ {
		bad.WriteString(`{"user":"u","kind":"nope"}` + "\n")
	}
	badFile, badShown := name("bad.jsonl")
	writeFile(t, badFile, bad.String())
	missing, missingShown := name("missing.jsonl")
	db, dbShown := name("popi.db")
	out, outShown := name("rows.jsonl")
	other, otherShown := name("other.db")
	e.mustRun(ExitOK, "import", "--db", other, good)
	config, configShown := name("config.toml")
	writeFile(t, config, "max_attempts = 2\n")

	for _, tt := range []struct {
		args []string
		code int
		want []string // what is printed of the names
	}{
		{[]string{"import", "--db", db, good}, ExitOK, []string{goodShown + " (popi): added "}},
		{[]string{"import", "--db", db, badFile}, ExitFailure, []string{badShown + ":1: ", badShown + ": … and 5 more bad record(s)", "popi-tui: " + badShown + ": 25 bad record(s)"}},
		{[]string{"import", "--db", db, missing}, ExitFailure, []string{"popi-tui: import: open " + missingShown + ": no such file"}},
		{[]string{"import", "--db", db, good, missing}, ExitFailure, []string{"1 of 2 files not imported: " + missingShown}},
		{[]string{"export", "users", "--db", db, "-o", out}, ExitOK, []string{" to " + outShown + "\n"}},
		{[]string{"stats", "--db", db}, ExitOK, []string{dbShown + "\n"}},
		{[]string{"merge", "--db", db, other}, ExitOK, []string{otherShown + ": added "}},
		{[]string{"merge", "--db", db, missing}, ExitFailure, []string{"popi-tui: merge " + missingShown + ": "}},
		{[]string{"demo", "--db", db}, ExitOK, []string{"Demo database " + dbShown, "popi-tui --db " + dbShown + " stats"}},
		{[]string{"stats", "--" + clear + "=1"}, ExitUsage, []string{"unknown flag: --"}},
		{[]string{"backends", "--db", db, "--config", config}, ExitOK, []string{"configuration: " + configShown}},
		{[]string{"generate", "--db", db, "--config", config}, ExitFailure, []string{"no generator backend is configured (" + configShown + ")"}},
	} {
		r := e.run(tt.args...)
		all := r.stdout + r.stderr
		if r.code != tt.code {
			t.Errorf("%q: exit %d, want %d\n%s", tt.args, r.code, tt.code, r.stderr)
		}
		if strings.ContainsAny(all, "\x1b\x07") {
			t.Errorf("%q printed an escape sequence:\nstdout %q\nstderr %q", tt.args, r.stdout, r.stderr)
		}
		for _, w := range tt.want {
			if !strings.Contains(all, w) {
				t.Errorf("%q: output lacks %q:\nstdout %q\nstderr %q", tt.args, w, r.stdout, r.stderr)
			}
		}
	}
}
