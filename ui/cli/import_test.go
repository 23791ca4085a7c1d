package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/popi-tui/popi-tui/store/storetest"
)

func TestImportGoodFile(t *testing.T) {
	e := newTestEnv(t)
	db := e.path("popi.db")
	in := writeFile(t, e.path("good.jsonl"), goodPopi)

	r := e.mustRun(ExitOK, "import", "--db", db, in)
	if want := in + " (popi): " + goodPopiAdded + "\n"; r.stdout != want {
		t.Errorf("first import: stdout = %q, want %q", r.stdout, want)
	}
	if r.stderr != "" {
		t.Errorf("first import: stderr = %q, want nothing (no progress lines for a small file)", r.stderr)
	}
	if got := e.stats(db); !equalStats(got, goodPopiStats) {
		t.Fatalf("stats after import = %v, want %v", got, goodPopiStats)
	}

	// Again: nothing added, every record a duplicate.
	r = e.mustRun(ExitOK, "import", "--db", db, in)
	wantAgain := in + " (popi): added 0 user(s), 0 history pair(s), 0 held-out pair(s), 0 text(s), 0 profile(s), 0 persona(s), 0 task(s); 6 duplicate(s) skipped\n"
	if r.stdout != wantAgain {
		t.Errorf("second import: stdout = %q, want %q", r.stdout, wantAgain)
	}
	if got := e.stats(db); !equalStats(got, goodPopiStats) {
		t.Errorf("stats after the second import = %v, want %v", got, goodPopiStats)
	}

	// Explicit formats: popi reads it, alignx does not.
	r = e.mustRun(ExitOK, "import", "--db", db, "--format", "popi", in)
	if !strings.Contains(r.stdout, "(popi): added 0 user(s)") || !strings.Contains(r.stdout, "6 duplicate(s) skipped") {
		t.Errorf("--format popi: stdout = %q", r.stdout)
	}
	e.mustRun(ExitFailure, "import", "--db", db, "--format", "alignx", in)
	if got := e.stats(db); !equalStats(got, goodPopiStats) {
		t.Errorf("stats after a rejected --format alignx import = %v, want %v", got, goodPopiStats)
	}
}

