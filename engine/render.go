package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/popi-tui/popi-tui/store"
)

// Renderer words a backend's requests without sending them: `prompts
// show` prints them and the training exports (export pairs, export
// summarizer) write them. It goes through the very functions Summarize and
// Generate build their requests with (summarizerRequest, generatorRequest),
// so that what is printed or exported is what a model would be sent, and
// a change of wording cannot reach one and not the other.
type Renderer struct {
	e *Engine
	b *backend
}

// Renderer is how the backend named name words its requests for role. It
// must be a model backend: the offline ones word nothing. With name "",
// it is the first configured model backend with the role, or, when there
// is none, the configuration's own wording (its top-level prompts, else
// the built-in set, and every kind of signal): what a backend added
// without settings of its own would be sent.
func (e *Engine) Renderer(name, role string) (Renderer, error) {
	if name == "" {
		for _, b := range e.backends {
			if b.chat != nil && b.cfg.Has(role) {
				return Renderer{e: e, b: b}, nil
			}
		}
		cfg := BackendConfig{Kind: KindOpenAI, Roles: []string{role}, Prompts: e.cfg.Prompts}
		return Renderer{e: e, b: &backend{cfg: cfg, chat: wordingOnly{cfg}}}, nil
	}
	b, err := e.backend(name, role)
	if err != nil {
		return Renderer{}, err
	}
	if b.chat == nil {
		return Renderer{}, fmt.Errorf("backend %s is the offline engine: no template set words what it does", name)
	}
	return Renderer{e: e, b: b}, nil
}

// Backend is the backend whose wording this is; "" for the
// configuration's, when no model backend has the role.
func (r Renderer) Backend() string { return r.b.cfg.Name }

// TemplateSet is the version of the template set the requests are worded
// with (PromptSet.Version).
func (r Renderer) TemplateSet() string { return r.b.prompts().Version() }

// Summarizer is what the summarizer is sent for a user whose signals are
// given, with the history drawn from the kinds of signal allowed (nil:
// the backend's signals setting). A user with nothing it may see is an
// error wrapping store.ErrNoHistory.
func (r Renderer) Summarizer(user string, signals []store.Signal, allowed []string) (Request, error) {
	req, _, err := r.e.summarizerRequest(r.b, user, signals, allowed)
	return req, err
}

// Generator is what a generator is sent for prompt (a task or a pair:
// its Prompt is answered) under a condition, with the user's current
// summary under the summary condition, read now. A user without a summary
// there is an error wrapping ErrNoSummary; one with no history under raw,
// an error wrapping store.ErrNoHistory.
func (r Renderer) Generator(user string, signals []store.Signal, condition string, prompt store.Signal) (Request, error) {
	if err := store.CheckCondition(condition); err != nil {
		return Request{}, err
	}
	req := GenerateRequest{User: user, PromptID: prompt.ID, Condition: condition, Backend: r.b.cfg.Name}
	return r.e.generatorRequest(r.b, req, signals, prompt)
}

// GeneratorWithSummary is Generator with the user's current summary given
// (ok false: the user has none) rather than read now: the pairs export
// reads it with the user's signals, from the snapshot it exports, and
// renders on every core while that snapshot is open, where a read of the
// database's own could deadlock against a writer.
func (r Renderer) GeneratorWithSummary(user string, signals []store.Signal, condition string, prompt store.Signal,
	summary store.Summary, ok bool) (Request, error) {
	if err := store.CheckCondition(condition); err != nil {
		return Request{}, err
	}
	req := GenerateRequest{User: user, PromptID: prompt.ID, Condition: condition, Backend: r.b.cfg.Name}
	current := func(string) (store.Summary, bool, error) { return summary, ok, nil }
	return r.e.generatorRequestWith(r.b, req, signals, prompt, current)
}

// wordingOnly stands in for a model server where a request is worded but
// never sent: the configuration's wording, when no model backend has the
// role asked for.
type wordingOnly struct{ cfg BackendConfig }

var errWordingOnly = errors.New("no model backend is configured: requests are only worded")

func (w wordingOnly) Config() BackendConfig { return w.cfg }

func (wordingOnly) Complete(context.Context, []store.Message, func(Delta)) (Completion, error) {
	return Completion{}, errWordingOnly
}

func (wordingOnly) Tokenize(context.Context, string) (int, bool, error) {
	return 0, false, errWordingOnly
}
