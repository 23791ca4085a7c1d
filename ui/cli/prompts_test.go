package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
)

// cliSet is a template set whose renderings a test can write by hand.
const cliSet = `version = "cli-1"

[summarizer]
system = "SYS {{.User}}"
user = "{{range .Pairs}}[{{.N}} {{.Prompt}}]{{end}}{{range .Texts}}(T {{.Text}}){{end}} P={{.Profile}}"

[generator.summary]
user = "S={{.Summary}} Q={{.Prompt}}"

[generator.raw]
user = "{{range .Pairs}}[{{.N}}]{{end}} Q={{.Prompt}}"

[generator.none]
user = "Q={{.Prompt}}"

[judge]
user = "{{.Persona}}|{{.Prompt}}|{{.AnswerA}}|{{.AnswerB}}"
`

// Terse Tom of the demo data, as cliSet words him.
const (
	tomPairs = "[1 How do I reverse a string in Python?][2 What's the git command to undo my last commit but keep the changes?]" +
		"[3 How long should I boil an egg for a soft yolk?][4 What year did the Berlin Wall fall?][5 SQL: how do I count rows per category?]" +
		"[6 How many tablespoons are in a cup?]"
	tomText    = "(T Just give me the command. I don't need a tutorial.)"
	tomProfile = "Software engineer in his 40s working on infrastructure. Mostly asks quick factual and command-line questions, usually from a phone."
	tomPersona = "Tom is a busy senior engineer who reads answers on his phone between meetings. He wants the shortest correct answer: " +
		"no greeting, no restating the question, no \"great question\", no recap at the end. A single line or a single command is ideal; " +
		"he will ask a follow-up if he needs more. Long answers annoy him even when they are correct and well written."
	tomHeldout = "How do I check which process is using port 8080 on Linux?"
)

// withSetConfig writes cliSet beside a configuration with one backend
// "fake" at url playing every role, worded by the set (its prompts
// setting, relative to the configuration), and returns the
// configuration's path.
func (e *testEnv) withSetConfig(url string) string {
	e.t.Helper()
	if err := os.WriteFile(e.path("cli.toml"), []byte(cliSet), 0o600); err != nil {
		e.t.Fatal(err)
	}
	path := e.path("config.toml")
	text := fmt.Sprintf("[[backend]]\nname = \"fake\"\nrole = [\"summarizer\", \"generator\", \"judge\"]\nbase_url = %q\nmodel = \"tiny\"\ntimeout = \"5s\"\nprompts = \"cli.toml\"\n", url)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		e.t.Fatal(err)
	}
	return path
}

// parseShown parses what prompts show printed.
func parseShown(t *testing.T, out string) shownRequest {
	t.Helper()
	var s shownRequest
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		t.Fatalf("prompts show printed no request: %v\n%s", err, out)
	}
	return s
}

func msgs(pairs ...string) []store.Message {
	var out []store.Message
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, store.Message{Role: pairs[i], Content: pairs[i+1]})
	}
	return out
}

