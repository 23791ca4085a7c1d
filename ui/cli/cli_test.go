package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// testEnv is a process environment rooted in a test's temporary directory:
// HOME and the XDG directories point inside it, never at the real home.
type testEnv struct {
	t    *testing.T
	root string
	vars map[string]string
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	root := t.TempDir()
	return &testEnv{t: t, root: root, vars: map[string]string{
		"HOME":            filepath.Join(root, "home"),
		"XDG_DATA_HOME":   filepath.Join(root, "xdg-data"),
		"XDG_CONFIG_HOME": filepath.Join(root, "xdg-config"),
		"NO_COLOR":        "1",
	}}
}

func (e *testEnv) getenv(key string) string { return e.vars[key] }

// path is a path inside the test's directory.
func (e *testEnv) path(elem ...string) string {
	return filepath.Join(append([]string{e.root}, elem...)...)
}

// defaultDB is where the database goes without --db under this environment.
func (e *testEnv) defaultDB() string {
	return filepath.Join(e.vars["XDG_DATA_HOME"], "popi-tui", "popi.db")
}

type result struct {
	code           int
	stdout, stderr string
}

// run runs popi-tui in process with a background context.
func (e *testEnv) run(args ...string) result {
	e.t.Helper()
	return e.runCtx(context.Background(), "", args...)
}

// runCtx runs popi-tui in process with ctx and stdin.
func (e *testEnv) runCtx(ctx context.Context, stdin string, args ...string) result {
	e.t.Helper()
	var stdout, stderr bytes.Buffer
	code := Run(ctx, args, Env{
		Stdin:   strings.NewReader(stdin),
		Stdout:  &stdout,
		Stderr:  &stderr,
		Getenv:  e.getenv,
		Version: "9.8.7-test",
	})
	r := result{code: code, stdout: stdout.String(), stderr: stderr.String()}
	for _, bad := range []string{"panic:", "goroutine ", ".go:"} {
		if strings.Contains(r.stderr, bad) || strings.Contains(r.stdout, bad) {
			e.t.Errorf("popi-tui %q printed what looks like a Go panic or stack trace (%q):\nstdout:\n%s\nstderr:\n%s", args, bad, r.stdout, r.stderr)
		}
	}
	return r
}

// mustRun runs popi-tui and fails the test unless it exits with want.
func (e *testEnv) mustRun(want int, args ...string) result {
	e.t.Helper()
	r := e.run(args...)
	if r.code != want {
		e.t.Fatalf("popi-tui %q: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", args, r.code, want, r.stdout, r.stderr)
	}
	return r
}

// statKeys are the fields of stats --json, in order.
var statKeys = []string{"users", "pairs_history", "pairs_heldout", "texts", "profiles", "personas",
	"tasks", "summaries", "summaries_human", "generations", "labels"}

// stats runs `stats --json` on db and returns its counts.
func (e *testEnv) stats(db string) map[string]int {
	e.t.Helper()
	r := e.mustRun(ExitOK, "stats", "--json", "--db", db)
	return parseStatsJSON(e.t, r.stdout)
}

// parseStatsJSON checks that out is exactly one JSON object on one line,
// with exactly the integer fields of statKeys and "datasets" (checked by
// parseDatasets), and returns the integer fields.
func parseStatsJSON(t *testing.T, out string) map[string]int {
	t.Helper()
	st, _ := parseStatsAndDatasets(t, out)
	return st
}

// parseStatsAndDatasets is parseStatsJSON that also returns the users of
// each dataset: an object of non-negative integers adding up to the users.
func parseStatsAndDatasets(t *testing.T, out string) (st, datasets map[string]int) {
	t.Helper()
	if !strings.HasSuffix(out, "\n") || strings.Count(out, "\n") != 1 {
		t.Fatalf("stats --json printed %q, want one line", out)
	}
	dec := json.NewDecoder(strings.NewReader(out))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		t.Fatalf("stats --json printed %q: %v", out, err)
	}
	if dec.More() {
		t.Fatalf("stats --json printed more than one JSON value: %q", out)
	}
	var keys []string
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := append(slices.Clone(statKeys), "datasets")
	slices.Sort(want)
	if !slices.Equal(keys, want) {
		t.Fatalf("stats --json keys = %v, want %v", keys, want)
	}
	datasets = parseDatasets(t, raw["datasets"])
	delete(raw, "datasets")
	st = make(map[string]int, len(raw))
	for k, v := range raw {
		n, ok := v.(json.Number)
		if !ok {
			t.Fatalf("stats --json: %s = %v (%T), want an integer", k, v, v)
		}
		i, err := n.Int64()
		if err != nil || i < 0 {
			t.Fatalf("stats --json: %s = %s, want a non-negative integer", k, n)
		}
		st[k] = int(i)
	}
	total := 0
	for _, n := range datasets {
		total += n
	}
	if total != st["users"] {
		t.Fatalf("stats --json: datasets %v add up to %d users, not %d", datasets, total, st["users"])
	}
	return st, datasets
}

