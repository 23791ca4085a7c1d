package engine

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/popi-tui/popi-tui/store"
)

// minimalSet is a template set with every table, each one line.
const minimalSet = `version = "mine-1"

[summarizer]
system = "Be brief."
user = "{{range .Pairs}}{{.N}}. {{.Prompt}} > {{.Chosen}} < {{.Rejected}}\n{{end}}Summarize."

[generator.summary]
user = "S: {{.Summary}} / P: {{.Prompt}}"

[generator.raw]
user = "R: {{len .Pairs}} / P: {{.Prompt}}"

[generator.none]
system = ""
user = "{{.Prompt}}"

[judge]
user = "{{.Persona}} {{.AnswerA}} {{.AnswerB}}"
`

func TestBuiltinSetsLoad(t *testing.T) {
	for _, name := range BuiltinPromptSets() {
		p, err := LoadPromptSet(BuiltinPrefix + name)
		if err != nil {
			t.Fatal(err)
		}
		if p.Name() != "builtin:"+name || !strings.HasPrefix(p.Version(), "builtin-"+name+"-") {
			t.Errorf("%s: name %q, version %q", name, p.Name(), p.Version())
		}
		// prompts init writes it without its version: a copy is versioned
		// by its own hash until its author names it.
		data, err := BuiltinPromptFile(name)
		if err != nil {
			t.Fatal(err)
		}
		copied, err := ParsePromptSet("copy.toml", data)
		if err != nil {
			t.Fatalf("%s as a file: %v", name, err)
		}
		if !strings.HasPrefix(copied.Version(), "sha256:") {
			t.Errorf("%s as a file: version %q", name, copied.Version())
		}
		d := exampleData()
		for _, c := range []string{store.ConditionSummary, store.ConditionRaw, store.ConditionNone} {
			a, _ := p.Generator(c, d)
			b, _ := copied.Generator(c, d)
			if len(a) == 0 || len(a) != len(b) || a[len(a)-1] != b[len(b)-1] {
				t.Errorf("%s, %s: the file renders %+v, the built-in set %+v", name, c, b, a)
			}
		}
	}
	if _, err := LoadPromptSet("builtin:nope"); err == nil || !strings.Contains(err.Error(), "popi, alignx") {
		t.Errorf("an unknown built-in set: %v", err)
	}
	if DefaultPromptSet().Name() != "builtin:popi" {
		t.Errorf("the default set is %s", DefaultPromptSet().Name())
	}
}

func TestPromptSetVersion(t *testing.T) {
	p, err := ParsePromptSet("a.toml", []byte(minimalSet))
	if err != nil {
		t.Fatal(err)
	}
	if p.Version() != "mine-1" {
		t.Errorf("version %q, want the version key", p.Version())
	}
	unnamed := strings.Replace(minimalSet, `version = "mine-1"`, "", 1)
	a, err := ParsePromptSet("a.toml", []byte(unnamed))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := ParsePromptSet("b.toml", []byte(unnamed))
	c, _ := ParsePromptSet("a.toml", []byte(unnamed+"# one more line\n"))
	// sha256 of the file, its first 12 hex digits
	if a.Version() != b.Version() || a.Version() == c.Version() || len(a.Version()) != len("sha256:")+12 {
		t.Errorf("versions %q, %q (same file), %q (another)", a.Version(), b.Version(), c.Version())
	}
	if _, err := ParsePromptSet("a.toml", []byte(strings.Replace(minimalSet, `"mine-1"`, `" "`, 1))); err == nil || !strings.Contains(err.Error(), "a.toml:1: version is empty") {
		t.Errorf("an empty version: %v", err)
	}
}