func TestPromptsShow(t *testing.T) {
	e := newTestEnv(t)
	m := newModelServer(t)
	db, cfg := e.demoDB(), e.withSetConfig(m.URL+"/v1")
	tests := []struct {
		name string
		args []string
		want shownRequest
	}{
		{"summarizer", nil, shownRequest{Role: "summarizer", Backend: "fake",
			Messages: msgs("system", "SYS terse-tom", "user", tomPairs+tomText+" P="+tomProfile)}},
		{"summarizer shown the profile alone", []string{"--signals", "profile"}, shownRequest{Role: "summarizer", Backend: "fake", Signals: []string{"profile"},
			Messages: msgs("system", "SYS terse-tom", "user", " P="+tomProfile)}},
		{"generator, none, a task", []string{"--role", "generator", "--condition", "none", "--prompt-id", "t2"}, shownRequest{Role: "generator",
			Condition: "none", PromptID: "t2", Backend: "fake", Messages: msgs("user", "Q=What's the capital of Australia?")}},
		{"generator, raw, the first held-out pair", []string{"--role", "generator", "--condition", "raw"}, shownRequest{Role: "generator",
			Condition: "raw", PromptID: "ho1", Backend: "fake", Messages: msgs("user", "[1][2][3][4][5][6] Q="+tomHeldout)}},
		{"judge", []string{"--role", "judge", "--prompt-id", "ho1"}, shownRequest{Role: "judge", PromptID: "ho1", Backend: "fake",
			Messages: msgs("user", tomPersona+"|"+tomHeldout+"|(answer A)|(answer B)")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.mustRun(ExitOK, append([]string{"prompts", "show", "--db", db, "--config", cfg, "--user", "terse-tom"}, tt.args...)...)
			got := parseShown(t, r.stdout)
			tt.want.User, tt.want.TemplateSet = "terse-tom", "cli-1"
			if storetest.JSON(t, got) != storetest.JSON(t, tt.want) {
				t.Errorf("shown %s\nwant  %s", storetest.JSON(t, got), storetest.JSON(t, tt.want))
			}
		})
	}
	// The summary condition needs a summary, and says how to make one.
	r := e.mustRun(ExitFailure, "prompts", "show", "--db", db, "--config", cfg, "--user", "terse-tom", "--role", "generator")
	if !strings.Contains(r.stderr, `user "terse-tom" has no summary yet (run popi-tui infer first)`) {
		t.Errorf("stderr = %q", r.stderr)
	}
}

// What prompts show prints is what is sent: infer stores the messages it
// sent, and they are the ones shown before.
func TestPromptsShowIsWhatInferSends(t *testing.T) {
	e := newTestEnv(t)
	m := newModelServer(t)
	db, cfg := e.demoDB(), e.withSetConfig(m.URL+"/v1")
	for _, signals := range [][]string{nil, {"--signals", "pairs,profile"}} {
		shown := parseShown(t, e.mustRun(ExitOK, append([]string{"prompts", "show", "--db", db, "--config", cfg, "--user", "terse-tom"}, signals...)...).stdout)
		r := e.mustRun(ExitOK, append([]string{"infer", "--db", db, "--config", cfg, "--user", "terse-tom", "--force"}, signals...)...)
		want := "infer via fake: 1 done"
		if signals != nil {
			want = "infer via fake from pairs, profile: 1 done"
		}
		if !strings.HasPrefix(r.stdout, want) {
			t.Errorf("infer %v: stdout %q, want %q…", signals, r.stdout, want)
		}
		s := currentSummary(t, db, "terse-tom")
		if !slices.Equal(s.Messages, shown.Messages) || s.TemplateSet != "cli-1" || !slices.Equal(s.Signals, shown.Signals) {
			t.Errorf("infer %v stored messages %q (set %q, signals %v)\nshown %q (signals %v)", signals, s.Messages, s.TemplateSet, s.Signals, shown.Messages, shown.Signals)
		}
	}
	// After infer the generator's summary condition has its summary.
	shown := parseShown(t, e.mustRun(ExitOK, "prompts", "show", "--db", db, "--config", cfg, "--user", "terse-tom", "--role", "generator").stdout)
	if want := msgs("user", "S=Likes brevity. Q="+tomHeldout); !slices.Equal(shown.Messages, want) {
		t.Errorf("generator under summary: %q, want %q", shown.Messages, want)
	}
}

// currentSummary reads a user's current summary from the database at path.
func currentSummary(t *testing.T, path, user string) store.Summary {
	t.Helper()
	db := storetest.OpenAt(t, path)
	defer db.Close()
	s, ok, err := db.CurrentSummary(user)
	if err != nil || !ok {
		t.Fatalf("no current summary of %s: %v", user, err)
	}
	return s
}