// parseDatasets checks the datasets of stats --json: an object whose
// values are non-negative integers.
func parseDatasets(t *testing.T, v any) map[string]int {
	t.Helper()
	obj, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("stats --json: datasets = %v (%T), want an object", v, v)
	}
	out := make(map[string]int, len(obj))
	for name, n := range obj {
		num, ok := n.(json.Number)
		i, err := num.Int64()
		if !ok || err != nil || i < 0 {
			t.Fatalf("stats --json: datasets[%q] = %v, want a non-negative integer", name, n)
		}
		out[name] = int(i)
	}
	return out
}

func equalStats(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// goodPopi is a small valid popi JSONL file: 2 users, 6 signals.
const goodPopi = `{"user":"u1","kind":"pair","prompt":"p","chosen":"a","rejected":"b"}
{"user":"u1","kind":"pair","split":"heldout","prompt":"p2","chosen":"c","rejected":"d"}
{"user":"u2","kind":"text","text":"hello"}
{"user":"u2","kind":"profile","text":"a profile"}
{"user":"u2","kind":"persona","text":"a persona"}
{"user":"u2","kind":"task","prompt":"do it"}
`

// goodPopiStats is what importing goodPopi into an empty database gives.
var goodPopiStats = map[string]int{"users": 2, "pairs_history": 1, "pairs_heldout": 1, "texts": 1,
	"profiles": 1, "personas": 1, "tasks": 1, "summaries": 0, "summaries_human": 0, "generations": 0, "labels": 0}

const goodPopiAdded = "added 2 user(s), 1 history pair(s), 1 held-out pair(s), 1 text(s), 1 profile(s), 1 persona(s), 1 task(s); 0 duplicate(s) skipped"

func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"--db", "ignored.db", "--version"}} {
		e := newTestEnv(t)
		r := e.mustRun(ExitOK, args...)
		if r.stdout != "popi-tui 9.8.7-test\n" {
			t.Errorf("%q: stdout = %q, want %q", args, r.stdout, "popi-tui 9.8.7-test\n")
		}
		if r.stderr != "" {
			t.Errorf("%q: stderr = %q, want nothing", args, r.stderr)
		}
	}
}

func TestMainHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}} {
		e := newTestEnv(t)
		r := e.mustRun(ExitOK, args...)
		if r.stderr != "" {
			t.Errorf("%q: stderr = %q, want nothing", args, r.stderr)
		}
		for _, want := range []string{"Usage:", "Commands:", "  demo ", "  export ", "  import ", "  stats ", "--db path", "--config file", "--version"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("%q: stdout lacks %q:\n%s", args, want, r.stdout)
			}
		}
		if exists(e.defaultDB()) {
			t.Errorf("%q created the default database", args)
		}
	}
}

