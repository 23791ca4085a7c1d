package engine

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Roles a backend can play.
const (
	RoleSummarizer = "summarizer"
	RoleGenerator  = "generator"
	RoleJudge      = "judge"
)

// Backend kinds.
const (
	KindOpenAI  = "openai"  // an OpenAI-compatible HTTP endpoint: llama.cpp, vLLM, Ollama, a hosted API
	KindOffline = "offline" // the embedded engine: heuristic summarizer, replay generator
)

// Defaults, as the README's Configuration section documents them.
const (
	DefaultTemperature   = 0.6
	DefaultMaxTokens     = 1024
	DefaultConcurrency   = 4 // per replica
	DefaultTimeout       = 120 * time.Second
	DefaultDeadline      = 10 * time.Minute
	DefaultHistoryBudget = 6000 // tokens of history given to the summarizer
	DefaultMaxAttempts   = 4
	DefaultGlobalLimit   = 64 // requests in flight over all backends
)

// BackendConfig is one [[backend]] of the configuration file.
type BackendConfig struct {
	Name  string
	Kind  string   // KindOpenAI (default) or KindOffline
	Roles []string // RoleSummarizer, RoleGenerator, RoleJudge
	// BaseURLs are replicas serving the same model; requests go to the one
	// with the fewest in flight.
	BaseURLs    []string
	Model       string
	APIKeyEnv   string // the environment variable holding the API key
	Temperature float64
	MaxTokens   int
	// MaxTokensField is the request field MaxTokens travels in:
	// FieldMaxTokens or FieldMaxCompletionTokens; "" picks it by the
	// model's family (TokensField).
	MaxTokensField string
	Concurrency    int           // requests in flight to each replica
	Timeout        time.Duration // longest wait for the first byte, and between two streamed chunks
	Deadline       time.Duration // longest any one request (one attempt) may take, however steadily it streams
	// Prompts is the template set the backend's requests are worded with:
	// its own prompts setting, else the configuration's; nil for the
	// built-in default (DefaultPromptSet).
	Prompts *PromptSet
	// Signals are the kinds of signal (AllSignals) the history its
	// templates are given may hold; nil for all.
	Signals []string
}

// Has reports whether the backend plays a role.
func (b BackendConfig) Has(role string) bool {
	for _, r := range b.Roles {
		if r == role {
			return true
		}
	}
	return false
}

// Sampling is the canonical form of the sampling settings, part of a
// generation's cache key.
func (b BackendConfig) Sampling() string {
	return fmt.Sprintf("temperature=%g max_tokens=%d", b.Temperature, b.MaxTokens)
}

// Config is the whole configuration file.
type Config struct {
	Path     string // where it was read from; "" when there is none
	Backends []BackendConfig
	// HistoryBudget is the most tokens of history the summarizer is given;
	// the most recent signals are kept.
	HistoryBudget int
	// MaxAttempts bounds the tries of one request (retries + 1).
	MaxAttempts int
	// Concurrency bounds the requests in flight over all backends.
	Concurrency int
	// Deadline is the deadline of backends that do not set their own.
	Deadline time.Duration
	// UI holds the interactive program's settings ([ui] in the file).
	UI UIConfig
	// Prompts is the template set of backends that name none (the top-level
	// prompts setting); nil for the built-in default.
	Prompts *PromptSet
}

// SummarizerPrompt builds summarizer inputs outside a run as the first
// configured summarizer would (its template set and signals), else with
// the configuration's set: the summaries export rebuilds inputs with it.
func (c Config) SummarizerPrompt() SummarizerPrompt {
	p := SummarizerPrompt{HistoryBudget: c.HistoryBudget, Prompts: c.Prompts}
	for _, b := range c.Backends {
		if b.Has(RoleSummarizer) && b.Kind == KindOpenAI {
			p.Prompts, p.Signals = b.Prompts, b.Signals
			break
		}
	}
	return p
}

