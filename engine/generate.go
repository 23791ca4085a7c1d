package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/popi-tui/popi-tui/store"
)

// Replay variants: which of a held-out pair's responses the replay
// generator offers (as store.Candidate.Replay records it).
const (
	ReplayChosen   = store.ReplayChosen
	ReplayRejected = store.ReplayRejected
)

// GenerateRequest asks one backend to answer one of a user's prompts
// under one condition.
type GenerateRequest struct {
	User     string
	PromptID string // a task, or a held-out pair
	// Condition is store.ConditionSummary, ConditionRaw or ConditionNone.
	Condition string
	Backend   string
	// Replay picks the held-out pair's response the replay generator
	// offers (ReplayChosen or ReplayRejected); other backends ignore it.
	Replay string
	// Force asks again even when an answer is cached.
	Force bool
}

// Conditions is the conditions asked for, each once and in order, each
// checked (store.CheckCondition); the summary condition when none is.
func Conditions(given []string) ([]string, error) {
	conditions := unique(given)
	for _, c := range conditions {
		if err := store.CheckCondition(c); err != nil {
			return nil, err
		}
	}
	if len(conditions) == 0 {
		conditions = []string{store.ConditionSummary}
	}
	return conditions, nil
}

// ErrNoSummary is a summary-conditioned request for a user without one.
var ErrNoSummary = errors.New("no summary yet")

// Generate answers a request, streaming the text to onDelta (which may be
// nil) as it arrives, and stores the finished answer in the generation
// cache. A cached answer with the same key is returned as it is (cached
// is true) unless req.Force. Cancelling ctx stops the request; an answer
// that was complete is stored all the same.
func (e *Engine) Generate(ctx context.Context, req GenerateRequest, onDelta func(Delta)) (g store.Generation, cached bool, err error) {
	b, err := e.backend(req.Backend, RoleGenerator)
	if err != nil {
		return store.Generation{}, false, err
	}
	if err := b.ready(); err != nil {
		return store.Generation{}, false, err
	}
	signals, err := e.userSignals(req.User)
	if err != nil {
		return store.Generation{}, false, err
	}
	p, err := lookupPrompt(signals, req.User, req.PromptID)
	if err != nil {
		return store.Generation{}, false, err
	}
	g, err = e.newGeneration(b, req, signals, p)
	if err != nil {
		return store.Generation{}, false, err
	}
	if !req.Force {
		if old, ok, err := e.db.CachedGeneration(g.Key); err != nil || ok {
			return old, ok, err
		}
	}
	var c Completion
	if b.chat == nil {
		c, err = replay(p, req.Replay, onDelta)
	} else {
		c, err = b.chat.Complete(ctx, g.Messages, onDelta)
	}
	if err != nil {
		return store.Generation{}, false, err
	}
	g, err = e.db.PutGeneration(answered(g, c))
	return g, false, err
}

// newGeneration is the generation a request asks for, before its answer:
// its cache key and what it sends. The live path and a batch file share
// it, so that both store the same fields under the same key.
func (e *Engine) newGeneration(b *backend, req GenerateRequest, signals []store.Signal, p store.Signal) (store.Generation, error) {
	key := store.GenerationKey{User: req.User, PromptID: req.PromptID, Condition: req.Condition,
		Backend: b.cfg.Name, Model: b.cfg.Model, Sampling: b.cfg.Sampling()}
	if b.chat == nil {
		if req.Replay != ReplayChosen && req.Replay != ReplayRejected {
			return store.Generation{}, fmt.Errorf("backend %s replays a held-out pair's responses: say which (chosen or rejected)", b.cfg.Name)
		}
		key.Condition, key.Sampling = "replay:"+req.Replay, ""
	}
	// A replayed answer was written for the bare prompt: it records the
	// messages an unpersonalized generator is sent, so that its labels
	// export with the prompt it answers.
	r, err := e.generatorRequest(b, req, signals, p)
	if err != nil {
		return store.Generation{}, err
	}
	msgs := r.Messages
	if b.chat != nil {
		key.SummaryID = r.SummaryID
		if req.Condition != store.ConditionNone { // the prompt alone is shared by sets that word it alike (Input says)
			key.TemplateSet = r.TemplateSet
		}
		key.Input = store.TextHash(messagesText(msgs))
	}
	return store.Generation{Key: key.Hash(), User: req.User, PromptID: req.PromptID, Prompt: p.Prompt, Condition: key.Condition,
		SummaryID: key.SummaryID, Backend: b.cfg.Name, Model: b.cfg.Model, Sampling: key.Sampling, TemplateSet: r.TemplateSet, Messages: msgs}, nil
}

// answered is g with a model's answer.
func answered(g store.Generation, c Completion) store.Generation {
	g.Text, g.FinishReason = c.Text, c.FinishReason
	g.PromptTokens, g.CompletionTokens, g.TokensEstimated = c.PromptTokens, c.CompletionTokens, c.TokensEstimated
	g.Latency, g.TimeToFirstToken = c.Latency, c.TimeToFirstToken
	return g
}

// messagesText is every message, role and content, for hashing.
func messagesText(msgs []store.Message) string {
	var b strings.Builder
	for _, m := range msgs {
		b.WriteString(m.Role)
		b.WriteByte(0)
		b.WriteString(m.Content)
		b.WriteByte(0)
	}
	return b.String()
}

// replay offers one of a held-out pair's own responses, as if generated:
// the labeling flow, and agreement with the dataset's choice, then work
// without a model. It pretends nothing: the backend and model are "replay".
func replay(p store.Signal, which string, onDelta func(Delta)) (Completion, error) {
	if p.Kind != store.KindPair {
		return Completion{}, fmt.Errorf("the replay generator answers held-out pairs only; %q is a %s", p.ID, p.Kind)
	}
	text := p.Chosen
	if which == ReplayRejected {
		text = p.Rejected
	}
	if onDelta != nil {
		onDelta(Delta{Text: text})
	}
	return Completion{Text: text, FinishReason: "stop", CompletionTokens: estimateTokens(text), TokensEstimated: true, Latency: time.Microsecond}, nil
}
