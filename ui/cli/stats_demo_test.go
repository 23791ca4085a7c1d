package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
)

// demoStats is what stats says of a database holding only the demo data.
var demoStats = map[string]int{"users": 8, "pairs_history": 48, "pairs_heldout": 11, "texts": 4, "profiles": 4,
	"personas": 8, "tasks": 24, "summaries": 0, "summaries_human": 0, "generations": 0, "labels": 0}

func TestStatsJSON(t *testing.T) {
	tests := []struct {
		name     string
		build    func(t *testing.T, e *testEnv, db string)
		want     map[string]int
		datasets []string // the lines after the counts
	}{
		{"new database", func(t *testing.T, e *testEnv, db string) {}, map[string]int{"users": 0, "pairs_history": 0,
			"pairs_heldout": 0, "texts": 0, "profiles": 0, "personas": 0, "tasks": 0, "summaries": 0,
			"summaries_human": 0, "generations": 0, "labels": 0}, nil},
		{"small import", func(t *testing.T, e *testEnv, db string) {
			e.mustRun(ExitOK, "import", "--db", db, writeFile(t, e.path("in.jsonl"), goodPopi))
		}, goodPopiStats, []string{"dataset in: 2 user(s)"}},
		{"demo", func(t *testing.T, e *testEnv, db string) { e.mustRun(ExitOK, "demo", "--db", db) }, demoStats, []string{"dataset demo: 8 user(s)"}},
		{"export fixture", func(t *testing.T, e *testEnv, db string) { buildExportDB(t, db) }, map[string]int{"users": 8,
			"pairs_history": 48, "pairs_heldout": 11, "texts": 4, "profiles": 4, "personas": 8, "tasks": 24,
			"summaries": 2, "summaries_human": 1, "generations": 2, "labels": 1}, []string{"dataset demo: 8 user(s)"}},
		{"retracted label", func(t *testing.T, e *testEnv, db string) {
			buildExportDB(t, db)
			h := storetest.OpenAt(t, db)
			defer h.Close()
			var first store.Label
			if err := h.EachLabel(func(l store.Label) error { first = l; return nil }); err != nil {
				t.Fatal(err)
			}
			if _, err := h.AddLabel(first.Retraction(time.Now(), "test"), nil); err != nil {
				t.Fatal(err)
			}
		}, map[string]int{"users": 8, "pairs_history": 48, "pairs_heldout": 11, "texts": 4, "profiles": 4, "personas": 8,
			"tasks": 24, "summaries": 2, "summaries_human": 1, "generations": 2, "labels": 0}, []string{"dataset demo: 8 user(s)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			db := e.path("popi.db")
			tt.build(t, e, db)
			for _, args := range [][]string{{"stats", "--json", "--db", db}, {"--db", db, "stats", "--json"}, {"stats", "--db=" + db, "--json"}} {
				r := e.mustRun(ExitOK, args...)
				if r.stderr != "" {
					t.Errorf("%q: stderr = %q, want nothing", args, r.stderr)
				}
				if got := parseStatsJSON(t, r.stdout); !equalStats(got, tt.want) {
					t.Errorf("%q = %v, want %v", args, got, tt.want)
				}
			}

			// The human-readable form: the path, then one count per line.
			r := e.mustRun(ExitOK, "stats", "--db", db)
			lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
			if lines[0] != db {
				t.Errorf("stats: first line = %q, want the path %q", lines[0], db)
			}
			wantRows := []struct {
				key, what string
			}{
				{"users", "users"}, {"pairs_history", "history pairs"}, {"pairs_heldout", "held-out pairs"},
				{"texts", "texts"}, {"profiles", "profiles"}, {"personas", "personas"}, {"tasks", "tasks"},
				{"summaries", "summary versions (" + strconv.Itoa(tt.want["summaries_human"]) + " by a person)"},
				{"generations", "generations"}, {"labels", "labels (current decisions)"},
			}
			if len(lines) != 1+len(wantRows)+len(tt.datasets) {
				t.Fatalf("stats printed %d lines, want %d:\n%s", len(lines), 1+len(wantRows)+len(tt.datasets), r.stdout)
			}
			for i, w := range tt.datasets {
				if got := strings.TrimSpace(lines[1+len(wantRows)+i]); got != w {
					t.Errorf("stats line %d = %q, want %q", 2+len(wantRows)+i, got, w)
				}
			}
			for i, w := range wantRows {
				n, what, ok := strings.Cut(strings.TrimSpace(lines[i+1]), "  ")
				if !ok || n != strconv.Itoa(tt.want[w.key]) || strings.TrimSpace(what) != w.what {
					t.Errorf("stats line %d = %q, want %d %s", i+2, lines[i+1], tt.want[w.key], w.what)
				}
			}
		})
	}
}