// UIConfig is the [ui] table: defaults the command line can override.
type UIConfig struct {
	Theme     string // dark, light, high-contrast; "" follows the terminal
	Annotator string // recorded on every label; "" is the login name
	Compare   string // what a labeling session compares (--compare)
	Prefetch  int    // items generated ahead while labeling (default 3)
	// Reveal is when Compare names the candidates of a decision: RevealNever
	// (the default: annotators who see which answer was the dataset's learn
	// to match it) or RevealAfter, in the status line after each decision.
	Reveal string
	// Question is what Compare asks of every comparison ("" the default
	// question); Questions, by --compare mode or candidate list, overrides
	// it per comparison.
	Question  string
	Questions map[string]string
	// The labeling queue (config_ui.go): skipped items asked again once at
	// the end (SkipsAgain) or never (SkipsFinal); a team campaign hands
	// each item to Overlap of the Team's annotators.
	Skips   string
	Team    []string
	Overlap int
}

// When Compare reveals the candidates ([ui] reveal).
const (
	RevealNever = "never"
	RevealAfter = "after"
)

// ConfigError is a mistake in the configuration file, placed on its line.
type ConfigError struct {
	File string
	Line int // 0 when unknown
	Key  string
	Msg  string
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Key != "" {
		fmt.Fprintf(&b, ": %s", e.Key)
	}
	fmt.Fprintf(&b, ": %s", e.Msg)
	return b.String()
}

// fileConfig is the file's layout, for decoding.
type fileConfig struct {
	HistoryBudget *int          `toml:"history_budget"`
	MaxAttempts   *int          `toml:"max_attempts"`
	Concurrency   *int          `toml:"concurrency"`
	Deadline      *duration     `toml:"deadline"`
	Prompts       *string       `toml:"prompts"`
	Backend       []fileBackend `toml:"backend"`
	UI            fileUI        `toml:"ui"`
}

type fileUI struct {
	Theme     string            `toml:"theme"`
	Annotator string            `toml:"annotator"`
	Compare   string            `toml:"compare"`
	Prefetch  *int              `toml:"prefetch"`
	Reveal    string            `toml:"reveal"`
	Question  string            `toml:"question"`
	Questions map[string]string `toml:"questions"`
	Skips     *string           `toml:"skips"`
	Team      stringList        `toml:"team"`
	Overlap   *int              `toml:"overlap"`
}

type fileBackend struct {
	Name        string     `toml:"name"`
	Kind        string     `toml:"kind"`
	Role        stringList `toml:"role"`
	BaseURL     stringList `toml:"base_url"`
	Model       string     `toml:"model"`
	APIKeyEnv   string     `toml:"api_key_env"`
	APIKey      *string    `toml:"api_key"`
	Temperature *float64   `toml:"temperature"`
	MaxTokens   *int       `toml:"max_tokens"`
	TokensField *string    `toml:"max_tokens_field"`
	Concurrency *int       `toml:"concurrency"`
	Timeout     *duration  `toml:"timeout"`
	Deadline    *duration  `toml:"deadline"`
	Prompts     *string    `toml:"prompts"`
	Signals     stringList `toml:"signals"`
}

// stringList takes a string or a list of strings.
type stringList []string

func (s *stringList) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case string:
		*s = []string{v}
	case []any:
		*s = make(stringList, 0, len(v)) // an empty list is set, not missing
		for _, x := range v {
			str, ok := x.(string)
			if !ok {
				return fmt.Errorf("want a string or a list of strings")
			}
			*s = append(*s, str)
		}
	default:
		return fmt.Errorf("want a string or a list of strings")
	}
	return nil
}

// duration takes "120s", "2m" and the like.
type duration time.Duration

func (d *duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("want a duration such as \"120s\" or \"2m\"")
	}
	if v <= 0 {
		return fmt.Errorf("must be positive")
	}
	*d = duration(v)
	return nil
}

