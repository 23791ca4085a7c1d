package engine

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/template"

	"github.com/BurntSushi/toml"

	"github.com/popi-tui/popi-tui/store"
)

// A template set words every request popi-tui sends a model: one TOML
// file with a table per role and condition, each a system and a user turn
// written as Go text/template text (README: Prompt templates). The
// built-in sets are files too, embedded in the binary.

// The tables of a template set, in the order a file lists them.
const (
	TableSummarizer       = "summarizer"
	TableGeneratorSummary = "generator.summary"
	TableGeneratorRaw     = "generator.raw"
	TableGeneratorNone    = "generator.none"
	TableJudge            = "judge"
)

var promptTables = []string{TableSummarizer, TableGeneratorSummary, TableGeneratorRaw, TableGeneratorNone, TableJudge}

// BuiltinPrefix names a built-in set where a file name goes:
// prompts = "builtin:alignx".
const BuiltinPrefix = "builtin:"

// The built-in sets: "popi" (the default) and "alignx".
const (
	BuiltinPOPI   = "popi"
	BuiltinAlignX = "alignx"
)

//go:embed promptsets/*.toml
var builtinSets embed.FS

// PromptSet is a loaded template set. It is safe for concurrent use.
type PromptSet struct {
	name      string // the file it was read from, or "builtin:NAME"
	version   string
	templates map[string]promptTable
}

// promptTable is one table's two templates; system is nil when the table
// has no system turn.
type promptTable struct {
	system, user *template.Template
	lines        map[string][]int // "system"/"user" → file line of each template line
}

// Name is where the set came from: its file, or "builtin:NAME".
func (p *PromptSet) Name() string { return p.name }

// Version names the set's wording: its version key, or else "sha256:"
// and the start of its file's hash. It is recorded on every summary and
// generation worded by the set.
func (p *PromptSet) Version() string { return p.version }

// TemplateError is a template that does not parse or execute: it names
// the file, the table, the key and the line in the file.
type TemplateError struct {
	File  string
	Line  int // 0 when unknown
	Table string
	Key   string // "system", "user", or "" for the table (or file) as a whole
	Msg   string
}

func (e *TemplateError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Table != "" {
		fmt.Fprintf(&b, ": [%s]", e.Table)
	}
	if e.Key != "" {
		fmt.Fprintf(&b, " %s", e.Key)
	}
	fmt.Fprintf(&b, ": %s", e.Msg)
	return b.String()
}

// BuiltinPromptSets lists the built-in sets' names, the default first.
func BuiltinPromptSets() []string { return []string{BuiltinPOPI, BuiltinAlignX} }

// BuiltinPromptFile is a built-in set as a file to start from (prompts
// init): the same text, with its version key made a comment, so that an
// edited copy is versioned by its own hash until it is given a version.
func BuiltinPromptFile(name string) ([]byte, error) {
	data, err := builtinData(name)
	if err != nil {
		return nil, err
	}
	lines := strings.SplitAfter(string(data), "\n")
	for i, l := range lines {
		if keyOf(l) == "version" {
			lines[i] = "# " + l
			lines = slices.Insert(lines, i, "# Without a version key the version is a hash of this file; name your own set here:\n")
			break
		}
	}
	return []byte(strings.Join(lines, "")), nil
}

func builtinData(name string) ([]byte, error) {
	if !slices.Contains(BuiltinPromptSets(), name) {
		return nil, fmt.Errorf("no built-in template set %q (there are: %s)", name, strings.Join(BuiltinPromptSets(), ", "))
	}
	return builtinSets.ReadFile("promptsets/" + name + ".toml")
}

var defaultSet = func() *PromptSet {
	p, err := LoadPromptSet(BuiltinPrefix + BuiltinPOPI)
	if err != nil {
		panic(err) // the tests load every built-in set
	}
	return p
}()

// DefaultPromptSet is the built-in set used when the configuration names
// none ("builtin:popi").
func DefaultPromptSet() *PromptSet { return defaultSet }