// Errors name the file, the table and the line, for parsing, for a field
// that does not exist (found when the set is loaded) and for what only a
// real user's data makes fail.
func TestTemplateErrorsNameFileTableAndLine(t *testing.T) {
	tests := []struct {
		name, file, want string
	}{
		{"parse error on the third line of a multi-line string", strings.Replace(minimalSet, `user = "S: {{.Summary}} / P: {{.Prompt}}"`,
			"user = \"\"\"\nS: {{.Summary}}\n\nP: {{.Prompt}\"\"\"", 1), `t.toml:11: [generator.summary] user: bad character U+007D '}'`},
		{"unknown field, found on load", strings.Replace(minimalSet, "{{.AnswerB}}", "{{.AnswerC}}", 1),
			`t.toml:18: [judge] user: at <.AnswerC>: can't evaluate field AnswerC in type engine.PromptData`},
		{"\\n escapes stay on their file line", strings.Replace(minimalSet, `user = "R: {{len .Pairs}} / P: {{.Prompt}}"`,
			`user = "R:\n\n{{.Nope}}"`, 1), `t.toml:11: [generator.raw] user: at <.Nope>: can't evaluate field Nope`},
		{"a line-ending backslash joins lines", strings.Replace(minimalSet, `system = "Be brief."`,
			"system = \"\"\"Be \\\n    brief.\n{{.Nope}}\"\"\"", 1), `t.toml:6: [summarizer] system: at <.Nope>`},
		{"literal strings", strings.Replace(minimalSet, `user = "{{.Prompt}}"`, "user = '''\n{{.Prompt}}\n\n{{.Nope}}'''", 1),
			`t.toml:18: [generator.none] user: at <.Nope>`},
		{"dotted keys", strings.Replace(minimalSet, "[generator.none]\nsystem = \"\"\nuser = \"{{.Prompt}}\"", "[generator]\nnone.user = \"{{.Nope}}\"", 1),
			`t.toml:14: [generator.none] user: at <.Nope>`},
		{"a missing table", strings.Replace(minimalSet, "[judge]\nuser", "[judges]\nuser", 1), `t.toml:17: unknown key "judges"`},
		{"a missing user turn", strings.Replace(minimalSet, `user = "{{.Persona}} {{.AnswerA}} {{.AnswerB}}"`, `system = "x"`, 1), `t.toml:17: [judge] user: missing`},
		{"a TOML error", minimalSet + "x = [", `t.toml:19: `},
		{"a value of the wrong type", strings.Replace(minimalSet, `system = "Be brief."`, `system = 3`, 1), `t.toml:4: summarizer.system: incompatible types`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePromptSet("t.toml", []byte(tt.file))
			var te *TemplateError
			if !errors.As(err, &te) || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("err = %v\nwant it to start with %s", err, tt.want)
			}
		})
	}
	// A template that only fails on some user's data fails that request,
	// naming its place, before anything is sent.
	p, err := ParsePromptSet("t.toml", []byte(strings.Replace(minimalSet, `"S: {{.Summary}} / P: {{.Prompt}}"`,
		`"S: {{(index .Pairs 0).Prompt}}"`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Generator(store.ConditionSummary, PromptData{Prompt: "x"})
	if err == nil || !strings.HasPrefix(err.Error(), "t.toml:8: [generator.summary] user: at <index .Pairs 0>: error calling index: reflect: slice index out of range") {
		t.Errorf("err = %v", err)
	}
	if _, err := p.Generator(store.ConditionNone, PromptData{}); err == nil || err.Error() != "t.toml: [generator.none] user: renders empty" {
		t.Errorf("an empty user turn: %v", err)
	}
}

func TestLoadPromptSetFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "set.toml")
	if err := os.WriteFile(path, []byte(minimalSet), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := LoadPromptSet(path)
	if err != nil {
		t.Fatal(err)
	}
	d := PromptData{Pairs: []PairData{{N: 1, Prompt: "q", Chosen: "a", Rejected: "b"}}}
	msgs, err := p.Summarizer(d)
	want := []store.Message{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "1. q > a < b\nSummarize."}}
	if err != nil || len(msgs) != 2 || msgs[0] != want[0] || msgs[1] != want[1] {
		t.Errorf("summarizer: %+v, %v", msgs, err)
	}
	if _, err := LoadPromptSet(filepath.Join(dir, "missing.toml")); err == nil || !strings.Contains(err.Error(), "missing.toml") {
		t.Errorf("a missing file: %v", err)
	}
}
