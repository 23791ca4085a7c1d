package engine

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// prompts = FILE at the top of the configuration and per backend (the
// backend's wins, a relative name is relative to the configuration), and
// signals per backend.
func TestConfigPromptsAndSignals(t *testing.T) {
	path := writeConfig(t, `
prompts = "builtin:alignx"

[[backend]]
name     = "mine"
role     = "summarizer"
base_url = "http://127.0.0.1:8080/v1"
model    = "m"
prompts  = "sets/mine.toml"
signals  = ["pairs", "texts", "demographics"]

[[backend]]
name     = "top"
role     = "generator"
base_url = "http://127.0.0.1:8080/v1"
model    = "m"
signals  = ["demographics", "profile", "pairs", "texts"]
`)
	dir := filepath.Join(filepath.Dir(path), "sets")
	os.Mkdir(dir, 0o755)
	if err := os.WriteFile(filepath.Join(dir, "mine.toml"), []byte(minimalSet), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(path, true)
	if err != nil {
		t.Fatal(err)
	}
	mine, top := cfg.Backends[0], cfg.Backends[1]
	if mine.Prompts.Version() != "mine-1" || mine.Prompts.Name() != filepath.Join(dir, "mine.toml") ||
		!slices.Equal(mine.Signals, []string{SignalPairs, SignalTexts, SignalDemographics}) {
		t.Errorf("mine: set %s (%s), signals %v", mine.Prompts.Name(), mine.Prompts.Version(), mine.Signals)
	}
	if top.Prompts != cfg.Prompts || cfg.Prompts.Name() != "builtin:alignx" || top.Signals != nil {
		t.Errorf("top: set %v, signals %v (every kind named is the default, nil)", top.Prompts.Name(), top.Signals)
	}
	if p := cfg.SummarizerPrompt(); p.Prompts != mine.Prompts || !slices.Equal(p.Signals, mine.Signals) {
		t.Errorf("the summaries export would rebuild with %v, %v", p.Prompts.Name(), p.Signals)
	}
	if empty, _ := LoadConfig(filepath.Join(t.TempDir(), "none.toml"), false); empty.Prompts != nil || empty.SummarizerPrompt().Prompts != nil {
		t.Error("no configuration names a set, yet one is chosen (the built-in default is nil here)")
	}
}

func TestConfigPromptsErrors(t *testing.T) {
	dir := t.TempDir()
	bad := strings.Replace(minimalSet, "{{.AnswerB}}", "{{.AnswerC}}", 1)
	if err := os.WriteFile(filepath.Join(dir, "bad.toml"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	backend := "[[backend]]\nname = \"b\"\nrole = \"generator\"\nbase_url = \"http://h/v1\"\nmodel = \"m\"\n"
	tests := []struct{ file, want string }{
		{`prompts = "bad.toml"`, `config.toml:1: prompts: ` + filepath.Join(dir, "bad.toml") + `:18: [judge] user: at <.AnswerC>`},
		{backend + `prompts = "missing.toml"`, `config.toml:6: backend.prompts: template set: open ` + filepath.Join(dir, "missing.toml")},
		{backend + `prompts = "builtin:nope"`, `config.toml:6: backend.prompts: no built-in template set "nope"`},
		{backend + `signals = ["pairs", "persona"]`, `config.toml:6: backend.signals: unknown signal "persona" (want pairs, texts, profile, demographics)`},
		{backend + `signals = []`, `config.toml:6: backend.signals: no signals`},
		{"[[backend]]\nname = \"h\"\nkind = \"offline\"\nrole = \"summarizer\"\nsignals = [\"pairs\"]\n", `config.toml:5: backend.signals: the offline backend "h" sends no prompts`},
	}
	for _, tt := range tests {
		path := filepath.Join(dir, "config.toml")
		if err := os.WriteFile(path, []byte(tt.file), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := LoadConfig(path, true)
		if err == nil || !strings.HasPrefix(err.Error(), path+tt.want[len("config.toml"):]) {
			t.Errorf("%s:\n err = %v\nwant %s", tt.file, err, tt.want)
		}
	}
}
