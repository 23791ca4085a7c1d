// Package engine talks to models: backend configuration, the prompts,
// summarizing and generating (live and in bulk), token counts and the
// offline engine. It reads and writes through store and never imports ui.
package engine

import (
	"fmt"
	"slices"
	"strings"

	"github.com/popi-tui/popi-tui/store"
)

// Every request popi-tui sends a model is worded by a template set
// (promptset.go): the backend's, else the configuration's, else the
// built-in "popi" set. This file builds the requests from a user's
// signals: the template data (promptdata.go) with the history the backend
// may see, rendered by its set. Summarize, Generate, the evaluation and
// `popi-tui prompts show` all come here, so what is shown is what is sent.

// Request is what a backend is sent: the messages, and the version of the
// template set that worded them.
type Request struct {
	Backend  string
	Messages []store.Message
	// TemplateSet is the set's version (PromptSet.Version); "" when no
	// template worded the messages (the replay generator's bare prompt).
	TemplateSet string
	SummaryID   string   // a generator request under the summary condition: the summary it carries
	HistoryCut  bool     // the history was cut to the budget
	Signals     []string // the kinds of signal the history was drawn from; nil for all
}

// prompts is the backend's template set.
func (b *backend) prompts() *PromptSet {
	if b.cfg.Prompts != nil {
		return b.cfg.Prompts
	}
	return DefaultPromptSet()
}

// named finds a backend by name, whatever its role.
func (e *Engine) named(name string) (*backend, error) {
	for _, b := range e.backends {
		if b.cfg.Name == name {
			return b, nil
		}
	}
	names := make([]string, len(e.backends))
	for i, b := range e.backends {
		names[i] = b.cfg.Name
	}
	return nil, fmt.Errorf("no backend named %q (backends: %v)", name, names)
}

// Prompts is the template set the backend words its requests with.
func (e *Engine) Prompts(backend string) (*PromptSet, error) {
	b, err := e.named(backend)
	if err != nil {
		return nil, err
	}
	return b.prompts(), nil
}

// PromptData is the template data of a user as the backend may see them:
// the history of the kinds its signals setting allows, cut to the history
// budget. The caller fills in the prompt, summary or answers.
func (e *Engine) PromptData(backend, user string, signals []store.Signal) (PromptData, error) {
	b, err := e.named(backend)
	if err != nil {
		return PromptData{}, err
	}
	return historyData(user, signals, e.cfg.HistoryBudget, b.cfg.Signals), nil
}

// JudgeData is PromptData for a judge: what it is told about the user
// (told: JudgeToldPersona, JudgeToldProfile or JudgeToldHistory, the
// history cut to the configured budget), and nothing else of them. The
// judge backend's signals setting does not apply: told is the choice. A
// user lacking what was chosen is an error wrapping ErrNothingToTell.
func (e *Engine) JudgeData(user string, signals []store.Signal, told string) (PromptData, error) {
	return judgeData(user, signals, e.cfg.HistoryBudget, told)
}

// Persona is the user's persona text (every persona record, blank-line
// separated), or "".
func Persona(signals []store.Signal) string {
	var parts []string
	for _, s := range signals {
		if s.Kind == store.KindPersona {
			parts = append(parts, strings.TrimSpace(s.Text))
		}
	}
	return strings.Join(parts, "\n\n")
}

// SummarizerRequest is what the summarizer backend is sent for a user,
// with the history drawn from the kinds of signal allowed (nil: the
// backend's signals setting).
func (e *Engine) SummarizerRequest(user, backend string, allowed []string) (Request, error) {
	b, err := e.backend(backend, RoleSummarizer)
	if err != nil {
		return Request{}, err
	}
	if b.chat == nil {
		return Request{}, fmt.Errorf("backend %s is the offline engine: it sends no messages", b.cfg.Name)
	}
	signals, err := e.userSignals(user)
	if err != nil {
		return Request{}, err
	}
	r, _, err := e.summarizerRequest(b, user, signals, allowed)
	return r, err
}

func (e *Engine) summarizerRequest(b *backend, user string, signals []store.Signal, allowed []string) (Request, PromptData, error) {
	if allowed == nil {
		allowed = b.cfg.Signals
	}
	d := historyData(user, signals, e.cfg.HistoryBudget, allowed)
	set := b.prompts()
	msgs, err := set.Summarizer(d)
	if err != nil {
		return Request{}, d, err
	}
	return Request{Backend: b.cfg.Name, Messages: msgs, TemplateSet: set.Version(), HistoryCut: d.HistoryCut, Signals: canonicalSignals(allowed)}, d, nil
}

// canonicalSignals is nil for every kind (the default), else the kinds in
// AllSignals' order.
func canonicalSignals(allowed []string) []string {
	var out []string
	for _, s := range AllSignals {
		if allowed == nil || slices.Contains(allowed, s) {
			out = append(out, s)
		}
	}
	if len(out) == len(AllSignals) {
		return nil
	}
	return out
}

