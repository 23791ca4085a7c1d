package engine

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
)

// estimateTokens is the documented fallback when a server cannot count
// tokens: one token per four bytes of text, rounded up. For English text
// and the BPE tokenizers of Llama-3 and its kin this is within about 20%;
// counts made this way are marked as estimates wherever they are stored
// or shown.
func estimateTokens(text string) int {
	return (len(text) + 3) / 4
}

// serverRoot is a replica's address without the /v1 of the OpenAI API:
// llama.cpp and vLLM serve /tokenize there.
func serverRoot(baseURL string) string {
	return strings.TrimSuffix(strings.TrimSuffix(baseURL, "/"), "/v1")
}

// Tokenize counts the tokens of text with the server's own tokenizer when
// it offers POST /tokenize (tokenizeBody: each server is sent the fields
// it reads; both answer with "tokens"), and estimates otherwise. Whether it
// does is learnt from the first clear answer (a count, or a refusal such as
// 404); a failure that says nothing (no connection, 5xx, cancelled) leaves
// the question open and this one count estimated.
func (b *openAIBackend) Tokenize(ctx context.Context, text string) (int, bool, error) {
	b.mu.Lock()
	known, can := b.tokenizeKnown, b.canTokenize
	b.mu.Unlock()
	if known && !can {
		return estimateTokens(text), false, nil
	}
	r, err := b.acquire(ctx, nil)
	if err != nil {
		return 0, false, err
	}
	b.kindOf(ctx, r) // once per replica: the fields to send depend on it
	n, err := b.tokenizeOn(ctx, r, text)
	b.release(r, false, nil) // a tokenizer's answer is no verdict on the replica's model
	var be *BackendError
	switch {
	case err == nil:
		b.learnTokenize(true)
		return n, true, nil
	case errors.As(err, &be) && be.Status >= 400 && be.Status < 500 && be.Status != http.StatusTooManyRequests:
		b.learnTokenize(false)
	}
	return estimateTokens(text), false, nil
}

func (b *openAIBackend) learnTokenize(can bool) {
	b.mu.Lock()
	b.tokenizeKnown, b.canTokenize = true, can
	b.mu.Unlock()
}

// tokenizeOn asks one replica to count the tokens of text.
func (b *openAIBackend) tokenizeOn(ctx context.Context, r *replica, text string) (int, error) {
	b.mu.Lock()
	kind := r.kind // as far as known: asking first would cost a request
	b.mu.Unlock()
	body, _ := json.Marshal(tokenizeBody(kind, b.cfg.Model, text))
	ctx, cancel := b.bounded(ctx)
	defer cancel()
	data, err := b.post(ctx, r, "tokenize", serverRoot(r.baseURL)+"/tokenize", body)
	if err != nil {
		return 0, err
	}
	var out struct {
		Tokens      []json.RawMessage `json:"tokens"`
		Count       *int              `json:"count"`
		MaxModelLen *int              `json:"max_model_len"`
	}
	if err := json.Unmarshal(data, &out); err != nil || out.Tokens == nil {
		return 0, &BackendError{Backend: b.cfg.Name, Status: http.StatusOK, Msg: "tokenize: no token list in the answer"}
	}
	if out.MaxModelLen != nil && kind == serverUnknown {
		// Only vLLM answers with max_model_len (its /v1/models may have
		// been out of reach, or behind a proxy that renames owned_by):
		// from now on it is sent the fields it reads, and no others to
		// warn of.
		b.learnKind(r, serverVLLM)
	}
	if out.Count != nil {
		return *out.Count, nil
	}
	return len(out.Tokens), nil
}

// tokenizeBody is a /tokenize request for text without special tokens (a
// count of text, not of a prompt: no BOS), in the fields the server reads.
// llama.cpp reads "content" and "add_special" (and "model" in router
// mode); vLLM reads "prompt", "model" and "add_special_tokens" (true by
// default) and warns of every field it ignores. A server that cannot be
// told is sent both, as servers that copy either one read their own.
func tokenizeBody(k serverKind, model, text string) map[string]any {
	switch k {
	case serverLlamaCpp:
		return map[string]any{"content": text, "model": model, "add_special": false}
	case serverVLLM:
		return map[string]any{"prompt": text, "model": model, "add_special_tokens": false}
	}
	return map[string]any{"content": text, "prompt": text, "model": model, "add_special": false, "add_special_tokens": false}
}
