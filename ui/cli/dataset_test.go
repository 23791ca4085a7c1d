package cli

import (
	"context"
	"maps"
	"strings"
	"testing"
)

// import --dataset tags the users a file creates: by default with the
// file's base name without its extension ("stdin" for standard input); a
// user imported again from another file keeps the first tag. stats
// --json counts the users of each dataset.
func TestImportDatasets(t *testing.T) {
	e := newTestEnv(t)
	db := e.path("ds.db")
	pair := func(user, prompt string) string {
		return `{"user":"` + user + `","kind":"pair","prompt":"` + prompt + `","chosen":"a","rejected":"b"}` + "\n"
	}
	elix := writeFile(t, e.path("in", "ELIX.test.jsonl"), pair("ann", "q1")+pair("bob", "q1"))
	review := writeFile(t, e.path("in", "review.jsonl"), pair("bob", "q2")+pair("cy", "q2"))
	e.mustRun(ExitOK, "import", "--db", db, elix, review)
	e.mustRun(ExitOK, "import", "--db", db, "--dataset", "roleplay", writeFile(t, e.path("in", "x.jsonl"), pair("dee", "q3")))
	if r := e.runCtx(context.Background(), pair("eve", "q4"), "import", "--db", db, "-"); r.code != ExitOK {
		t.Fatalf("import -: exit %d, %s", r.code, r.stderr)
	}
	_, datasets := parseStatsAndDatasets(t, e.mustRun(ExitOK, "stats", "--json", "--db", db).stdout)
	want := map[string]int{"ELIX.test": 2, "review": 1, "roleplay": 1, "stdin": 1}
	if !maps.Equal(datasets, want) {
		t.Errorf("datasets = %v, want %v", datasets, want)
	}
	r := e.mustRun(ExitOK, "stats", "--db", db)
	if !strings.Contains(r.stdout, "dataset ELIX.test: 2 user(s)\n  dataset review: 1 user(s)\n") {
		t.Errorf("stats:\n%s", r.stdout)
	}
	for _, bad := range []string{"", "a\x1b[2Jb", strings.Repeat("x", 129)} {
		r := e.mustRun(ExitUsage, "import", "--db", db, "--dataset="+bad, review)
		if !strings.Contains(r.stderr, "--dataset") || strings.Contains(r.stderr, "\x1b") {
			t.Errorf("--dataset %q: %q", bad, r.stderr)
		}
	}
}
