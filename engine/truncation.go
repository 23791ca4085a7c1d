package engine

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/popi-tui/popi-tui/store"
)

// Silent truncation: a server whose context is shorter than a prompt may
// cut the prompt and answer anyway (Ollama does, by default with a 4k
// context, so a 6,000-token history loses its oldest part without a word;
// llama.cpp with --context-shift does too). The usage it reports gives it
// away: prompt_tokens is then fewer than were sent. vLLM refuses such a
// prompt (HTTP 400) instead, and is not checked.

// estimatedShortfall is how far under an estimated count the server's must
// be to be called a cut: estimates are within about 20% (README: Token
// counts), so a server that read fewer than 80% of them cut something,
// while one tokenizer a little thriftier than the estimate has not. A cut
// that matters is far below it (6,000 tokens cut to 4,096 is 68%).
const estimatedShortfall = 0.8

// promptCut says whether a server that read read prompt tokens cut a
// prompt of sent tokens: counted exactly (the chat template only adds
// tokens, so any shortfall is a cut) or estimated.
func promptCut(read, sent int, exact bool) bool {
	if exact {
		return read < sent
	}
	return float64(read) < estimatedShortfall*float64(sent)
}

// checkTruncation compares the prompt tokens the server says it read on r
// with the tokens of msgs, counted by the server's /tokenize when it has
// one and estimated otherwise (promptCut).
// It warns through the engine's notices, once per backend: the same cut
// would be said again on every long request of a run.
func (b *openAIBackend) checkTruncation(ctx context.Context, r *replica, msgs []store.Message, c Completion) {
	b.mu.Lock()
	warned := b.truncationWarned
	b.mu.Unlock()
	if warned || b.notify == nil || c.TokensEstimated || c.PromptTokens <= 0 {
		return
	}
	kind := b.kindOf(ctx, r)
	if kind == serverVLLM {
		return
	}
	sent, exact, err := b.Tokenize(ctx, joinMessages(msgs))
	if err != nil {
		return
	}
	if !promptCut(c.PromptTokens, sent, exact) {
		return
	}
	b.mu.Lock()
	warned, b.truncationWarned = b.truncationWarned, true
	b.mu.Unlock()
	if warned {
		return
	}
	count := fmt.Sprint(sent)
	if !exact {
		count = "~" + count + " (estimated)"
	}
	b.notify(b.redact.redact(fmt.Sprintf("backend %s: replica %s read %d prompt tokens of the %s sent: it cut the prompt to fit its context, and answered from part of it. %s",
		b.cfg.Name, r.shown, c.PromptTokens, count, contextAdvice(kind))))
}

// contextAdvice says how to give a server more context, or to send it less.
func contextAdvice(kind serverKind) string {
	const less = "or lower history_budget (`popi-tui backends` shows the context where the server reports it)"
	switch kind {
	case serverOllama:
		return "Give the model more context: OLLAMA_CONTEXT_LENGTH=16384 when starting Ollama, or PARAMETER num_ctx 16384 in its Modelfile (which wins over the variable), " + less
	case serverLlamaCpp:
		return "Start llama-server with a larger --ctx-size (each of its --parallel slots gets ctx-size ÷ parallel, or up to the model's own context with --kv-unified), " + less
	}
	return "Give the server a longer context, " + less
}

// contextRefusal matches what servers answer (HTTP 400) to a prompt longer
// than the context a request gets: llama-server's "request (N tokens)
// exceeds the available context size (M tokens)", vLLM's "maximum context
// length".
var contextRefusal = regexp.MustCompile(`(?i)exceeds the available context size|maximum context length`)

// contextHint is the advice appended to such a refusal ("" for any other
// error): the server's words say what happened, not what to change.
func (b *openAIBackend) contextHint(r *replica, status int, msg string) string {
	if status != http.StatusBadRequest || !contextRefusal.MatchString(msg) {
		return ""
	}
	b.mu.Lock()
	kind := r.kind
	b.mu.Unlock()
	if kind == serverUnknown && strings.Contains(msg, "exceeds the available context size") {
		kind = serverLlamaCpp // its words, before anything asked what it is
	}
	return ". " + contextAdvice(kind)
}