func TestNoArguments(t *testing.T) {
	e := newTestEnv(t)
	r := e.mustRun(ExitUsage)
	if r.stdout != "" {
		t.Errorf("stdout = %q, want nothing", r.stdout)
	}
	for _, want := range []string{"Usage:", "Commands:", "import", "export", "stats", "demo"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}

// TestUsageErrors: every mistake in the command line exits 2 with a message
// on stderr naming it, prints nothing on stdout and creates no database.
func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string // on stderr
	}{
		{"unknown command", []string{"frobnicate"}, []string{`unknown command "frobnicate"`, "import", "Run 'popi-tui --help'"}},
		{"unknown command after global flag", []string{"--db", "DB", "frobnicate", "x"}, []string{`unknown command "frobnicate"`}},
		{"unknown global flag", []string{"--bogus", "stats"}, []string{"-bogus", "Run 'popi-tui --help'"}},
		{"unknown import flag", []string{"import", "--bogus", "f.jsonl"}, []string{"-bogus", "Run 'popi-tui import --help'"}},
		{"unknown import flag after file", []string{"import", "f.jsonl", "--bogus"}, []string{"-bogus", "Run 'popi-tui import --help'"}},
		{"unknown stats flag", []string{"stats", "--yaml"}, []string{"-yaml", "Run 'popi-tui stats --help'"}},
		{"--db without value", []string{"stats", "--db"}, []string{"-db", "Run 'popi-tui stats --help'"}},
		{"import bad format", []string{"import", "--format", "nope", "f.jsonl"}, []string{`unknown format "nope"`, "Run 'popi-tui import --help'"}},
		{"import no files", []string{"import"}, []string{"no input files", "Run 'popi-tui import --help'"}},
		{"import no files with format", []string{"import", "--format", "popi"}, []string{"no input files"}},
		{"stats extra argument", []string{"stats", "extra"}, []string{"stats takes no arguments", "Run 'popi-tui stats --help'"}},
		{"demo argument", []string{"demo", "x"}, []string{"demo takes no arguments", "Run 'popi-tui demo --help'"}},
		{"infer argument", []string{"infer", "u1"}, []string{"popi-tui infer: infer takes no arguments (name users with --user)\n"}},
		{"generate argument", []string{"generate", "u1"}, []string{"popi-tui generate: generate takes no arguments (name users with --user)\n"}},
		{"backends argument", []string{"backends", "x"}, []string{"popi-tui backends: backends takes no arguments\n"}},
		{"argument before a bad flag", []string{"infer", "u1", "--concurrency", "-1"}, []string{"infer takes no arguments"}},
		{"negative concurrency", []string{"generate", "--concurrency", "-1"}, []string{"popi-tui generate: --concurrency must be positive\n"}},
		{"export nothing", []string{"export"}, []string{"say what to export", "Run 'popi-tui export --help'"}},
		{"export unknown kind", []string{"export", "frob"}, []string{`cannot export "frob"`}},
		{"export two kinds", []string{"export", "labels", "users"}, []string{"say what to export"}},
		{"export users as dpo", []string{"export", "users", "--format", "dpo"}, []string{`users cannot be exported as "dpo"`}},
		{"export labels as sft", []string{"export", "labels", "--format", "sft"}, []string{`labels cannot be exported as "sft"`}},
		{"export summaries as kto", []string{"export", "summaries", "--format", "kto"}, []string{`summaries cannot be exported as "kto"`}},
		{"conversational raw default", []string{"export", "labels", "--conversational"}, []string{"--conversational applies to labels in dpo or kto format and to summaries"}},
		{"conversational raw", []string{"export", "labels", "--format", "raw", "--conversational"}, []string{"--conversational applies to labels"}},
		{"plain users", []string{"export", "users", "--plain"}, []string{"--plain applies to labels in dpo or kto format"}},
		{"plain raw", []string{"export", "labels", "--format", "raw", "--plain"}, []string{"--plain applies to labels in dpo or kto format"}},
		{"conversational users", []string{"export", "users", "--conversational"}, []string{"--conversational applies to labels"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			db := e.path("db", "popi.db")
			args := slices.Clone(tt.args)
			for i, a := range args {
				if a == "DB" {
					args[i] = db
				}
			}
			r := e.mustRun(ExitUsage, args...)
			if r.stdout != "" {
				t.Errorf("stdout = %q, want nothing", r.stdout)
			}
			for _, want := range tt.want {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
				}
			}
			if exists(e.defaultDB()) || exists(db) {
				t.Errorf("a usage error created a database")
			}
		})
	}
}