var (
	typeError = regexp.MustCompile(`^toml: line (\d+) \(last key "([^"]+)"\): (.*)$`)
	envName   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// MaxAttemptsLimit bounds max_attempts: past it a server is not coming back.
const MaxAttemptsLimit = 20

// LoadConfig reads the configuration file at path. A missing file is an
// empty configuration unless required (a path the user named).
func LoadConfig(path string, required bool) (Config, error) {
	cfg := Config{Path: path, HistoryBudget: DefaultHistoryBudget, MaxAttempts: DefaultMaxAttempts, Concurrency: DefaultGlobalLimit,
		Deadline: DefaultDeadline, UI: UIConfig{Prefetch: 3, Reveal: RevealNever}}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && !required {
		cfg.Path = ""
		return cfg, nil
	}
	if err != nil {
		return Config{}, fmt.Errorf("configuration: %w", err)
	}
	fc, loc, err := decodeConfig(path, data)
	if err != nil {
		return Config{}, err
	}
	if err := fc.settings(&cfg, path, loc); err != nil {
		return Config{}, err
	}
	sets := promptSets{config: path, loaded: map[string]*PromptSet{}}
	if fc.Prompts != nil {
		if cfg.Prompts, err = sets.load(*fc.Prompts); err != nil {
			return Config{}, &ConfigError{File: path, Line: loc.keyLine(toml.Key{"prompts"}), Key: "prompts", Msg: err.Error()}
		}
	}
	r := backendReader{path: path, loc: loc, deadline: cfg.Deadline, seen: map[string]bool{}, sets: sets, prompts: cfg.Prompts}
	for i, fb := range fc.Backend {
		b, err := r.read(i, fb)
		if err != nil {
			return Config{}, err
		}
		cfg.Backends = append(cfg.Backends, b)
	}
	return cfg, nil
}

// decodeConfig parses the file, placing a syntax error, a value of the
// wrong type or an unknown setting on its line.
func decodeConfig(path string, data []byte) (fileConfig, locator, error) {
	var fc fileConfig
	loc := locator{data: data}
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&fc)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return fc, loc, &ConfigError{File: path, Line: pe.Position.Line, Key: pe.LastKey, Msg: pe.Message}
		}
		// A value of the wrong type: "toml: line N (last key "K"): incompatible types: …".
		if m := typeError.FindStringSubmatch(err.Error()); m != nil {
			line, _ := strconv.Atoi(m[1])
			return fc, loc, &ConfigError{File: path, Line: line, Key: m[2], Msg: m[3]}
		}
		return fc, loc, &ConfigError{File: path, Msg: err.Error()}
	}
	if undecoded := md.Undecoded(); len(undecoded) > 0 {
		k := undecoded[0]
		line := loc.keyLine(k)
		return fc, loc, &ConfigError{File: path, Line: line, Key: k.String(), Msg: "unknown setting"}
	}
	return fc, loc, nil
}

// settings checks the top-level settings and the [ui] table and sets
// them in cfg.
func (fc fileConfig) settings(cfg *Config, path string, loc locator) error {
	for name, v := range map[string]*int{"history_budget": fc.HistoryBudget, "max_attempts": fc.MaxAttempts, "concurrency": fc.Concurrency} {
		if v != nil && *v < 1 {
			return &ConfigError{File: path, Line: loc.keyLine(toml.Key{name}), Key: name, Msg: "must be at least 1"}
		}
	}
	if fc.MaxAttempts != nil && *fc.MaxAttempts > MaxAttemptsLimit {
		return &ConfigError{File: path, Line: loc.keyLine(toml.Key{"max_attempts"}), Key: "max_attempts", Msg: fmt.Sprintf("must be at most %d", MaxAttemptsLimit)}
	}
	if fc.HistoryBudget != nil {
		cfg.HistoryBudget = *fc.HistoryBudget
	}
	if fc.MaxAttempts != nil {
		cfg.MaxAttempts = *fc.MaxAttempts
	}
	if fc.Concurrency != nil {
		cfg.Concurrency = *fc.Concurrency
	}
	if fc.Deadline != nil {
		cfg.Deadline = time.Duration(*fc.Deadline)
	}
	cfg.UI = UIConfig{Theme: fc.UI.Theme, Annotator: fc.UI.Annotator, Compare: fc.UI.Compare, Prefetch: 3,
		Reveal: RevealNever, Question: fc.UI.Question, Questions: fc.UI.Questions}
	switch fc.UI.Reveal {
	case "", RevealNever:
	case RevealAfter:
		cfg.UI.Reveal = RevealAfter
	default:
		return &ConfigError{File: path, Line: loc.keyLine(toml.Key{"ui", "reveal"}), Key: "ui.reveal", Msg: `must be "after" or "never"`}
	}
	if fc.UI.Prefetch != nil {
		if *fc.UI.Prefetch < 0 || *fc.UI.Prefetch > 32 {
			return &ConfigError{File: path, Line: loc.keyLine(toml.Key{"ui", "prefetch"}), Key: "ui.prefetch", Msg: "must be between 0 and 32"}
		}
		cfg.UI.Prefetch = *fc.UI.Prefetch
	}
	return fc.UI.queueSettings(&cfg.UI, path, loc)
}