func TestImportStdin(t *testing.T) {
	e := newTestEnv(t)
	db := e.path("popi.db")
	r := e.runCtx(context.Background(), goodPopi, "import", "--db", db, "-")
	if r.code != ExitOK {
		t.Fatalf("import -: exit %d\n%s", r.code, r.stderr)
	}
	if want := "stdin (popi): " + goodPopiAdded + "\n"; r.stdout != want {
		t.Errorf("import -: stdout = %q, want %q", r.stdout, want)
	}
	if got := e.stats(db); !equalStats(got, goodPopiStats) {
		t.Fatalf("stats after import - = %v, want %v", got, goodPopiStats)
	}
	r = e.runCtx(context.Background(), goodPopi, "import", "--db", db, "-")
	if r.code != ExitOK || !strings.Contains(r.stdout, "added 0 user(s)") || !strings.Contains(r.stdout, "6 duplicate(s) skipped") {
		t.Errorf("import - again: exit %d, stdout %q", r.code, r.stdout)
	}
	// "-" before a flag is still a file.
	r = e.runCtx(context.Background(), goodPopi, "import", "-", "--db", db)
	if r.code != ExitOK || !strings.HasPrefix(r.stdout, "stdin (popi): added 0 user(s)") {
		t.Errorf("import - --db DB: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	// A file and standard input together: two lines and a total.
	in := writeFile(t, e.path("more.jsonl"), `{"user":"u3","kind":"task","prompt":"another"}`+"\n")
	r = e.runCtx(context.Background(), goodPopi, "import", "--db", db, in, "-")
	if r.code != ExitOK {
		t.Fatalf("import FILE -: exit %d\n%s", r.code, r.stderr)
	}
	wantOut := in + " (popi): added 1 user(s), 0 history pair(s), 0 held-out pair(s), 0 text(s), 0 profile(s), 0 persona(s), 1 task(s); 0 duplicate(s) skipped\n" +
		"stdin (popi): added 0 user(s), 0 history pair(s), 0 held-out pair(s), 0 text(s), 0 profile(s), 0 persona(s), 0 task(s); 6 duplicate(s) skipped\n" +
		"total: added 1 user(s), 0 history pair(s), 0 held-out pair(s), 0 text(s), 0 profile(s), 0 persona(s), 1 task(s); 6 duplicate(s) skipped\n"
	if r.stdout != wantOut {
		t.Errorf("import FILE -: stdout =\n%s\nwant\n%s", r.stdout, wantOut)
	}
}

// TestImportBadFile: a file with bad records is rejected whole, each bad
// record named as FILE:LINE: reason, and the database does not change.
func TestImportBadFile(t *testing.T) {
	const good = `{"user":"v1","kind":"pair","prompt":"fine","chosen":"yes","rejected":"no"}`
	tests := []struct {
		name  string
		lines []string
		want  []string // FILE:LINE: prefixes and reasons, in order; FILE is replaced
	}{
		{"identical answers", []string{good, `{"user":"v1","kind":"pair","prompt":"p","chosen":"a","rejected":"a"}`},
			[]string{`FILE:2: pair: "chosen" and "rejected" are identical`}},
		{"invalid JSON", []string{good, good, "not json"},
			[]string{"FILE:3: a record must be a JSON object"}},
		{"truncated JSON", []string{`{"user":"v1","kind":"text","text":"x"`},
			[]string{"FILE:1: invalid JSON"}},
		{"missing user", []string{good, `{"kind":"text","text":"x"}`},
			[]string{`FILE:2: missing "user"`}},
		{"missing kind", []string{`{"user":"v1","text":"x"}`},
			[]string{`FILE:1: missing "kind"`}},
		{"unknown kind", []string{good, `{"user":"v1","kind":"wat","text":"x"}`},
			[]string{`FILE:2: unknown kind "wat"`}},
		{"empty prompt", []string{`{"user":"v1","kind":"pair","prompt":"","chosen":"a","rejected":"b"}`, good},
			[]string{`FILE:1: pair: "prompt" is empty or missing`}},
		{"task without prompt", []string{good, good, good, `{"user":"v1","kind":"task"}`},
			[]string{`FILE:4: task: "prompt" is empty or missing`}},
		{"NUL byte", []string{good, `{"user":"v1","kind":"text","text":"a\u0000b"}`},
			[]string{`FILE:2: "text" contains a NUL byte`}},
		{"invalid UTF-8", []string{good, "{\"user\":\"v1\",\"kind\":\"text\",\"text\":\"\xff\xfe\"}"},
			[]string{"FILE:2: invalid UTF-8"}},
		{"several", []string{good, `{"user":"v1","kind":"wat"}`, good, `{"kind":"text","text":"x"}`, "[]"},
			[]string{`FILE:2: unknown kind "wat"`, `FILE:4: missing "user"`, "FILE:5: "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			db := e.path("popi.db")
			e.mustRun(ExitOK, "import", "--db", db, writeFile(t, e.path("base.jsonl"), goodPopi))
			before := e.stats(db)

			bad := writeFile(t, e.path("bad.jsonl"), strings.Join(tt.lines, "\n")+"\n")
			r := e.mustRun(ExitFailure, "import", "--db", db, bad)
			if r.stdout != "" {
				t.Errorf("stdout = %q, want nothing", r.stdout)
			}
			lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
			if len(lines) != len(tt.want)+1 {
				t.Fatalf("stderr has %d lines, want %d problems and a summary:\n%s", len(lines), len(tt.want), r.stderr)
			}
			for i, w := range tt.want {
				w = strings.Replace(w, "FILE", bad, 1)
				if !strings.HasPrefix(lines[i], w) {
					t.Errorf("stderr line %d = %q, want it to start with %q", i+1, lines[i], w)
				}
			}
			last := lines[len(lines)-1]
			if !strings.Contains(last, bad) || !strings.Contains(last, "nothing from this file was imported") {
				t.Errorf("last stderr line = %q, want it to name %s and say nothing was imported", last, bad)
			}
			if after := e.stats(db); !equalStats(after, before) {
				t.Errorf("stats after a rejected import = %v, want %v (unchanged)", after, before)
			}
		})
	}
}

func TestImportManyBadRecordsAreCounted(t *testing.T) {
	e := newTestEnv(t)
	db := e.path("popi.db")
	var b strings.Builder
	for range 25 {
		b.WriteString(`{"user":"v1","kind":"nope","text":"x"}` + "\n")
	}
	bad := writeFile(t, e.path("bad.jsonl"), b.String())
	r := e.mustRun(ExitFailure, "import", "--db", db, bad)
	if n := strings.Count(r.stderr, bad+":"); n != 22 { // 20 listed, "… and 5 more", the summary
		t.Errorf("stderr names the file on %d lines, want 22:\n%s", n, r.stderr)
	}
	for _, want := range []string{bad + ":1: unknown kind", bad + ":20: unknown kind", "and 5 more bad record(s)", "25 bad record(s)", "nothing from this file was imported"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, bad+":21:") {
		t.Errorf("stderr lists more than 20 bad records:\n%s", r.stderr)
	}
	empty := map[string]int{}
	for _, k := range statKeys {
		empty[k] = 0
	}
	if got := e.stats(db); !equalStats(got, empty) {
		t.Errorf("stats = %v, want all zero", got)
	}
}

// TestImportSecondFileBad: files are imported one by one; a bad one does
// not undo the good one before it, and makes the command fail.
func TestImportSecondFileBad(t *testing.T) {
	e := newTestEnv(t)
	db := e.path("popi.db")
	good := writeFile(t, e.path("good.jsonl"), goodPopi)
	bad := writeFile(t, e.path("bad.jsonl"), `{"user":"w1","kind":"task","prompt":"fine"}`+"\n"+`{"user":"w1","kind":"task"}`+"\n")
	r := e.mustRun(ExitFailure, "import", "--db", db, good, bad)
	if !strings.Contains(r.stdout, good+" (popi): "+goodPopiAdded+"\n") {
		t.Errorf("stdout lacks the report of %s:\n%s", good, r.stdout)
	}
	for _, want := range []string{bad + ":2: ", "nothing from this file was imported", "1 of 2 files not imported: " + bad} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, good) {
		t.Errorf("stderr names the good file:\n%s", r.stderr)
	}
	if got := e.stats(db); !equalStats(got, goodPopiStats) {
		t.Errorf("stats = %v, want %v (the first file only)", got, goodPopiStats)
	}
}

func TestImportUnreadable(t *testing.T) {
	tests := []struct {
		name string
		file func(e *testEnv) string
		want func(file string) string
	}{
		{"missing file", func(e *testEnv) string { return e.path("no-such-file.jsonl") },
			func(file string) string {
				_, err := os.Open(file)
				if err == nil {
					panic("the missing file exists")
				}
				return err.Error()
			}},
		{"directory", func(e *testEnv) string {
			d := e.path("a-directory")
			if err := os.Mkdir(d, 0o755); err != nil {
				panic(err)
			}
			return d
		}, func(file string) string { return file + ": is a directory" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			db := e.path("popi.db")
			e.mustRun(ExitOK, "import", "--db", db, writeFile(t, e.path("base.jsonl"), goodPopi))
			file := tt.file(e)
			r := e.mustRun(ExitFailure, "import", "--db", db, file)
			if want := tt.want(file); !strings.Contains(r.stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout = %q, want nothing", r.stdout)
			}
			// With a good file after it, the good one is still imported.
			more := writeFile(t, e.path("more.jsonl"), `{"user":"z9","kind":"task","prompt":"hi"}`+"\n")
			r = e.mustRun(ExitFailure, "import", "--db", db, file, more)
			if !strings.Contains(r.stdout, more+" (popi): added 1 user(s)") || !strings.Contains(r.stderr, "1 of 2 files not imported: "+file) {
				t.Errorf("import BAD GOOD:\nstdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
			}
			want := map[string]int{}
			for k, v := range goodPopiStats {
				want[k] = v
			}
			want["users"]++
			want["tasks"]++
			if got := e.stats(db); !equalStats(got, want) {
				t.Errorf("stats = %v, want %v", got, want)
			}
		})
	}
}

// TestImportCancelled: an import whose context is done (Ctrl-C) exits 130
// and leaves the database as it was.
func TestImportCancelled(t *testing.T) {
	e := newTestEnv(t)
	db := e.path("popi.db")
	storetest.DemoDBAt(t, db).Close()
	before := e.stats(db)

	var b strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&b, `{"user":"c%d","kind":"task","id":"t%d","prompt":"prompt number %d"}`+"\n", i%26, i, i)
	}
	in := writeFile(t, e.path("big.jsonl"), b.String())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := e.runCtx(ctx, "", "import", "--db", db, in)
	if r.code != ExitInterrupted {
		t.Fatalf("import with a cancelled context: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, ExitInterrupted, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "interrupted") || !strings.Contains(r.stderr, in) {
		t.Errorf("stderr does not say the import of %s was interrupted:\n%s", in, r.stderr)
	}
	if n := strings.Count(r.stderr, "\n"); n != 1 {
		t.Errorf("stderr has %d lines, want one message:\n%s", n, r.stderr)
	}
	if strings.Contains(r.stdout, "added") {
		t.Errorf("stdout reports an import:\n%s", r.stdout)
	}
	if after := e.stats(db); !equalStats(after, before) {
		t.Errorf("stats after an interrupted import = %v, want %v (unchanged)", after, before)
	}
	// Two files: the first is interrupted, the second never started.
	second := writeFile(t, e.path("second.jsonl"), goodPopi)
	r = e.runCtx(ctx, "", "import", "--db", db, in, second)
	if r.code != ExitInterrupted || r.stdout != "" || strings.Contains(r.stderr, second) {
		t.Errorf("import of two files, cancelled: exit %d, stdout %q, stderr %q; want %d, nothing, and no word of %s",
			r.code, r.stdout, r.stderr, ExitInterrupted, second)
	}
	if after := e.stats(db); !equalStats(after, before) {
		t.Errorf("stats after an interrupted import of two files = %v, want %v (unchanged)", after, before)
	}
	// Stdin too.
	r = e.runCtx(ctx, goodPopi, "import", "--db", db, "-")
	if r.code != ExitInterrupted {
		t.Errorf("import - with a cancelled context: exit %d, want %d\n%s", r.code, ExitInterrupted, r.stderr)
	}
	if after := e.stats(db); !equalStats(after, before) {
		t.Errorf("stats after an interrupted import of stdin = %v, want %v (unchanged)", after, before)
	}
	// The file can be imported afterwards.
	r = e.mustRun(ExitOK, "import", "--db", db, in)
	if !strings.Contains(r.stdout, "(popi): added ") {
		t.Errorf("import after the interruption: %q", r.stdout)
	}
}

func TestImportAlignXSample(t *testing.T) {
	alignxSample := "../../../shared/data/alignx-psoups-friendly-unfriendly.json"
	if p := os.Getenv("POPI_ALIGNX_SAMPLE"); p != "" { // .ci/run sets it for clones elsewhere
		alignxSample = p
	}
	if _, err := os.Stat(alignxSample); err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("the AlignX sample %s is absent (%v); it is required when CI is set", alignxSample, err)
		}
		t.Fatalf("CI is set and the AlignX sample %s is absent: %v", alignxSample, err)
	}
	in, err := filepath.Abs(alignxSample)
	if err != nil {
		t.Fatal(err)
	}
	e := newTestEnv(t)
	db := e.path("alignx.db")
	r := e.mustRun(ExitOK, "import", "--db", db, in)
	wantOut := in + " (alignx): added 600 user(s), 2400 history pair(s), 600 held-out pair(s), 0 text(s), 600 profile(s), 600 persona(s), 0 task(s); 0 duplicate(s) skipped\n"
	if r.stdout != wantOut {
		t.Errorf("stdout = %q, want %q", r.stdout, wantOut)
	}
	want := map[string]int{"users": 600, "pairs_history": 2400, "pairs_heldout": 600, "texts": 0, "profiles": 600,
		"personas": 600, "tasks": 0, "summaries": 0, "summaries_human": 0, "generations": 0, "labels": 0}
	if got := e.stats(db); !equalStats(got, want) {
		t.Errorf("stats = %v, want %v", got, want)
	}
	// --format alignx explicitly, again: nothing new.
	r = e.mustRun(ExitOK, "import", "--format", "alignx", "--db", db, in)
	if !strings.Contains(r.stdout, "(alignx): added 0 user(s), 0 history pair(s), 0 held-out pair(s)") {
		t.Errorf("re-import: stdout = %q", r.stdout)
	}
	if got := e.stats(db); !equalStats(got, want) {
		t.Errorf("stats after re-import = %v, want %v", got, want)
	}
}