// TestCommandHelp: every subcommand's --help (and -h, anywhere among its
// arguments) exits 0 and lists its own flags and the global ones.
func TestCommandHelp(t *testing.T) {
	tests := []struct {
		cmd   string
		flags []string
	}{
		{"import", []string{"--format string", "FILE...", "--theme string"}},
		{"export", []string{"--format string", "-o, --output file", "--conversational", "labels|summaries|users", "dpo", "kto", "sft", "pairs", "--config file"}},
		{"stats", []string{"--json"}},
		{"demo", []string{"--config file", "--theme string", "--annotator name", "--compare string"}},
	}
	// Every command reads the database; the other global flags are listed
	// only by the commands that read them.
	global := []string{"--db path", "-h, --help", "Flags:"}
	unused := map[string][]string{
		"import": {"--config", "--annotator", "--compare"},
		"export": {"--theme", "--annotator", "--compare"},
		"stats":  {"--config", "--theme", "--annotator", "--compare"},
	}
	for _, tt := range tests {
		for _, args := range [][]string{
			{tt.cmd, "--help"},
			{tt.cmd, "-h"},
			{"--db", "DB", tt.cmd, "--help"},
			{tt.cmd, "some-argument", "--help"},
		} {
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				e := newTestEnv(t)
				db := e.path("x.db")
				args := slices.Clone(args)
				for i, a := range args {
					if a == "DB" {
						args[i] = db
					}
				}
				r := e.mustRun(ExitOK, args...)
				if r.stderr != "" {
					t.Errorf("stderr = %q, want nothing", r.stderr)
				}
				if !strings.HasPrefix(r.stdout, "Usage: popi-tui "+tt.cmd+" ") {
					t.Errorf("stdout does not start with %q:\n%s", "Usage: popi-tui "+tt.cmd, r.stdout)
				}
				for _, want := range append(slices.Clone(global), tt.flags...) {
					if !strings.Contains(r.stdout, want) {
						t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
					}
				}
				_, flagList, _ := strings.Cut(r.stdout, "\nFlags:\n")
				for _, flag := range unused[tt.cmd] {
					if strings.Contains(flagList, flag+" ") {
						t.Errorf("stdout lists %s, which %s does not read:\n%s", flag, tt.cmd, r.stdout)
					}
				}
				if exists(e.defaultDB()) || exists(db) {
					t.Errorf("--help created a database")
				}
			})
		}
	}
}

// TestGlobalFlagPlacement: --db is accepted before the command, after it,
// after the files, and "--" ends the flags.
func TestGlobalFlagPlacement(t *testing.T) {
	tests := []struct {
		name string
		// args builds the command line from the database path and the file
		// to import; dir is the working directory.
		args func(db, file string) []string
		// file is the name of the input file, relative to the working directory.
		file string
	}{
		{"before the command", func(db, f string) []string { return []string{"--db", db, "import", f} }, "in.jsonl"},
		{"before the command with =", func(db, f string) []string { return []string{"--db=" + db, "import", f} }, "in.jsonl"},
		{"after the command", func(db, f string) []string { return []string{"import", "--db", db, f} }, "in.jsonl"},
		{"after the file", func(db, f string) []string { return []string{"import", f, "--db", db} }, "in.jsonl"},
		{"after the file with =", func(db, f string) []string { return []string{"import", f, "--db=" + db} }, "in.jsonl"},
		{"between flags", func(db, f string) []string { return []string{"import", "--format", "popi", f, "--db", db} }, "in.jsonl"},
		{"command flag overrides global", func(db, f string) []string {
			return []string{"--db", "other.db", "import", "--db", db, f}
		}, "in.jsonl"},
		{"-- then a file named --db", func(db, f string) []string { return []string{"import", "--db", db, "--", f} }, "--db"},
		{"global --db, -- then a file named --db", func(db, f string) []string { return []string{"--db", db, "import", "--", f} }, "--db"},
		{"-- before the command", func(db, f string) []string { return []string{"--db", db, "--", "import", f} }, "in.jsonl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			work := e.path("work")
			writeFile(t, filepath.Join(work, tt.file), goodPopi)
			t.Chdir(work)
			db := e.path("dbs", "X.db")
			args := tt.args(db, tt.file)
			r := e.mustRun(ExitOK, args...)
			wantLine := tt.file + " (popi): " + goodPopiAdded + "\n"
			if r.stdout != wantLine {
				t.Errorf("stdout = %q, want %q", r.stdout, wantLine)
			}
			if !exists(db) {
				t.Fatalf("%q did not create %s", args, db)
			}
			if got := e.stats(db); !equalStats(got, goodPopiStats) {
				t.Errorf("stats of %s = %v, want %v", db, got, goodPopiStats)
			}
			for _, other := range []string{e.defaultDB(), filepath.Join(work, "other.db"), filepath.Join(work, "--db.db")} {
				if exists(other) {
					t.Errorf("%q created %s", args, other)
				}
			}
		})
	}
}

