package engine

import (
	"context"
	"encoding/json"
	"fmt"
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
// does is found out once per backend.
func (b *openAIBackend) Tokenize(ctx context.Context, text string) (int, bool, error) {
	b.tokenizeOnce.Do(func() {
		_, err := b.tokenize(ctx, "probe")
		b.canTokenize = err == nil
	})
	if !b.canTokenize {
		return estimateTokens(text), false, nil
	}
	n, err := b.tokenize(ctx, text)
	if err != nil {
		return 0, false, err
	}
	return n, true, nil
}

func (b *openAIBackend) tokenize(ctx context.Context, text string) (int, error) {
	r := b.replicas[0]
	body, _ := json.Marshal(map[string]any{"content": text, "prompt": text, "model": b.cfg.Model, "add_special": false})
	status, data, err := b.call(ctx, r, http.MethodPost, serverRoot(r.baseURL)+"/tokenize", body)
	if err != nil {
		return 0, &BackendError{Backend: b.cfg.Name, Msg: fmt.Sprintf("tokenize: %v", rootCause(err)), Temporary: true, Err: err}
	}
	if status != http.StatusOK {
		return 0, &BackendError{Backend: b.cfg.Name, Status: status, Msg: "tokenize: " + describeBody(data)}
	}
	var out struct {
		Tokens []json.RawMessage `json:"tokens"`
		Count  *int              `json:"count"`
	}
	if err := json.Unmarshal(data, &out); err != nil || out.Tokens == nil {
		return 0, &BackendError{Backend: b.cfg.Name, Status: status, Msg: "tokenize: no token list in the answer"}
	}
	if out.Count != nil {
		return *out.Count, nil
	}
	return len(out.Tokens), nil
}