// The example files the README points at import as it says.
func TestReadmeExampleFiles(t *testing.T) {
	e := newTestEnv(t)
	db := e.path("examples.db")
	r := e.mustRun(ExitOK, "import", "--db", db, "../../testdata/example.jsonl", "../../testdata/alignx-example.json")
	want := "../../testdata/example.jsonl (popi): added 2 user(s), 3 history pair(s), 2 held-out pair(s), 1 text(s), 1 profile(s), 2 persona(s), 2 task(s); 0 duplicate(s) skipped\n" +
		"../../testdata/alignx-example.json (alignx): added 1 user(s), 2 history pair(s), 1 held-out pair(s), 1 text(s), 1 profile(s), 1 persona(s), 0 task(s); 0 duplicate(s) skipped\n" +
		"total: added 3 user(s), 5 history pair(s), 3 held-out pair(s), 2 text(s), 2 profile(s), 3 persona(s), 2 task(s); 0 duplicate(s) skipped\n"
	if r.stdout != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", r.stdout, want)
	}
	r = e.mustRun(ExitFailure, "import", "--db", db, "../../testdata/bad.jsonl")
	wantErr := `../../testdata/bad.jsonl:2: pair: "chosen" and "rejected" are identical
../../testdata/bad.jsonl:3: missing "user"
../../testdata/bad.jsonl:7: invalid JSON: unexpected '}' (column 46)
popi-tui: ../../testdata/bad.jsonl: 3 bad record(s); nothing from this file was imported
`
	if r.stderr != wantErr {
		t.Errorf("stderr:\n%s\nwant:\n%s", r.stderr, wantErr)
	}
}