// backendReader turns the file's [[backend]] tables into backends, one
// at a time, each checked: what it is, where it is, its limits.
type backendReader struct {
	path     string
	loc      locator
	deadline time.Duration // the top-level deadline, for backends that set none
	seen     map[string]bool
	sets     promptSets
	prompts  *PromptSet // the top-level template set, for backends that name none
}

// bad is a mistake in the i-th [[backend]], placed on key's line.
func (r *backendReader) bad(i int, key, format string, args ...any) error {
	return &ConfigError{File: r.path, Line: r.loc.backendKeyLine(i, key), Key: "backend." + key, Msg: fmt.Sprintf(format, args...)}
}

func (r *backendReader) read(i int, fb fileBackend) (BackendConfig, error) {
	b := BackendConfig{Name: fb.Name, Kind: fb.Kind, Roles: fb.Role, BaseURLs: fb.BaseURL, Model: fb.Model, APIKeyEnv: fb.APIKeyEnv,
		Temperature: DefaultTemperature, MaxTokens: DefaultMaxTokens, Concurrency: DefaultConcurrency, Timeout: DefaultTimeout, Deadline: r.deadline}
	if err := r.identity(i, fb, &b); err != nil {
		return BackendConfig{}, err
	}
	if err := r.endpoint(i, &b); err != nil {
		return BackendConfig{}, err
	}
	if err := r.limits(i, fb, &b); err != nil {
		return BackendConfig{}, err
	}
	if err := r.wording(i, fb, &b); err != nil {
		return BackendConfig{}, err
	}
	return b, r.deadlineCoversTimeout(i, fb, b)
}

// identity checks what the backend is: its name (and that no key is in
// the file), its kind and roles. An offline backend's model is what it
// is, under the name the user gave it.
func (r *backendReader) identity(i int, fb fileBackend, b *BackendConfig) error {
	switch {
	case strings.TrimSpace(b.Name) == "":
		return r.bad(i, "name", "every [[backend]] needs a name")
	case r.seen[b.Name] || builtinBackend(b.Name):
		return r.bad(i, "name", "%q is already taken", b.Name)
	case fb.APIKey != nil:
		return r.bad(i, "api_key", "API keys do not go in files; name an environment variable with api_key_env")
	case b.APIKeyEnv != "" && !envName.MatchString(b.APIKeyEnv):
		// Not echoed: it may be the key itself, pasted in the wrong place.
		return r.bad(i, "api_key_env", "must be the name of an environment variable (letters, digits, _), not the key itself")
	}
	r.seen[b.Name] = true
	if b.Kind == "" {
		b.Kind = KindOpenAI
	}
	if b.Kind != KindOpenAI && b.Kind != KindOffline {
		return r.bad(i, "kind", "unknown kind %q (want openai or offline)", b.Kind)
	}
	if len(b.Roles) == 0 {
		return r.bad(i, "role", "backend %q has no role (summarizer, generator or judge)", b.Name)
	}
	for _, role := range b.Roles {
		if role != RoleSummarizer && role != RoleGenerator && role != RoleJudge {
			return r.bad(i, "role", "unknown role %q (want summarizer, generator or judge)", role)
		}
	}
	if b.Kind == KindOffline {
		b.Model = ReplayName
		if b.Has(RoleSummarizer) {
			b.Model = HeuristicName
		}
		if b.Has(RoleSummarizer) && b.Has(RoleGenerator) || b.Has(RoleJudge) {
			return r.bad(i, "role", "an offline backend is a summarizer (heuristic) or a generator (replay), not both, and never a judge")
		}
	}
	return nil
}

// endpoint checks where a model server is: its URLs and model.
func (r *backendReader) endpoint(i int, b *BackendConfig) error {
	if b.Kind != KindOpenAI {
		return nil
	}
	if len(b.BaseURLs) == 0 {
		return r.bad(i, "base_url", "backend %q needs a base_url", b.Name)
	}
	for _, u := range b.BaseURLs {
		if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return r.bad(i, "base_url", "%q is not an http(s) URL", u)
		}
	}
	if strings.TrimSpace(b.Model) == "" {
		return r.bad(i, "model", "backend %q needs a model", b.Name)
	}
	return nil
}