// LoadPromptSet reads a template set: "builtin:NAME", or a TOML file.
func LoadPromptSet(path string) (*PromptSet, error) {
	if name, ok := strings.CutPrefix(path, BuiltinPrefix); ok {
		data, err := builtinData(name)
		if err != nil {
			return nil, err
		}
		return ParsePromptSet(path, data)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("template set: %w", err)
	}
	return ParsePromptSet(path, data)
}

// fileSet is a template set file's layout, for decoding.
type fileSet struct {
	Version    *string    `toml:"version"`
	Summarizer *fileTable `toml:"summarizer"`
	Generator  struct {
		Summary *fileTable `toml:"summary"`
		Raw     *fileTable `toml:"raw"`
		None    *fileTable `toml:"none"`
	} `toml:"generator"`
	Judge *fileTable `toml:"judge"`
}

type fileTable struct {
	System *string `toml:"system"`
	User   *string `toml:"user"`
}

var tomlTypeError = regexp.MustCompile(`^toml: line (\d+) \(last key "([^"]+)"\): (.*)$`)

// ParsePromptSet parses a template set file's contents; name is the file
// (or "builtin:NAME") that errors name. Every template is parsed and tried
// on example data, so that a misspelt field is an error now, naming its
// line, not a failed request later.
func ParsePromptSet(name string, data []byte) (*PromptSet, error) {
	var fs fileSet
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&fs)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, &TemplateError{File: name, Line: pe.Position.Line, Msg: pe.Message}
		}
		if m := tomlTypeError.FindStringSubmatch(err.Error()); m != nil {
			line, _ := strconv.Atoi(m[1])
			return nil, &TemplateError{File: name, Line: line, Msg: m[2] + ": " + m[3]}
		}
		return nil, &TemplateError{File: name, Msg: err.Error()}
	}
	loc := newTOMLStrings(data)
	if undecoded := md.Undecoded(); len(undecoded) > 0 {
		k := undecoded[0].String()
		return nil, &TemplateError{File: name, Line: loc.keyLine(k), Msg: fmt.Sprintf("unknown key %q (a set has version and the tables %s, each with system and user)", k, strings.Join(promptTables, ", "))}
	}
	p := &PromptSet{name: name, templates: map[string]promptTable{}}
	if fs.Version != nil {
		if p.version = strings.TrimSpace(*fs.Version); p.version == "" {
			return nil, &TemplateError{File: name, Line: loc.keyLine("version"), Msg: "version is empty (leave it out to version the set by its file's hash)"}
		}
	} else {
		sum := sha256.Sum256(data)
		p.version = "sha256:" + hex.EncodeToString(sum[:6])
	}
	tables := map[string]*fileTable{TableSummarizer: fs.Summarizer, TableGeneratorSummary: fs.Generator.Summary,
		TableGeneratorRaw: fs.Generator.Raw, TableGeneratorNone: fs.Generator.None, TableJudge: fs.Judge}
	for _, table := range promptTables {
		t, err := parseTable(name, table, tables[table], loc)
		if err != nil {
			return nil, err
		}
		p.templates[table] = t
	}
	for _, table := range promptTables {
		for _, d := range []PromptData{exampleData(), sparseData()} {
			if _, err := p.render(table, d); err != nil {
				return nil, err
			}
		}
	}
	return p, nil
}

// parseTable parses one table's templates.
func parseTable(file, table string, ft *fileTable, loc tomlStrings) (promptTable, error) {
	if ft == nil {
		return promptTable{}, &TemplateError{File: file, Table: table, Msg: fmt.Sprintf("missing (a set has the tables %s)", strings.Join(promptTables, ", "))}
	}
	if ft.User == nil {
		return promptTable{}, &TemplateError{File: file, Line: loc.keyLine(table), Table: table, Key: "user", Msg: "missing: every table has a user turn"}
	}
	t := promptTable{lines: map[string][]int{}}
	for _, k := range []struct {
		key  string
		text *string
		dst  **template.Template
	}{{"system", ft.System, &t.system}, {"user", ft.User, &t.user}} {
		if k.text == nil || (k.key == "system" && *k.text == "") {
			continue
		}
		t.lines[k.key] = loc.valueLines(table + "." + k.key)
		tmpl, err := template.New(table + "." + k.key).Option("missingkey=error").Funcs(templateFuncs).Parse(*k.text)
		if err != nil {
			return promptTable{}, t.templateError(file, table, k.key, err)
		}
		*k.dst = tmpl
	}
	return t, nil
}

