package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync/atomic"

	"github.com/popi-tui/popi-tui/store"
)

// A worker of BatchIn: each line's request is matched to the database,
// built again and compared, and its answer stored in a batch of the
// worker's own, committed every batchCommit answers and at the end.

const batchCommit = 256

// batchPending is what one worker has checked and not yet committed.
type batchPending struct {
	summaries   []store.Summary
	users       map[string]bool
	generations []store.Generation
	keys        map[string]bool
}

func (r *batchRun) work(ctx context.Context, in <-chan resultLine) {
	p := &batchPending{users: map[string]bool{}, keys: map[string]bool{}}
	for l := range in {
		if ctx.Err() != nil {
			continue // interrupted: the lines queued are read again by the next run
		}
		var err error
		if l.id.Kind == batchSummarize {
			err = r.summary(ctx, l, p)
		} else {
			err = r.generation(l, p)
		}
		if err != nil {
			r.refuse(l.file, l.line, err)
		}
		if len(p.summaries)+len(p.generations) >= batchCommit {
			r.commit(p)
		}
	}
	r.commit(p)
}

// commit stores a worker's checked answers in one transaction.
func (r *batchRun) commit(p *batchPending) {
	var err error
	n := len(p.summaries) + len(p.generations)
	if len(p.summaries) > 0 {
		_, err = r.e.db.AddSummaries(p.summaries)
	}
	if err == nil && len(p.generations) > 0 {
		_, err = r.e.db.PutGenerations(p.generations)
	}
	r.t.mu.Lock()
	if err == nil {
		r.t.rep.Done += n
	}
	r.t.mu.Unlock()
	if err != nil {
		r.mu.Lock()
		if r.storeErr == nil {
			r.storeErr = err
		}
		r.mu.Unlock()
	}
	p.summaries, p.generations = p.summaries[:0], p.generations[:0]
	clear(p.users)
	clear(p.keys)
}

// skip counts an answer already stored.
func (r *batchRun) skip() {
	r.t.mu.Lock()
	r.t.rep.Skipped++
	r.t.mu.Unlock()
}

// summary checks one summarizer result and adds its summary to p. The
// error is a problem of the line: no such request, or a changed one.
func (r *batchRun) summary(ctx context.Context, l resultLine, p *batchPending) error {
	id := l.id
	b, signals, err := r.matchLine(l, RoleSummarizer)
	if err != nil {
		return err
	}
	item := "user " + id.User
	c, err := completionOf(b, l.res)
	if err != nil {
		r.fail(item, err)
		return nil
	}
	allowed, err := signalsAllowed(id.Signals)
	if err != nil {
		return fmt.Errorf("custom_id %q: %v", l.res.CustomID, err)
	}
	req, d, err := r.e.summarizerRequest(b, id.User, signals, allowed)
	if err != nil {
		return fmt.Errorf("user %q: the request cannot be built again: %w", id.User, err)
	}
	if err := sameRequest(b, id, req.Messages, req.TemplateSet, 0); err != nil {
		return err
	}
	// Checked before the tokenizer is asked: reading the same results
	// again costs no request.
	if done, err := r.summaryStored(b, id.User, StripReasoning(c.Text), req.Messages, allowed, p); err != nil || done {
		if done {
			r.skip()
		}
		return err
	}
	s, err := summaryOf(newSummary(id.User, b), b, req, d, estimated(c, req.Messages), r.tokenCounter(ctx, b).count)
	if err != nil {
		r.fail(item, err)
		return nil
	} else if ctx.Err() != nil {
		return nil // its counts may be estimates only because the run was stopped
	}
	p.summaries, p.users[id.User] = append(p.summaries, s), true
	return nil
}

// matchLine finds what a line's custom_id names in the configuration and
// the database: its backend, which must play role and send requests, and
// its user's signals.
func (r *batchRun) matchLine(l resultLine, role string) (*backend, []store.Signal, error) {
	b, err := r.e.backend(l.id.Backend, role)
	if err != nil {
		return nil, nil, fmt.Errorf("custom_id %q: %v", l.res.CustomID, err)
	} else if err := offlineBatch(b); err != nil {
		return nil, nil, err
	}
	signals, err := r.e.userSignals(l.id.User)
	if err != nil {
		return nil, nil, fmt.Errorf("custom_id %q: %w", l.res.CustomID, err)
	}
	return b, signals, nil
}

// summaryStored reports whether the summary need not be stored: the user
// is already summarized by this backend (as InferAll skips), or, with
// Force, this very answer to this very request is stored.
func (r *batchRun) summaryStored(b *backend, user, text string, msgs []store.Message, allowed []string, p *batchPending) (bool, error) {
	if p.users[user] {
		return true, nil
	}
	if !r.opt.Force {
		return r.e.summarizedBy(user, b, allowed)
	}
	versions, err := r.e.db.Summaries(user)
	return slices.ContainsFunc(versions, func(v store.Summary) bool {
		return v.Source == b.source() && v.Text == text && slices.Equal(v.Messages, msgs)
	}), err
}

