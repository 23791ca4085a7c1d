package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// Which server software a replica runs, where it matters: the field its
// /tokenize reads, where it reports its context length, whether it cuts a
// prompt that is too long or refuses it, and the advice a person is given.
// It is told from what the server says about itself, never guessed from a
// port or a name someone typed.

type serverKind int

const (
	serverUnknown serverKind = iota // a hosted API, or a server that does not say
	serverLlamaCpp
	serverVLLM
	serverOllama
)

func (k serverKind) String() string {
	return [...]string{"", "llama.cpp", "vLLM", "Ollama"}[k]
}

// kindFromModels reads GET /v1/models: vLLM and llama.cpp's llama-server
// put their own name in every model's owned_by ("vllm", "llamacpp").
// Ollama puts the model's namespace there ("library"), which says nothing.
func kindFromModels(body []byte) serverKind {
	var models struct {
		Data []struct {
			OwnedBy string `json:"owned_by"`
		} `json:"data"`
	}
	if json.Unmarshal(body, &models) != nil {
		return serverUnknown
	}
	for _, m := range models.Data {
		switch m.OwnedBy {
		case "vllm":
			return serverVLLM
		case "llamacpp":
			return serverLlamaCpp
		}
	}
	return serverUnknown
}

// kindOf is the server software of r, asked once (GET /v1/models, then
// Ollama's GET /api/version). A server that did not say stays unknown,
// even when it was only out of reach: not knowing costs little (the
// /tokenize request names every field, and vLLM is then told from its
// answer; advice is generic), and asking before every request would cost
// a round trip each. `backends` asks again.
func (b *openAIBackend) kindOf(ctx context.Context, r *replica) serverKind {
	b.mu.Lock()
	k, known := r.kind, r.kindKnown
	b.mu.Unlock()
	if known {
		return k
	}
	ctx, cancel := b.bounded(ctx)
	defer cancel()
	k = serverUnknown
	if status, body, err := b.call(ctx, r, http.MethodGet, r.baseURL+"/models", nil); err == nil && status == http.StatusOK {
		k = kindFromModels(body)
	}
	if k == serverUnknown && ctx.Err() == nil {
		k, _ = b.askOllama(ctx, r)
	}
	b.mu.Lock()
	if !r.kindKnown { // the answer of a /tokenize may have told first
		r.kind, r.kindKnown = k, true
	}
	k = r.kind
	b.mu.Unlock()
	return k
}

func (b *openAIBackend) learnKind(r *replica, k serverKind) {
	b.mu.Lock()
	r.kind, r.kindKnown = k, true
	b.mu.Unlock()
}

// askOllama asks for Ollama's GET /api/version ({"version": "0.17.4"}),
// which the other servers do not serve; known is false when the answer
// says nothing either way.
func (b *openAIBackend) askOllama(ctx context.Context, r *replica) (k serverKind, known bool) {
	status, body, err := b.call(ctx, r, http.MethodGet, serverRoot(r.baseURL)+"/api/version", nil)
	if err != nil || status >= 500 {
		return serverUnknown, false
	}
	var v struct {
		Version string `json:"version"`
	}
	if status == http.StatusOK && json.Unmarshal(body, &v) == nil && v.Version != "" {
		return serverOllama, true
	}
	return serverUnknown, true
}

// versionSegment is a path segment naming an API version: v1, v1beta, v2.
var versionSegment = regexp.MustCompile(`^v[0-9]+`)

// didYouMeanV1 is the hint a 404 gets when r's base URL names no API
// version: vLLM and Ollama serve the OpenAI API under /v1 only, and
// answer a bare 404 without it. "" when the URL has a version.
func didYouMeanV1(r *replica) string {
	u, err := url.Parse(r.shown)
	if err != nil {
		return ""
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if versionSegment.MatchString(seg) {
			return ""
		}
	}
	return fmt.Sprintf(" (did you mean %s/v1?)", strings.TrimSuffix(r.shown, "/"))
}