// templateFuncs are the functions templates may call besides text/template's own.
var templateFuncs = template.FuncMap{
	"trim": strings.TrimSpace,
}

// templateLine finds the template's own line (and the message without
// its "template: NAME:LINE:COL: executing …" preamble) in what
// text/template says.
var templateLine = regexp.MustCompile(`^template: [^:]+:(\d+)(?::\d+)?: (?:executing "[^"]*" )?(.*)$`)

// templateError places a text/template error on its line of the file.
func (t promptTable) templateError(file, table, key string, err error) error {
	e := &TemplateError{File: file, Table: table, Key: key, Msg: err.Error()}
	if m := templateLine.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		e.Msg = m[2]
		if lines := t.lines[key]; n >= 1 && n <= len(lines) {
			e.Line = lines[n-1]
		}
	}
	return e
}

// execute runs one template; a nil template renders nothing.
func (t promptTable) execute(file, table, key string, tmpl *template.Template, d PromptData) (string, error) {
	if tmpl == nil {
		return "", nil
	}
	var b strings.Builder
	if err := tmpl.Execute(&b, d); err != nil {
		return "", t.templateError(file, table, key, err)
	}
	return b.String(), nil
}

// render executes a table: the system turn (left out when it renders
// empty) and the user turn (an error when it renders empty). Nothing is
// sent until both rendered, so a template that fails is never a
// half-sent request.
func (p *PromptSet) render(table string, d PromptData) ([]store.Message, error) {
	t := p.templates[table]
	system, err := t.execute(p.name, table, "system", t.system, d)
	if err != nil {
		return nil, err
	}
	user, err := t.execute(p.name, table, "user", t.user, d)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(user) == "" {
		return nil, &TemplateError{File: p.name, Table: table, Key: "user", Msg: "renders empty"}
	}
	var msgs []store.Message
	if strings.TrimSpace(system) != "" {
		msgs = append(msgs, store.Message{Role: "system", Content: system})
	}
	return append(msgs, store.Message{Role: "user", Content: user}), nil
}

// Summarizer is what the summarizer is sent for the user d describes. A
// user with no history it may see is an error wrapping store.ErrNoHistory.
func (p *PromptSet) Summarizer(d PromptData) ([]store.Message, error) {
	if d.empty() {
		return nil, fmt.Errorf("user %q has %w (no history pairs, texts or profile among the signals it may see)", d.User, store.ErrNoHistory)
	}
	return p.render(TableSummarizer, d)
}

// Generator is what a generator is sent for d.Prompt under a condition:
// with d.Summary, with the raw history in its place, or with nothing.
// The raw condition of a user with no history is an error wrapping
// store.ErrNoHistory.
func (p *PromptSet) Generator(condition string, d PromptData) ([]store.Message, error) {
	switch condition {
	case store.ConditionSummary:
		return p.render(TableGeneratorSummary, d)
	case store.ConditionRaw:
		if d.empty() {
			return nil, fmt.Errorf("condition raw: the user %w", store.ErrNoHistory)
		}
		return p.render(TableGeneratorRaw, d)
	case store.ConditionNone:
		return p.render(TableGeneratorNone, d)
	}
	return nil, store.CheckCondition(condition)
}

// Judge is what the judge is sent for one order of two answers (d.AnswerA
// and d.AnswerB to d.Prompt), told about the user what d.Told names (the
// persona, the profile or the history: the only user fields d fills).
func (p *PromptSet) Judge(d PromptData) ([]store.Message, error) {
	return p.render(TableJudge, d)
}
