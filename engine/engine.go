package engine

import (
	"fmt"
	"slices"
	"strings"

	"github.com/popi-tui/popi-tui/store"
)

// Engine runs summaries and generations against the configured backends
// and stores what they return. Its methods are safe for concurrent use.
type Engine struct {
	db       *store.DB
	cfg      Config
	backends []*backend // in configuration order, then the built-in offline ones
}

// backend is a configured backend: a model server, or the offline engine.
type backend struct {
	cfg  BackendConfig
	chat chatBackend // nil for the offline engine
	// missingKey names the environment variable that should hold the API
	// key but is empty; requests fail at once rather than with a 401.
	missingKey string
}

// Options tune an Engine.
type Options struct {
	// Getenv reads API keys (os.Getenv in the program).
	Getenv func(string) string
	// Notify receives notices meant for a person: a replica set aside, or
	// back. It may be called from any goroutine.
	Notify func(string)
}

// New makes an engine for the configured backends plus the built-in
// offline ones (HeuristicName, ReplayName).
func New(db *store.DB, cfg Config, opt Options) *Engine {
	if opt.Getenv == nil {
		opt.Getenv = func(string) string { return "" }
	}
	if cfg.MaxAttempts < 1 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.Concurrency < 1 {
		cfg.Concurrency = DefaultGlobalLimit
	}
	if cfg.HistoryBudget < 1 {
		cfg.HistoryBudget = DefaultHistoryBudget
	}
	e := &Engine{db: db, cfg: cfg}
	global := make(chan struct{}, cfg.Concurrency)
	keys := make([]string, len(cfg.Backends))
	var urls []string
	for i, bc := range cfg.Backends {
		if bc.Kind == KindOpenAI && bc.APIKeyEnv != "" {
			keys[i] = opt.Getenv(bc.APIKeyEnv)
		}
		urls = append(urls, bc.BaseURLs...)
	}
	redact := newRedactor(keys, urls) // every backend's secrets, for every backend's errors
	for i, bc := range cfg.Backends {
		b := &backend{cfg: bc}
		if bc.Kind == KindOpenAI {
			if bc.APIKeyEnv != "" && keys[i] == "" {
				b.missingKey = bc.APIKeyEnv
			}
			b.chat = newOpenAIBackend(bc, cfg.MaxAttempts, global, keys[i], redact, opt.Notify)
		}
		e.backends = append(e.backends, b)
	}
	e.backends = append(e.backends,
		&backend{cfg: BackendConfig{Name: HeuristicName, Kind: KindOffline, Roles: []string{RoleSummarizer}, Model: HeuristicName}},
		&backend{cfg: BackendConfig{Name: ReplayName, Kind: KindOffline, Roles: []string{RoleGenerator}, Model: ReplayName}})
	return e
}

// Close lets go of idle connections to the servers.
func (e *Engine) Close() {
	for _, b := range e.backends {
		if ob, ok := b.chat.(*openAIBackend); ok {
			for _, r := range ob.replicas {
				r.http.CloseIdleConnections()
			}
		}
	}
}

// Config is the configuration the engine runs with.
func (e *Engine) Config() Config { return e.cfg }

// SummarizerPrompt builds summarizer inputs as the configuration's first
// summarizer would (Config.SummarizerPrompt).
func (e *Engine) SummarizerPrompt() SummarizerPrompt { return e.cfg.SummarizerPrompt() }

// Backends lists every backend, configured ones first.
func (e *Engine) Backends() []BackendConfig {
	out := make([]BackendConfig, len(e.backends))
	for i, b := range e.backends {
		out[i] = b.cfg
	}
	return out
}

// DB is the database the engine reads and stores its work in.
func (e *Engine) DB() *store.DB { return e.db }

// Backend is the configuration of the backend named name, which must play
// role; the error lists the backends that do.
func (e *Engine) Backend(name, role string) (BackendConfig, error) {
	b, err := e.backend(name, role)
	if err != nil {
		return BackendConfig{}, err
	}
	return b.cfg, nil
}

// backend finds a backend by name that plays role.
func (e *Engine) backend(name, role string) (*backend, error) {
	for _, b := range e.backends {
		if b.cfg.Name != name {
			continue
		}
		if !b.cfg.Has(role) {
			return nil, fmt.Errorf("backend %q is not a %s (its roles: %s)", name, role, strings.Join(b.cfg.Roles, ", "))
		}
		return b, nil
	}
	var names []string
	for _, b := range e.backends {
		if b.cfg.Has(role) {
			names = append(names, b.cfg.Name)
		}
	}
	return nil, fmt.Errorf("no backend named %q (%ss: %s)", name, role, strings.Join(names, ", "))
}

// DefaultBackend is the first configured backend with a role, or the
// offline one when none is configured.
func (e *Engine) DefaultBackend(role string) string {
	for _, b := range e.backends {
		if b.cfg.Has(role) {
			return b.cfg.Name
		}
	}
	return ""
}

// BackendsWith lists the names of the backends with a role, configured
// ones first.
func (e *Engine) BackendsWith(role string) []string {
	var names []string
	for _, b := range e.backends {
		if b.cfg.Has(role) {
			names = append(names, b.cfg.Name)
		}
	}
	return names
}

func (b *backend) ready() error {
	if b.missingKey != "" {
		return &BackendError{Backend: b.cfg.Name, Msg: fmt.Sprintf("its API key variable %s is not set", b.missingKey)}
	}
	return nil
}

// source is what a summary by this backend is attributed to.
func (b *backend) source() string {
	if b.chat == nil {
		return store.SourceHeuristic
	}
	return b.cfg.Name + "/" + b.cfg.Model
}

// reasoningTags are the blocks some models think aloud in before
// answering; they are not part of a summary.
var reasoningTags = []string{"think", "thinking", "reasoning", "reflection"}

// StripReasoning removes the blocks some models think aloud in before
// answering (<think>…</think> and the like), and the space around the
// answer.
func StripReasoning(text string) string {
	for _, tag := range reasoningTags {
		text = stripBlocks(text, "<"+tag+">", "</"+tag+">")
	}
	return strings.TrimSpace(text)
}

// stripBlocks removes every open…end block, in any letter case. A block
// left open means the answer never came (the model ran out of tokens while
// thinking): everything from its start goes. An end without an opening
// means a chat template opened the block before the answer began.
func stripBlocks(text, open, end string) string {
	for {
		i, j := indexFold(text, open), indexFold(text, end)
		switch {
		case j >= 0 && (i < 0 || j < i): // closed before any opening: the template opened it
			text = text[j+len(end):]
		case i >= 0 && j > i:
			text = text[:i] + text[j+len(end):]
		case i >= 0:
			return text[:i]
		default:
			return text
		}
	}
}

// indexFold is strings.Index ignoring ASCII case, with byte offsets into s.
func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

// lookupPrompt finds the prompt a generation answers: a task, or the
// prompt of a held-out pair.
func lookupPrompt(signals []store.Signal, user, promptID string) (store.Signal, error) {
	i := slices.IndexFunc(signals, func(s store.Signal) bool { return s.ID == promptID })
	if i < 0 {
		return store.Signal{}, fmt.Errorf("user %q has no task or held-out pair %q", user, promptID)
	}
	s := signals[i]
	if s.Kind != store.KindTask && !(s.Kind == store.KindPair && s.Split == store.SplitHeldout) {
		return store.Signal{}, fmt.Errorf("%s %q of user %q is not a task or a held-out pair", s.Kind, promptID, user)
	}
	return s, nil
}
