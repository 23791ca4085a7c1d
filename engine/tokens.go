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
// it offers POST /tokenize (llama.cpp takes "content", vLLM "prompt" and
// "model"; both answer with "tokens"), and estimates otherwise. Whether it
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
	ctx, cancel := b.bounded(ctx)
	defer cancel()
	body, _ := json.Marshal(map[string]any{"content": text, "prompt": text, "model": b.cfg.Model, "add_special": false})
	data, err := b.post(ctx, r, "tokenize", serverRoot(r.baseURL)+"/tokenize", body)
	if err != nil {
		return 0, err
	}
	var out struct {
		Tokens []json.RawMessage `json:"tokens"`
		Count  *int              `json:"count"`
	}
	if err := json.Unmarshal(data, &out); err != nil || out.Tokens == nil {
		return 0, &BackendError{Backend: b.cfg.Name, Status: http.StatusOK, Msg: "tokenize: no token list in the answer"}
	}
	if out.Count != nil {
		return *out.Count, nil
	}
	return len(out.Tokens), nil
}