// limits checks and sets the sampling settings, concurrency, timeout and
// deadline the file gives.
func (r *backendReader) limits(i int, fb fileBackend, b *BackendConfig) error {
	if fb.Temperature != nil {
		if *fb.Temperature < 0 || *fb.Temperature > 2 {
			return r.bad(i, "temperature", "must be between 0 and 2")
		}
		b.Temperature = *fb.Temperature
	}
	if fb.MaxTokens != nil {
		if *fb.MaxTokens < 1 {
			return r.bad(i, "max_tokens", "must be at least 1")
		}
		b.MaxTokens = *fb.MaxTokens
	}
	if err := r.reasoning(i, fb, b); err != nil {
		return err
	}
	if fb.Concurrency != nil {
		if *fb.Concurrency < 1 {
			return r.bad(i, "concurrency", "must be at least 1")
		}
		b.Concurrency = *fb.Concurrency
	}
	if fb.Timeout != nil {
		b.Timeout = time.Duration(*fb.Timeout)
	}
	if fb.Deadline != nil {
		b.Deadline = time.Duration(*fb.Deadline)
	}
	return nil
}

// deadlineCoversTimeout refuses a model server whose deadline would cut
// every wait the timeout allows short: someone who raised the timeout for
// a slow server has to raise the deadline too, and is told so rather than
// surprised.
func (r *backendReader) deadlineCoversTimeout(i int, fb fileBackend, b BackendConfig) error {
	if b.Kind != KindOpenAI || b.Deadline >= b.Timeout {
		return nil
	}
	key := "deadline"
	switch {
	case fb.Deadline == nil && fb.Timeout != nil:
		key = "timeout"
	case fb.Deadline == nil:
		return &ConfigError{File: r.path, Line: r.loc.keyLine(toml.Key{"deadline"}), Key: "deadline",
			Msg: fmt.Sprintf("%s is shorter than backend %q's timeout %s", b.Deadline, b.Name, b.Timeout)}
	}
	return r.bad(i, key, "the deadline %s is shorter than the timeout %s: a request's deadline must be at least its timeout", b.Deadline, b.Timeout)
}

// locator finds the line of a key in a configuration file, for messages
// about values that parsed but make no sense.
type locator struct{ data []byte }

func (l locator) lines() []string { return strings.Split(string(l.data), "\n") }

// keyLine finds a key: top-level, or "backend.KEY" in the first backend
// that sets it.
func (l locator) keyLine(k toml.Key) int {
	if len(k) == 2 && k[0] == "backend" {
		for i := 0; ; i++ {
			line := l.backendKeyLine(i, k[1])
			if line == 0 || l.isKey(line, k[1]) {
				return line
			}
		}
	}
	table := "" // the table being read: "" at the top
	want := ""
	if len(k) == 2 {
		want = k[0]
	}
	for n, line := range l.lines() {
		if t := strings.TrimSpace(line); strings.HasPrefix(t, "[") {
			table = strings.Trim(strings.Join(strings.Fields(t), ""), "[]")
			continue
		}
		if table == want && keyOf(line) == k[len(k)-1] {
			return n + 1
		}
	}
	return 0
}

func (l locator) isKey(line int, key string) bool {
	lines := l.lines()
	return line > 0 && line <= len(lines) && keyOf(lines[line-1]) == key
}

// backendKeyLine is the line of key in the i-th [[backend]] table, or of
// the table's header when the key is not set there; 0 if there is no such
// table.
func (l locator) backendKeyLine(i int, key string) int {
	n := -1
	header := 0
	for idx, line := range l.lines() {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "[") {
			if n == i { // the table ended
				return header
			}
			if strings.HasPrefix(strings.Join(strings.Fields(t), ""), "[[backend]]") { // [[ backend ]] is the same table
				n++
				header = idx + 1
			}
			continue
		}
		if n == i && keyOf(line) == key {
			return idx + 1
		}
	}
	if n >= i {
		return header
	}
	return 0
}

func keyOf(line string) string {
	k, _, ok := strings.Cut(strings.TrimSpace(line), "=")
	if !ok {
		return ""
	}
	return strings.Trim(strings.TrimSpace(k), `"'`)
}

// builtinBackend reports whether a name belongs to an offline backend that
// is always there.
func builtinBackend(name string) bool { return name == HeuristicName || name == ReplayName }
