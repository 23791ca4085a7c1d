package engine

import (
	"context"
	"fmt"

	"github.com/popi-tui/popi-tui/store"
)

// Summarize infers a summary of a user's preferences with a summarizer
// backend and stores it as the user's newest summary version. onDelta,
// when not nil, receives the text as it streams (raw, reasoning included).
// The summary records where it came from, the template set, what was
// sent, and the token counts that show the context it saves.
func (e *Engine) Summarize(ctx context.Context, user, backendName string, onDelta func(Delta)) (store.Summary, error) {
	b, err := e.backend(backendName, RoleSummarizer)
	if err != nil {
		return store.Summary{}, err
	}
	s, err := e.summarize(ctx, user, b, nil, nil, onDelta)
	if err != nil {
		return store.Summary{}, err
	}
	return e.db.AddSummary(s)
}

// summarize infers a summary without storing it, from the kinds of signal
// allowed (nil: the backend's signals setting). read, when not nil, reads
// the user's signals (a bulk run's page of users read them already).
func (e *Engine) summarize(ctx context.Context, user string, b *backend, allowed []string, read func() ([]store.Signal, error), onDelta func(Delta)) (store.Summary, error) {
	if err := b.ready(); err != nil {
		return store.Summary{}, err
	}
	if read == nil {
		read = func() ([]store.Signal, error) { return e.userSignals(user) }
	}
	signals, err := read()
	if err != nil {
		return store.Summary{}, err
	}
	if b.chat == nil {
		return e.summarizeHeuristic(user, b, signals, onDelta)
	}
	s := newSummary(user, b)
	req, d, err := e.summarizerRequest(b, user, signals, allowed)
	if err != nil {
		return store.Summary{}, err
	}
	c, err := b.chat.Complete(ctx, req.Messages, onDelta)
	if err != nil {
		return store.Summary{}, err
	}
	// The context saving is counted by the same tokenizer. A tokenizer that
	// fails now costs exactness, not the summary.
	count := func(text string) (int, bool) {
		n, exact, err := b.chat.Tokenize(ctx, text)
		if err != nil {
			return estimateTokens(text), false
		}
		return n, exact
	}
	return summaryOf(s, b, req, d, c, count)
}

// summaryOf is the summary a model's answer to a summarizer request makes:
// the live path's and a batch file's, so that both store the same fields.
// count counts tokens with the backend's tokenizer (exact is false for an
// estimate).
func summaryOf(s store.Summary, b *backend, req Request, d PromptData, c Completion, count func(string) (n int, exact bool)) (store.Summary, error) {
	s.Text = StripReasoning(c.Text)
	if s.Text == "" {
		return store.Summary{}, &BackendError{Backend: b.cfg.Name,
			Msg: fmt.Sprintf("the summary is empty once reasoning is removed (finish reason %q)", c.FinishReason)}
	}
	s.TemplateSet, s.Messages, s.Signals, s.HistoryCut = req.TemplateSet, req.Messages, req.Signals, req.HistoryCut
	s.PromptTokens, s.CompletionTokens = c.PromptTokens, c.CompletionTokens
	// The context saving: the raw history the summary stands in for,
	// against the summary.
	var exact1, exact2 bool
	s.HistoryTokens, exact1 = count(d.historyText())
	s.SummaryTokens, exact2 = count(s.Text)
	s.TokensEstimated = c.TokensEstimated || !exact1 || !exact2
	return s, nil
}

// newSummary is a summary of user by b, before its text.
func newSummary(user string, b *backend) store.Summary {
	return store.Summary{User: user, Source: b.source(), Backend: b.cfg.Name, Model: b.cfg.Model}
}