// Without a configuration, requests are worded by the built-in set.
func TestPromptsShowBuiltinSet(t *testing.T) {
	e := newTestEnv(t)
	db := e.demoDB()
	got := parseShown(t, e.mustRun(ExitOK, "prompts", "show", "--db", db, "--user", "terse-tom").stdout)
	if got.Backend != "" || got.TemplateSet != engine.DefaultPromptSet().Version() || len(got.Messages) != 2 ||
		got.Messages[0] != (store.Message{Role: "system", Content: "You are a careful assistant. You read closely and write plainly."}) ||
		!strings.HasPrefix(got.Messages[1].Content, "# How this user chose between two responses\n\n## Example 1\n\n### Prompt\n\nHow do I reverse a string in Python?\n\n### Preferred response\n\n`s[::-1]`\n\n") {
		t.Errorf("shown %+v", got)
	}
	got = parseShown(t, e.mustRun(ExitOK, "prompts", "show", "--db", db, "--user", "terse-tom", "--role", "generator", "--condition", "none").stdout)
	if want := msgs("user", tomHeldout); !slices.Equal(got.Messages, want) || got.PromptID != "ho1" {
		t.Errorf("generator under none: %+v", got)
	}
}

func TestPromptsInit(t *testing.T) {
	popiSet, _ := engine.BuiltinPromptFile(engine.BuiltinPOPI)
	alignxSet, _ := engine.BuiltinPromptFile(engine.BuiltinAlignX)
	e := newTestEnv(t)
	file := e.path("sets", "mine.toml")
	if err := os.MkdirAll(e.path("sets"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		code   int
		want   []byte // the file afterwards
		stderr string
	}{
		{"the default set", []string{"prompts", "init", file}, ExitOK, popiSet, "wrote the template set builtin:popi to " + file},
		{"never replaced without --force", []string{"prompts", "init", "--set", "builtin:alignx", file}, ExitFailure, popiSet, file + " exists: give --force to replace it"},
		{"replaced with --force", []string{"prompts", "init", "--set", "builtin:alignx", "--force", file}, ExitOK, alignxSet, "wrote the template set builtin:alignx"},
		{"an unknown set", []string{"prompts", "init", "--set", "builtin:nope", "--force", file}, ExitUsage, alignxSet, `no built-in template set "nope"`},
	}
	for _, tt := range tests {
		r := e.mustRun(tt.code, tt.args...)
		got, err := os.ReadFile(file)
		if err != nil || string(got) != string(tt.want) {
			t.Errorf("%s: the file holds %d bytes (%v), want the set of %d", tt.name, len(got), err, len(tt.want))
		}
		if !strings.Contains(r.stderr, tt.stderr) {
			t.Errorf("%s: stderr %q, want %q", tt.name, r.stderr, tt.stderr)
		}
	}
	// The file is a set of its own, versioned by its hash until named.
	set, err := engine.LoadPromptSet(file)
	if err != nil || !strings.HasPrefix(set.Version(), "sha256:") {
		t.Errorf("the written set: %v, version %q", err, set.Version())
	}
	if r := e.mustRun(ExitOK, "prompts", "init", "-"); r.stdout != string(popiSet) {
		t.Errorf("prompts init - wrote %d bytes to stdout, want the set", len(r.stdout))
	}
	if entries, _ := os.ReadDir(e.path("sets")); len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
	if exists(e.defaultDB()) {
		t.Errorf("prompts init created a database")
	}
}

func TestPromptsUsageErrors(t *testing.T) {
	e := newTestEnv(t)
	m := newModelServer(t)
	db, cfg := e.demoDB(), e.withSetConfig(m.URL+"/v1")
	show := []string{"prompts", "show", "--db", db, "--config", cfg}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"nothing to do", []string{"prompts"}, "say what to do: prompts init FILE, or prompts show --user ID"},
		{"unknown subcommand", []string{"prompts", "list"}, `unknown prompts command "list"`},
		{"init without a file", []string{"prompts", "init"}, "prompts init takes one FILE"},
		{"init with show's flags", []string{"prompts", "init", "x.toml", "--user", "u"}, "apply to prompts show"},
		{"show with init's flags", append(slices.Clone(show), "--user", "terse-tom", "--force"), "--set and --force apply to prompts init"},
		{"show an argument", append(slices.Clone(show), "terse-tom"), "prompts show takes no arguments (name the user with --user)"},
		{"no user", show, "prompts show needs --user"},
		{"unknown role", append(slices.Clone(show), "--user", "terse-tom", "--role", "critic"), `--role "critic": want summarizer, generator or judge`},
		{"condition of the summarizer", append(slices.Clone(show), "--user", "terse-tom", "--condition", "raw"), "--condition applies to --role generator"},
		{"unknown condition", append(slices.Clone(show), "--user", "terse-tom", "--role", "generator", "--condition", "both"), `--condition "both": want summary, raw or none`},
		{"prompt of the summarizer", append(slices.Clone(show), "--user", "terse-tom", "--prompt-id", "t1"), "--prompt-id applies to --role generator and judge"},
		{"unknown signal", append(slices.Clone(show), "--user", "terse-tom", "--signals", "posts"), `--signals: unknown signal "posts"`},
		{"signals of a generator", append(slices.Clone(show), "--user", "terse-tom", "--role", "generator", "--signals", "pairs"), "--signals applies to --role summarizer"},
		{"unknown user", append(slices.Clone(show), "--user", "nobody"), `no user "nobody" in ` + db},
		{"unknown prompt", append(slices.Clone(show), "--user", "terse-tom", "--role", "judge", "--prompt-id", "h1"), `user "terse-tom" has no task or held-out pair "h1" (theirs: ho1, t1, t2, t3)`},
		{"unknown backend", append(slices.Clone(show), "--user", "terse-tom", "--backend", "gpt"), `--backend: no backend named "gpt" (summarizers: fake, heuristic)`},
		{"an offline backend", append(slices.Clone(show), "--user", "terse-tom", "--backend", "heuristic"), "--backend: backend heuristic is the offline engine"},
		{"a backend without the role", append(slices.Clone(show), "--user", "terse-tom", "--role", "generator", "--backend", "heuristic"), `backend "heuristic" is not a generator`},
		{"no judge configured", []string{"prompts", "show", "--db", db, "--user", "terse-tom", "--role", "judge"}, "no judge backend is configured"},
		{"infer: an unknown signal", []string{"infer", "--db", db, "--config", cfg, "--signals", "pairs,posts"}, `--signals: unknown signal "posts"`},
		{"infer: signals of the offline summarizer", []string{"infer", "--db", db, "--signals", "profile"}, "--signals: the offline summarizer heuristic reads every signal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.mustRun(ExitUsage, tt.args...)
			if r.stdout != "" || !strings.Contains(r.stderr, tt.want) || !strings.Contains(r.stderr, "Run 'popi-tui "+tt.args[0]+" --help'") {
				t.Errorf("stdout %q, stderr %q, want %q", r.stdout, r.stderr, tt.want)
			}
		})
	}
}

// prompts is listed with the other commands, and its help names its flags.
func TestPromptsHelp(t *testing.T) {
	e := newTestEnv(t)
	if r := e.mustRun(ExitOK, "--help"); !strings.Contains(r.stdout, "  prompts  write a template set to start from") {
		t.Errorf("popi-tui --help does not list prompts:\n%s", r.stdout)
	}
	r := e.mustRun(ExitOK, "prompts", "--help")
	for _, want := range []string{"Usage: popi-tui prompts [flags] init FILE | show", "--set set", "--force", "--user ID", "--role string",
		"--condition string", "--backend NAME", "--prompt-id ID", "--signals", "(answer A)"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("prompts --help lacks %q:\n%s", want, r.stdout)
		}
	}
	if exists(e.defaultDB()) {
		t.Errorf("--help created a database")
	}
}