// TestStatsNewDatabaseCreated: stats on a new path creates an empty
// database there, with its directories.
func TestStatsNewDatabaseCreated(t *testing.T) {
	e := newTestEnv(t)
	db := e.path("a", "b", "c", "popi.db")
	e.mustRun(ExitOK, "stats", "--db", db)
	if !exists(db) {
		t.Errorf("stats did not create %s", db)
	}
}

func TestStatsNotADatabase(t *testing.T) {
	e := newTestEnv(t)
	notDB := writeFile(t, e.path("notes.txt"), strings.Repeat("this is not a bbolt file\n", 400))
	r := e.mustRun(ExitFailure, "stats", "--db", notDB)
	if !strings.Contains(r.stderr, notDB) || r.stdout != "" {
		t.Errorf("stats on a text file: stdout %q, stderr %q", r.stdout, r.stderr)
	}
}

// TestDatabaseInUse: a database another handle holds makes a command fail
// quickly, naming the file, instead of hanging.
func TestDatabaseInUse(t *testing.T) {
	e := newTestEnv(t)
	db := e.path("busy.db")
	h := storetest.DemoDBAt(t, db) // closed at the end, or when the test fails
	for _, args := range [][]string{
		{"stats", "--db", db},
		{"import", "--db", db, writeFile(t, e.path("in.jsonl"), goodPopi)},
	} {
		start := time.Now()
		done := make(chan result, 1)
		go func() { done <- e.run(args...) }()
		var r result
		select {
		case r = <-done:
		case <-time.After(15 * time.Second):
			t.Fatalf("%q on a busy database still runs after 15 s", args)
		}
		elapsed := time.Since(start)
		if r.code != ExitFailure {
			t.Errorf("%q on a busy database: exit %d, want %d\n%s", args, r.code, ExitFailure, r.stderr)
		}
		if elapsed > 3500*time.Millisecond {
			t.Errorf("%q on a busy database took %v, want about %v", args, elapsed, store.LockTimeout)
		}
		if want := db + " is in use by another popi-tui process"; !strings.Contains(r.stderr, want) {
			t.Errorf("%q: stderr lacks %q:\n%s", args, want, r.stderr)
		}
		if strings.Contains(r.stdout, "added") {
			t.Errorf("%q: stdout = %q", args, r.stdout)
		}
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if got := e.stats(db); !equalStats(got, demoStats) {
		t.Errorf("stats once released = %v, want %v", got, demoStats)
	}
}

// demoTableUsers returns the user column of the table demo prints.
func demoTableUsers(t *testing.T, out string) []string {
	t.Helper()
	_, table, ok := strings.Cut(out, "\nuser ")
	if !ok {
		t.Fatalf("demo printed no table:\n%s", out)
	}
	var users []string
	for _, line := range strings.Split(table, "\n")[1:] {
		if line == "" {
			break
		}
		fields := strings.Fields(line)
		if len(fields) != 7 {
			t.Fatalf("demo table row %q has %d columns, want 7", line, len(fields))
		}
		users = append(users, fields[0])
	}
	return users
}

func TestDemoWithDB(t *testing.T) {
	e := newTestEnv(t)
	db := e.path("demo", "session.db")
	r := e.mustRun(ExitOK, "demo", "--db", db)
	if !strings.Contains(r.stdout, "loaded 8 user(s), 48 history pair(s), 11 held-out pair(s)") || !strings.Contains(r.stdout, db) {
		t.Errorf("first demo: stdout =\n%s", r.stdout)
	}
	if strings.Contains(r.stdout, "reusing") {
		t.Errorf("first demo says it reuses the database:\n%s", r.stdout)
	}
	if got := demoTableUsers(t, r.stdout); !slices.Equal(got, demoUsers) {
		t.Errorf("demo table users = %v, want %v", got, demoUsers)
	}
	for _, u := range []string{"terse-tom", "thorough-theo", "formal-fiona", "playful-pia", "code-first-kai", "beginner-bea", "skeptic-sam", "bullet-ben"} {
		if !strings.Contains(r.stdout, "\n"+u+" ") {
			t.Errorf("demo table lacks %s", u)
		}
	}
	if r.stderr != "" {
		t.Errorf("first demo: stderr = %q", r.stderr)
	}
	if got := e.stats(db); !equalStats(got, demoStats) {
		t.Fatalf("stats after demo = %v, want %v", got, demoStats)
	}

	// Add something, then run demo again: the database is reused as it is.
	e.mustRun(ExitOK, "import", "--db", db, writeFile(t, e.path("in.jsonl"), goodPopi))
	r = e.mustRun(ExitOK, "--db", db, "demo")
	if !strings.Contains(r.stdout, "reusing it") || strings.Contains(r.stdout, "loaded") {
		t.Errorf("second demo: stdout =\n%s", r.stdout)
	}
	want := append(slices.Clone(demoUsers), "u1", "u2")
	slices.Sort(want)
	if got := demoTableUsers(t, r.stdout); !slices.Equal(got, want) {
		t.Errorf("second demo table users = %v, want %v", got, want)
	}
	wantStats := map[string]int{}
	for k, v := range demoStats {
		wantStats[k] = v + goodPopiStats[k]
	}
	if got := e.stats(db); !equalStats(got, wantStats) {
		t.Errorf("stats after the second demo = %v, want %v", got, wantStats)
	}
}

func TestDemoWithoutDB(t *testing.T) {
	// A private temporary directory, so that other test processes running
	// the demo at the same time cannot disturb the before/after comparison.
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	if os.TempDir() != tmp {
		t.Fatalf("os.TempDir() = %s, want %s", os.TempDir(), tmp)
	}
	pattern := filepath.Join(os.TempDir(), "popi-tui-demo-*")
	before, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	e := newTestEnv(t)
	for run := 1; run <= 2; run++ { // each run loads afresh
		r := e.mustRun(ExitOK, "demo")
		first, _, _ := strings.Cut(r.stdout, "\n")
		if want := "A temporary demo database (give --db PATH to keep one): loaded 8 user(s)"; !strings.HasPrefix(first, want) {
			t.Fatalf("demo run %d: first line = %q, want %q…", run, first, want)
		}
		if got := demoTableUsers(t, r.stdout); !slices.Equal(got, demoUsers) {
			t.Errorf("demo run %d: table users = %v, want %v", run, got, demoUsers)
		}
		if strings.Contains(r.stdout, "Look around") {
			t.Errorf("demo run %d without --db suggests commands on a database that is gone:\n%s", run, r.stdout)
		}
		after, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(before, after) {
			t.Errorf("demo run %d without --db left %v behind (before: %v)", run, after, before)
		}
	}
	if exists(e.defaultDB()) || exists(filepath.Dir(e.defaultDB())) {
		t.Errorf("demo without --db touched the default database %s", e.defaultDB())
	}
}

// A demo database left empty (a first run interrupted, or opened by
// another command first) is filled by the next demo run.
func TestDemoFillsAnEmptyDatabase(t *testing.T) {
	e := newTestEnv(t)
	db := e.path("demo.db")
	e.mustRun(0, "stats", "--db", db) // creates it, empty
	r := e.mustRun(0, "demo", "--db", db)
	if !strings.Contains(r.stdout, "loaded 8 user(s)") {
		t.Errorf("stdout = %q", r.stdout)
	}
}