// TestDoubleDashEndsFlags: after "--" every argument is a file, however
// much it looks like a flag.
func TestDoubleDashEndsFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--db", "DB", "import", "--", "--db", "--format", "-h"},
		{"import", "--db", "DB", "--", "--db", "--format", "-h"},
		{"import", "--format", "popi", "--db", "DB", "--", "--db", "--format", "-h"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			e := newTestEnv(t)
			work := e.path("work")
			writeFile(t, filepath.Join(work, "--db"), goodPopi)
			writeFile(t, filepath.Join(work, "--format"), `{"user":"u3","kind":"task","prompt":"three"}`+"\n")
			writeFile(t, filepath.Join(work, "-h"), `{"user":"u4","kind":"task","prompt":"four"}`+"\n")
			t.Chdir(work)
			db := e.path("dbs", "X.db")
			args = slices.Clone(args)
			for i, a := range args {
				if a == "DB" {
					args[i] = db
				}
			}
			r := e.mustRun(ExitOK, args...)
			task := "added 1 user(s), 0 history pair(s), 0 held-out pair(s), 0 text(s), 0 profile(s), 0 persona(s), 1 task(s); 0 duplicate(s) skipped\n"
			want := "--db (popi): " + goodPopiAdded + "\n" +
				"--format (popi): " + task +
				"-h (popi): " + task +
				"total: added 4 user(s), 1 history pair(s), 1 held-out pair(s), 1 text(s), 1 profile(s), 1 persona(s), 3 task(s); 0 duplicate(s) skipped\n"
			if r.stdout != want {
				t.Errorf("stdout =\n%s\nwant\n%s", r.stdout, want)
			}
			if got := e.stats(db); got["users"] != 4 || got["tasks"] != 3 {
				t.Errorf("stats of %s = %v, want 4 users and 3 tasks", db, got)
			}
		})
	}
}

// TestDefaultDatabase: without --db the database is
// $XDG_DATA_HOME/popi-tui/popi.db, else ~/.local/share/popi-tui/popi.db,
// with its directories created.
func TestDefaultDatabase(t *testing.T) {
	tests := []struct {
		name string
		xdg  func(e *testEnv) string // XDG_DATA_HOME; "" is unset
		want func(e *testEnv) string
	}{
		{"XDG_DATA_HOME", func(e *testEnv) string { return e.path("deep", "xdg", "data") },
			func(e *testEnv) string { return e.path("deep", "xdg", "data", "popi-tui", "popi.db") }},
		{"XDG_DATA_HOME unset", func(e *testEnv) string { return "" },
			func(e *testEnv) string {
				return filepath.Join(e.vars["HOME"], ".local", "share", "popi-tui", "popi.db")
			}},
		{"XDG_DATA_HOME relative (ignored)", func(e *testEnv) string { return "relative/data" },
			func(e *testEnv) string {
				return filepath.Join(e.vars["HOME"], ".local", "share", "popi-tui", "popi.db")
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			if x := tt.xdg(e); x != "" {
				e.vars["XDG_DATA_HOME"] = x
			} else {
				delete(e.vars, "XDG_DATA_HOME")
			}
			t.Chdir(e.path())
			in := writeFile(t, e.path("in.jsonl"), goodPopi)
			want := tt.want(e)
			if exists(filepath.Dir(want)) {
				t.Fatalf("%s exists before the test", filepath.Dir(want))
			}
			e.mustRun(ExitOK, "import", in)
			if fi, err := os.Stat(want); err != nil || !fi.Mode().IsRegular() {
				t.Fatalf("import without --db did not create %s: %v", want, err)
			}
			r := e.mustRun(ExitOK, "stats", "--json")
			if got := parseStatsJSON(t, r.stdout); !equalStats(got, goodPopiStats) {
				t.Errorf("stats without --db = %v, want %v", got, goodPopiStats)
			}
			r = e.mustRun(ExitOK, "stats")
			if first, _, _ := strings.Cut(r.stdout, "\n"); first != want {
				t.Errorf("stats names the database %q, want %q", first, want)
			}
			if exists(e.path("relative")) {
				t.Errorf("a relative XDG_DATA_HOME was used")
			}
		})
	}
}

// "--" given as a flag's value is that value, not the end of the flags.
func TestDoubleDashAsFlagValue(t *testing.T) {
	e := newTestEnv(t)
	in := e.path("in.jsonl")
	if err := os.WriteFile(in, []byte(`{"user":"u","kind":"task","prompt":"p"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	db := e.path("x.db")
	r := e.mustRun(0, "import", "--theme", "--", in, "--db", db)
	if !strings.Contains(r.stdout, "added 1 user(s)") {
		t.Errorf("stdout = %q", r.stdout)
	}
	if _, err := os.Stat(db); err != nil {
		t.Errorf("--db after the file was not honoured: %v", err)
	}
}
