package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/engine"
)

// oneJSONObject checks that out is exactly one JSON object on one line and
// returns it.
func oneJSONObject(t *testing.T, args []string, out string) map[string]any {
	t.Helper()
	if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
		t.Fatalf("%q printed %q, want one line", args, out)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("%q printed %q: %v", args, out, err)
	}
	return v
}

// --json on every command that reports: one JSON object on stdout, with
// the figures the words give; exit statuses as without it.
func TestJSONOnEachCommand(t *testing.T) {
	e := newTestEnv(t)
	m := newModelServer(t)
	db, cfg := e.demoDB(), e.withConfig(m.URL+"/v1", "")
	good := writeFile(t, e.path("good.jsonl"), goodPopi)
	bad := writeFile(t, e.path("bad.jsonl"), `{"user":"u","kind":"pair","prompt":"p","chosen":"a","rejected":"a"}`+"\n")
	other := e.path("other.db")
	e.mustRun(ExitOK, "import", "--db", other, good)
	for _, tt := range []struct {
		name  string
		args  []string
		code  int
		check map[string]any // top-level fields and their values (JSON numbers as float64)
	}{
		{"import", []string{"import", "--db", db, good}, ExitOK, map[string]any{"failed": []any{}}},
		{"import a bad file", []string{"import", "--db", db, bad}, ExitFailure, map[string]any{"failed": []any{bad}}},
		{"infer", []string{"infer", "--db", db, "--config", cfg}, ExitOK, map[string]any{"command": "infer via fake", "done": 10.0, "failed": 0.0, "interrupted": false}},
		{"infer again", []string{"infer", "--db", db, "--config", cfg}, ExitOK, map[string]any{"done": 0.0, "skipped": 10.0}},
		{"generate", []string{"generate", "--db", db, "--config", cfg, "--condition", "none", "--user", "terse-tom"}, ExitOK, map[string]any{"command": "generate", "done": 4.0}},
		{"backends", []string{"backends", "--db", db, "--config", cfg}, ExitOK, map[string]any{"config": cfg, "usable": true}},
		{"merge", []string{"merge", "--db", db, other}, ExitOK, nil},
		{"stats", []string{"stats", "--db", db, "--json"}, ExitOK, map[string]any{"users": 10.0}},
		{"eval", []string{"eval", "--db", db, "--json"}, ExitOK, nil},
		{"queue", []string{"queue", "--db", db, "--json", "--annotator", "kim", "--compare", "replay:chosen,replay:rejected"}, ExitOK, map[string]any{"annotator": "kim"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if !strings.Contains(strings.Join(args, " "), "--json") {
				args = append(args, "--json")
			}
			r := e.mustRun(tt.code, args...)
			v := oneJSONObject(t, args, r.stdout)
			for k, want := range tt.check {
				if got, _ := json.Marshal(v[k]); string(got) != mustJSON(t, want) {
					t.Errorf("%s = %s, want %s\n%s", k, got, mustJSON(t, want), r.stdout)
				}
			}
		})
	}
	// The export's report: on stdout with -o FILE; on stderr when the rows
	// are on stdout.
	r := e.mustRun(ExitOK, "export", "users", "--db", db, "--json", "-o", e.path("users.jsonl"))
	if v := oneJSONObject(t, []string{"export", "-o"}, r.stdout); v["export"] != "users" || r.stderr != "" {
		t.Errorf("export --json -o FILE: stdout %s stderr %s", r.stdout, r.stderr)
	}
	r = e.mustRun(ExitOK, "export", "users", "--db", db, "--json")
	if v := oneJSONObject(t, []string{"export"}, r.stderr); v["export"] != "users" || v["output"] != "-" {
		t.Errorf("export --json: %s", r.stderr)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// import --json counts each file and the total; a rejected file lists its
// bad records and adds nothing.
func TestImportJSONFields(t *testing.T) {
	e := newTestEnv(t)
	good := writeFile(t, e.path("good.jsonl"), goodPopi)
	bad := writeFile(t, e.path("bad.jsonl"), `{"user":"u","kind":"pair","prompt":"p","chosen":"a","rejected":"a"}`+"\n")
	r := e.mustRun(ExitFailure, "import", "--db", e.path("x.db"), "--json", good, bad)
	var out importJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Files) != 2 || out.Files[0].Error != "" || out.Files[1].Error == "" || len(out.Files[1].Errors) != 1 ||
		!strings.HasPrefix(out.Files[1].Errors[0], bad+":1: ") || out.Total.Users != out.Files[0].Users || out.Files[0].Format != "popi" {
		t.Errorf("import --json: %+v", out)
	}
	if strings.Contains(r.stderr, bad+":1:") {
		t.Errorf("the bad records are in the JSON, not on stderr too: %q", r.stderr)
	}
}

// --quiet silences the progress, not the notices; FORCE_COLOR colours the
// bar, NO_COLOR takes the colour away whatever FORCE_COLOR says.
func TestProgressQuietAndColour(t *testing.T) {
	for _, tt := range []struct {
		name          string
		quiet         bool
		env           map[string]string
		bar, coloured bool
	}{
		{"default", false, nil, true, false},
		{"quiet", true, nil, false, false},
		{"FORCE_COLOR", false, map[string]string{"FORCE_COLOR": "1"}, true, true},
		{"FORCE_COLOR=0", false, map[string]string{"FORCE_COLOR": "0"}, true, false},
		{"NO_COLOR wins", false, map[string]string{"FORCE_COLOR": "1", "NO_COLOR": "1"}, true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			vars := map[string]string{"TERM": "dumb"} // detection finds no colour
			for k, v := range tt.env {
				vars[k] = v
			}
			var stderr bytes.Buffer
			c := &runContext{Env: Env{Stderr: &stderr, Getenv: func(k string) string { return vars[k] }, StderrIsTerminal: true}}
			c.theme, c.out.quiet = "dark", tt.quiet // a named theme: no question to the terminal
			p := c.newProgress("infer")
			p.last = time.Time{} // due now
			p.items(engine.Progress{Total: 2, Done: 1})
			p.notice("a warning")
			out := stderr.String()
			if drew := strings.Contains(out, "1/2"); drew != tt.bar {
				t.Errorf("bar drawn: %v, want %v: %q", drew, tt.bar, out)
			}
			if !strings.Contains(out, "popi-tui: a warning") {
				t.Errorf("the notice is missing: %q", out)
			}
			if coloured := strings.Contains(out, "\x1b[38;5;"); coloured != tt.coloured {
				t.Errorf("coloured: %v, want %v: %q", coloured, tt.coloured, out)
			}
		})
	}
}