// userSignals reads a user's signals; a user without any is not found.
func (e *Engine) userSignals(user string) ([]store.Signal, error) {
	signals, err := e.db.Signals(user)
	if err != nil {
		return nil, err
	}
	if len(signals) == 0 {
		return nil, fmt.Errorf("user %q: %w", user, store.ErrNotFound)
	}
	return signals, nil
}

// GeneratorRequest is what a generator is sent for a request: for a
// model server, its template set's rendering of the prompt under the
// condition (with the user's current summary under the summary
// condition); for the replay generator, the bare prompt as one user turn,
// which is what the replayed answers were written for.
func (e *Engine) GeneratorRequest(req GenerateRequest) (Request, error) {
	b, err := e.backend(req.Backend, RoleGenerator)
	if err != nil {
		return Request{}, err
	}
	signals, err := e.userSignals(req.User)
	if err != nil {
		return Request{}, err
	}
	p, err := lookupPrompt(signals, req.User, req.PromptID)
	if err != nil {
		return Request{}, err
	}
	return e.generatorRequest(b, req, signals, p)
}

func (e *Engine) generatorRequest(b *backend, req GenerateRequest, signals []store.Signal, p store.Signal) (Request, error) {
	return e.generatorRequestWith(b, req, signals, p, e.db.CurrentSummary)
}

// generatorRequestWith is generatorRequest with the user's current
// summary read by current: an export passes the summary it read with the
// user's signals rather than have it read again.
func (e *Engine) generatorRequestWith(b *backend, req GenerateRequest, signals []store.Signal, p store.Signal,
	current func(user string) (store.Summary, bool, error)) (Request, error) {
	r := Request{Backend: b.cfg.Name}
	if b.chat == nil {
		r.Messages = []store.Message{{Role: "user", Content: p.Prompt}}
		return r, nil
	}
	d := historyData(req.User, signals, e.cfg.HistoryBudget, b.cfg.Signals)
	d.Prompt = p.Prompt
	if req.Condition == store.ConditionSummary {
		summary, ok, err := current(req.User)
		if err != nil {
			return Request{}, err
		} else if !ok {
			return Request{}, fmt.Errorf("user %q has %w (run popi-tui infer first)", req.User, ErrNoSummary)
		}
		d.Summary, r.SummaryID = summary.Text, summary.ID
	}
	set := b.prompts()
	msgs, err := set.Generator(req.Condition, d)
	if err != nil {
		return Request{}, fmt.Errorf("user %q, %s: %w", req.User, req.PromptID, err)
	}
	r.Messages, r.TemplateSet = msgs, set.Version()
	if req.Condition == store.ConditionRaw {
		r.HistoryCut, r.Signals = d.HistoryCut, canonicalSignals(b.cfg.Signals)
	}
	return r, nil
}

// JudgeRequest is what the judge backend is sent for one order of two
// answers to one of the user's prompts (a task or a held-out pair), told
// the user's persona, as eval's judge is by default.
func (e *Engine) JudgeRequest(judge, user, promptID, answerA, answerB string) (Request, error) {
	b, err := e.backend(judge, RoleJudge)
	if err != nil {
		return Request{}, err
	}
	signals, err := e.userSignals(user)
	if err != nil {
		return Request{}, err
	}
	p, err := lookupPrompt(signals, user, promptID)
	if err != nil {
		return Request{}, err
	}
	d, err := e.JudgeData(user, signals, JudgeToldPersona) // eval's default
	if err != nil {
		return Request{}, err
	}
	d.Prompt, d.AnswerA, d.AnswerB = p.Prompt, answerA, answerB
	set := b.prompts()
	msgs, err := set.Judge(d)
	if err != nil {
		return Request{}, err
	}
	return Request{Backend: b.cfg.Name, Messages: msgs, TemplateSet: set.Version(), HistoryCut: d.HistoryCut}, nil
}

// SummarizerPrompt builds summarizer inputs outside a run (the summaries
// export rebuilds the input of a summary written from scratch).
type SummarizerPrompt struct {
	HistoryBudget int        // tokens; DefaultHistoryBudget when 0
	Prompts       *PromptSet // DefaultPromptSet when nil
	Signals       []string   // the kinds of signal allowed; nil for all
}

// Input is the messages the summarizer is sent for a user. It returns an
// error wrapping store.ErrNoHistory when the user has nothing the
// summarizer may see. It fits trl.SummarizerInput, for exports.
func (p SummarizerPrompt) Input(user string, signals []store.Signal) ([]store.Message, error) {
	budget := p.HistoryBudget
	if budget <= 0 {
		budget = DefaultHistoryBudget
	}
	set := p.Prompts
	if set == nil {
		set = DefaultPromptSet()
	}
	return set.Summarizer(historyData(user, signals, budget, p.Signals))
}
