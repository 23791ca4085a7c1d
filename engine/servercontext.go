package engine

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// The context length a server gives a request, where it reports one: a
// prompt longer than it is refused (vLLM) or cut (Ollama; llama.cpp with
// --context-shift), so `backends` shows it beside the history budget.

// readSettings fills in rh the context a request to r gets and where that
// was read (0 when the server does not say), and the chat template it
// applies where it says (llama-server). models is r's GET /v1/models.
func (b *openAIBackend) readSettings(ctx context.Context, r *replica, kind serverKind, models []byte, rh *ReplicaHealth) {
	switch kind {
	case serverVLLM:
		rh.ContextLength, rh.ContextSource = vllmContext(models, b.cfg.Model)
	case serverLlamaCpp:
		// One GET /props says both.
		p, _ := b.llamaCppProps(ctx, r)
		rh.ContextLength, rh.ContextSource = p.context()
		rh.ChatTemplate = p.ChatTemplate
	case serverOllama:
		rh.ContextLength, rh.ContextSource = b.ollamaContext(ctx, r)
	}
}

// vllmContext reads the max_model_len vLLM lists with each model.
func vllmContext(models []byte, model string) (int, string) {
	var list struct {
		Data []struct {
			ID          string `json:"id"`
			MaxModelLen int    `json:"max_model_len"`
		} `json:"data"`
	}
	if json.Unmarshal(models, &list) != nil {
		return 0, ""
	}
	for _, m := range list.Data {
		if m.ID == model || len(list.Data) == 1 {
			return m.MaxModelLen, "max_model_len"
		}
	}
	return 0, ""
}

// llamaCppProps is what llama-server's GET /props says of itself.
type llamaCppProps struct {
	Settings struct {
		NCtx int `json:"n_ctx"`
	} `json:"default_generation_settings"`
	ChatTemplate string `json:"chat_template"`
}

// llamaCppProps reads llama-server's GET /props; ok is false when it
// has none to read.
func (b *openAIBackend) llamaCppProps(ctx context.Context, r *replica) (p llamaCppProps, ok bool) {
	status, body, err := b.call(ctx, r, http.MethodGet, serverRoot(r.baseURL)+"/props", nil)
	if err != nil || status != http.StatusOK || json.Unmarshal(body, &p) != nil {
		return llamaCppProps{}, false
	}
	return p, true
}

// context is the context of one slot: what a request gets (--ctx-size
// divided among the --parallel slots, or all of it, up to the model's
// own, with --kv-unified); 0 when /props did not say.
func (p llamaCppProps) context() (int, string) {
	if p.Settings.NCtx <= 0 {
		return 0, ""
	}
	return p.Settings.NCtx, "n_ctx of a slot (/props)"
}

// ollamaContext reads what Ollama says of the model's context, in the order
// that decides what a request gets: the num_ctx the model sets (POST
// /api/show), else the context it is loaded with now (GET /api/ps), else
// the most the model takes (its model_info "<arch>.context_length"), which
// the server's default (OLLAMA_CONTEXT_LENGTH, or 4k–256k by the GPU's
// memory) may well be less than.
func (b *openAIBackend) ollamaContext(ctx context.Context, r *replica) (int, string) {
	root := serverRoot(r.baseURL)
	payload, _ := json.Marshal(map[string]string{"model": b.cfg.Model})
	var show struct {
		Parameters string         `json:"parameters"`
		ModelInfo  map[string]any `json:"model_info"`
	}
	if status, body, err := b.call(ctx, r, http.MethodPost, root+"/api/show", payload); err == nil && status == http.StatusOK {
		json.Unmarshal(body, &show)
	}
	if n := numCtx(show.Parameters); n > 0 {
		return n, "the model's num_ctx (/api/show)"
	}
	if n := b.ollamaLoaded(ctx, r); n > 0 {
		return n, "as loaded now (/api/ps)"
	}
	for k, v := range show.ModelInfo {
		if n, ok := v.(float64); ok && strings.HasSuffix(k, ".context_length") && n > 0 {
			return int(n), "the model's most (/api/show): a request gets only OLLAMA_CONTEXT_LENGTH of it, by default 4k–256k by GPU memory, which Ollama reports once the model is loaded"
		}
	}
	return 0, ""
}

// numCtx finds "num_ctx N" among the parameters /api/show lists, one a
// line.
func numCtx(parameters string) int {
	sc := bufio.NewScanner(strings.NewReader(parameters))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "num_ctx" {
			if n, err := strconv.Atoi(f[1]); err == nil && n > 0 {
				return n
			}
		}
	}
	return 0
}

// ollamaLoaded is the context_length /api/ps gives the model while it is
// loaded; 0 when it is not.
func (b *openAIBackend) ollamaLoaded(ctx context.Context, r *replica) int {
	status, body, err := b.call(ctx, r, http.MethodGet, serverRoot(r.baseURL)+"/api/ps", nil)
	if err != nil || status != http.StatusOK {
		return 0
	}
	var ps struct {
		Models []struct {
			Name          string `json:"name"`
			Model         string `json:"model"`
			ContextLength int    `json:"context_length"`
		} `json:"models"`
	}
	if json.Unmarshal(body, &ps) != nil {
		return 0
	}
	for _, m := range ps.Models {
		if sameModel(m.Name, b.cfg.Model) || sameModel(m.Model, b.cfg.Model) {
			return m.ContextLength
		}
	}
	return 0
}