// generation checks one generator result and adds its generation to p.
func (r *batchRun) generation(l resultLine, p *batchPending) error {
	id := l.id
	b, signals, err := r.matchLine(l, RoleGenerator)
	if err != nil {
		return err
	}
	prompt, err := lookupPrompt(signals, id.User, id.PromptID)
	if err != nil {
		return err
	} else if err := store.CheckCondition(id.Condition); err != nil {
		return fmt.Errorf("custom_id %q: %v", l.res.CustomID, err)
	}
	req := GenerateRequest{User: id.User, PromptID: id.PromptID, Condition: id.Condition, Backend: b.cfg.Name}
	item := fmt.Sprintf("%s/%s %s via %s", id.User, id.PromptID, id.Condition, b.cfg.Name)
	c, err := completionOf(b, l.res)
	if err != nil {
		r.fail(item, err)
		return nil
	}
	g, err := r.e.newGeneration(b, req, signals, prompt)
	if err != nil {
		return fmt.Errorf("refused: %w", err)
	}
	version := 0
	if id.Condition == store.ConditionSummary {
		if cur, ok, err := r.e.db.CurrentSummary(id.User); err == nil && ok {
			version = cur.Version
		}
	}
	if err := sameRequest(b, id, g.Messages, g.TemplateSet, version); err != nil {
		return err
	}
	g = answered(g, estimated(c, g.Messages))
	if p.keys[g.Key] {
		r.skip()
		return nil
	}
	old, ok, err := r.e.db.CachedGeneration(g.Key)
	if err != nil {
		return err
	} else if ok && (!r.opt.Force || old.Text == g.Text) {
		r.skip()
		return nil
	}
	p.generations, p.keys[g.Key] = append(p.generations, g), true
	return nil
}

// sameRequest checks that the request built now is the one the file
// asked, and says what changed when it is not (version: the user's
// current summary's, under the summary condition).
func sameRequest(b *backend, id batchID, msgs []store.Message, set string, version int) error {
	_, hash, err := batchBody(b.cfg, msgs)
	if err != nil || hash == id.Hash {
		return err
	}
	why := "the request built now differs from the one in the file: the user's history, the backend's model or its sampling settings changed since it was written"
	switch {
	case set != id.TemplateSet:
		why = fmt.Sprintf("backend %s's template set is now %q; the file's request was worded by %q", b.cfg.Name, set, id.TemplateSet)
	case id.SummaryVersion != version:
		why = fmt.Sprintf("user %q's current summary is now version %d; the file's request carried version %d", id.User, version, id.SummaryVersion)
	}
	return fmt.Errorf("refused: %s", why)
}

// completionOf is the answer a result line holds, or the error it
// reports, as a BackendError redacted as a live one is.
func completionOf(b *backend, res batchResult) (Completion, error) {
	fail := func(status int, msg string) error {
		be := &BackendError{Backend: b.cfg.Name, Status: status, Msg: msg}
		if ob, ok := b.chat.(*openAIBackend); ok {
			be = ob.redact.seal(be)
		}
		return be
	}
	if e := bytes.TrimSpace(res.Error); len(e) > 0 && string(e) != "null" {
		var msg string // vLLM's run-batch writes the error as a string
		if json.Unmarshal(e, &msg) != nil {
			msg = describeBody(e) // OpenAI's, as {code, message}
		}
		return Completion{}, fail(0, "batch error: "+msg)
	}
	if res.Response == nil {
		return Completion{}, fail(0, "the result has neither a response nor an error")
	}
	status := res.Response.StatusCode
	if status != 0 && status != http.StatusOK {
		return Completion{}, fail(status, describeBody(res.Response.Body))
	}
	var body struct {
		Choices []struct {
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
			FinishReason string `json:"finish_reason"`
		} `json:"choices"`
		Usage *struct {
			PromptTokens     int `json:"prompt_tokens"`
			CompletionTokens int `json:"completion_tokens"`
		} `json:"usage"`
	}
	if err := json.Unmarshal(res.Response.Body, &body); err != nil || len(body.Choices) == 0 {
		return Completion{}, fail(status, "the response body holds no chat completion")
	}
	c := Completion{Text: body.Choices[0].Message.Content, FinishReason: body.Choices[0].FinishReason}
	if body.Usage != nil {
		c.PromptTokens, c.CompletionTokens = body.Usage.PromptTokens, body.Usage.CompletionTokens
	}
	return c, nil
}

// estimated fills in estimated token counts when the server reported
// none, as a live answer's are.
func estimated(c Completion, msgs []store.Message) Completion {
	if c.PromptTokens == 0 && c.CompletionTokens == 0 {
		c.PromptTokens, c.CompletionTokens, c.TokensEstimated = estimateTokens(joinMessages(msgs)), estimateTokens(c.Text), true
	}
	return c
}

// batchTokens counts tokens for the summaries of a run as the live path
// does, with the backend's tokenizer, until it fails once: the results may
// be read where the server is not, and a million failing requests would
// cost far more than estimates.
type batchTokens struct {
	ctx context.Context
	b   *backend
	off atomic.Bool
}

func (r *batchRun) tokenCounter(ctx context.Context, b *backend) *batchTokens {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.tokens[b.cfg.Name]
	if !ok {
		t = &batchTokens{ctx: ctx, b: b}
		r.tokens[b.cfg.Name] = t
	}
	return t
}

func (t *batchTokens) count(text string) (int, bool) {
	if !t.off.Load() {
		n, exact, err := t.b.chat.Tokenize(t.ctx, text)
		if err == nil && exact {
			return n, true
		}
		if !errors.Is(err, context.Canceled) {
			t.off.Store(true)
		}
	}
	return estimateTokens(text), false
}
