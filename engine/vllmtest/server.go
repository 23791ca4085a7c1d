// Package vllmtest is a hand-written vLLM for tests of preference
// accuracy: POST /tokenize renders chat messages with a toy chat template
// into word tokens, and POST /v1/completions echoes a token-id prompt
// with log-probabilities chosen by the test, in vLLM's documented shapes
// (CompletionRequest, CompletionLogProbs, prompt_logprobs,
// TokenizeChatRequest). No real server at hand can score (Ollama cannot).
package vllmtest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/store"
)

// Server is the fake vLLM. Set its fields before the first request.
type Server struct {
	srv *httptest.Server

	// Scores[response text][condition] is the total log-probability the
	// model gives the response after a prompt under that condition; a
	// response not listed scores −1 a token.
	Scores map[string]map[string]float64
	// Condition names the condition a prompt (its words, joined by
	// spaces) was worded under; by default "summary" when it holds the
	// word "prefers", "raw" when it holds "chose", else "none".
	Condition func(prompt string) string
	// Shape is "token_logprobs" (OpenAI's echo shape, the default) or
	// "prompt_logprobs" (vLLM's extension).
	Shape string
	// SingleOnly refuses a batch of prompts, as older vLLM did, with
	// BatchStatus (400 when unset).
	SingleOnly  bool
	BatchStatus int
	// FailCalls answers the n-th /v1/completions request (from 1) with
	// the status FailCalls[n] (a server overloaded for a moment).
	FailCalls map[int]int
	// MaxModelLen, when set, refuses a prompt of more tokens as vLLM does
	// (HTTP 400).
	MaxModelLen int
	// Generates refuses max_tokens 0, as vLLM builds whose sampling
	// parameters insist on one new token do. With max_tokens 1 any fake
	// generates a token, whose log-probability (GeneratedLogprob) follows
	// the prompt's.
	Generates bool
	// TopAtLeastOne refuses logprobs (and prompt_logprobs) of 0, as a
	// server that wants at least one alternative per token might.
	TopAtLeastOne bool
	// PromptLogprobsOnRequest leaves the prompt's log-probabilities out
	// of an echo unless the request asks for prompt_logprobs.
	PromptLogprobsOnRequest bool
	// Latency and Capacity shape /v1/completions (tokenizing is quick,
	// as vLLM's is: it runs on the CPU beside the model).
	Latency  time.Duration
	Capacity chan struct{}
	// Override answers a path in place of the fake (a server that cannot
	// score).
	Override map[string]http.HandlerFunc

	// EndScores[response text][condition] is the log-probability of the
	// end-of-turn token after the response under that condition; one not
	// listed scores EndLogprob.
	EndScores map[string]map[string]float64
	// EndNewline puts a newline token after each finished message's end
	// token, as ChatML's "<|im_end|>\n" does: a second token the finished
	// render adds, which is not the end of turn (it scores NewlineLogprob).
	EndNewline bool
	// TrimWord, when a finished final assistant message ends with that
	// word, leaves it out, as a template that trims the message does
	// where the continued render keeps it: the finished render then does
	// not extend the continued one.
	TrimWord string

	mu    sync.Mutex
	vocab map[string]int
	words []string

	// TokenizeCalls and ScoreCalls count requests; MaxInflight is the
	// most /v1/completions requests served at once.
	TokenizeCalls, ScoreCalls atomic.Int32
	MaxInflight               atomic.Int32
	inflight                  atomic.Int32
}

// Special token ids of the toy chat template.
const (
	fakeBOS = iota + 1
	fakeUser
	fakeAssistant
	fakeEnd
	fakeNewline
	fakeAlternative = 99 // a token the prompt_logprobs top lists, never in a prompt
	fakeFirstWord   = 100
)

// PromptLogprob is what every token before the response scores: a sum
// that counts any of them is off by a multiple of it.
const PromptLogprob = -0.25

// GeneratedLogprob is what the token a Generates server adds scores: a
// sum that counts it is off by it.
const GeneratedLogprob = -3.5

// EndLogprob is what the end-of-turn token after a response scores when
// EndScores does not say; NewlineLogprob is what the newline after it
// scores (EndNewline), which a sum must not count.
const (
	EndLogprob     = -0.125
	NewlineLogprob = -6.0
)

// New starts a fake vLLM serving model "fake-vllm", closed when the test
// ends.
func New(t testing.TB, scores map[string]map[string]float64) *Server {
	f := &Server{Scores: scores, Shape: "token_logprobs", vocab: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /tokenize", f.overridable(f.tokenize))
	mux.HandleFunc("POST /v1/completions", f.overridable(f.complete))
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"object":"list","data":[{"id":"fake-vllm","object":"model"}]}`)
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// URL is the server's base URL, without /v1.
func (f *Server) URL() string { return f.srv.URL }

func (f *Server) overridable(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if o, ok := f.Override[r.URL.Path]; ok {
			o(w, r)
			return
		}
		h(w, r)
	}
}

func (f *Server) id(word string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if id, ok := f.vocab[word]; ok {
		return id
	}
	f.vocab[word] = fakeFirstWord + len(f.words)
	f.words = append(f.words, word)
	return f.vocab[word]
}

func (f *Server) word(id int) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if id < fakeFirstWord || id-fakeFirstWord >= len(f.words) {
		return fmt.Sprintf("<%d>", id)
	}
	return f.words[id-fakeFirstWord]
}

// Render is the toy chat template: BOS, then per message its role token,
// its words and an end token (and a newline token, with EndNewline); the
// generation prompt is the assistant's role token; a continued final
// message has no end token. A finished final assistant message ending in
// TrimWord loses it.
func (f *Server) Render(msgs []store.Message, addGenerationPrompt, continueFinal bool) []int {
	ids := []int{fakeBOS}
	for i, m := range msgs {
		role := fakeUser
		if m.Role == "assistant" {
			role = fakeAssistant
		}
		ids = append(ids, role)
		words := strings.Fields(m.Content)
		last := i == len(msgs)-1
		if last && !continueFinal && role == fakeAssistant && f.TrimWord != "" && len(words) > 1 && words[len(words)-1] == f.TrimWord {
			words = words[:len(words)-1]
		}
		for _, w := range words {
			ids = append(ids, f.id(w))
		}
		if !(continueFinal && last) {
			ids = append(ids, fakeEnd)
			if f.EndNewline {
				ids = append(ids, fakeNewline)
			}
		}
	}
	if addGenerationPrompt {
		ids = append(ids, fakeAssistant)
	}
	return ids
}

func (f *Server) tokenize(w http.ResponseWriter, r *http.Request) {
	f.TokenizeCalls.Add(1)
	var req struct {
		Model                string          `json:"model"`
		Messages             []store.Message `json:"messages"`
		Prompt               *string         `json:"prompt"`
		AddGenerationPrompt  *bool           `json:"add_generation_prompt"`
		ContinueFinalMessage bool            `json:"continue_final_message"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, `{"object":"error","message":"bad json"}`, http.StatusBadRequest)
		return
	}
	var ids []int
	switch {
	case req.Messages != nil:
		gen := req.AddGenerationPrompt == nil || *req.AddGenerationPrompt // vLLM's default: true
		if gen && req.ContinueFinalMessage {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"object":"error","message":"Cannot set both continue_final_message and add_generation_prompt to True."}`)
			return
		}
		ids = f.Render(req.Messages, gen, req.ContinueFinalMessage)
	case req.Prompt != nil:
		for _, word := range strings.Fields(*req.Prompt) {
			ids = append(ids, f.id(word))
		}
	}
	json.NewEncoder(w).Encode(map[string]any{"count": len(ids), "max_model_len": 4096, "tokens": ids})
}

// condition tells which condition a prompt was worded under.
func (f *Server) condition(ids []int) string {
	text := make([]string, len(ids))
	for i, id := range ids {
		text[i] = f.word(id)
	}
	joined := strings.Join(text, " ")
	if f.Condition != nil {
		return f.Condition(joined)
	}
	joined = " " + joined + " "
	switch {
	case strings.Contains(joined, " prefers "):
		return store.ConditionSummary
	case strings.Contains(joined, " chose "):
		return store.ConditionRaw
	}
	return store.ConditionNone
}

// logprobs is the per-token log-probabilities of a prompt: null for the
// first, PromptLogprob up to the response (after the last assistant
// token), then the response's total split over its words (the first two
// carry it, so that a sum that skips or adds a token is wrong), then, if
// the sequence goes on past the response's words, the end-of-turn token's
// (EndScores, else EndLogprob) and a newline's (NewlineLogprob).
func (f *Server) logprobs(ids []int) ([]*float64, error) {
	start := 0
	for i := len(ids) - 1; i >= 0 && start == 0; i-- {
		if ids[i] == fakeAssistant {
			start = i + 1
		}
	}
	end := start // after the response's words
	for end < len(ids) && ids[end] >= fakeFirstWord {
		end++
	}
	if start == 0 || end == start {
		return nil, fmt.Errorf("no response after an assistant token")
	}
	words := make([]string, 0, end-start)
	for _, id := range ids[start:end] {
		words = append(words, f.word(id))
	}
	response, condition := strings.Join(words, " "), f.condition(ids[:start])
	byCondition, known := f.Scores[response]
	if !known { // a response the test did not choose for (a probe): -1 a token
		byCondition = map[string]float64{condition: -float64(len(words))}
	}
	total, ok := byCondition[condition]
	if !ok {
		return nil, fmt.Errorf("no score for response %q under %s", response, condition)
	}
	out := make([]*float64, len(ids))
	for i := 1; i < len(ids); i++ {
		v := PromptLogprob
		switch {
		case i == start && end-start == 1:
			v = total
		case i == start:
			v = total + 1.5
		case i == start+1 && i < end:
			v = -1.5
		case i > start && i < end:
			v = 0
		case i >= end && ids[i] == fakeEnd:
			v = EndLogprob
			if s, ok := f.EndScores[response][condition]; ok {
				v = s
			}
		case i >= end && ids[i] == fakeNewline:
			v = NewlineLogprob
		case i >= end:
			return nil, fmt.Errorf("token %d after the response %q is neither an end nor a newline", ids[i], response)
		}
		out[i] = &v
	}
	return out, nil
}

// scoreRequest is what the fake reads of a /v1/completions request.
type scoreRequest struct {
	Prompt    json.RawMessage `json:"prompt"`
	Echo      bool            `json:"echo"`
	MaxTokens *int            `json:"max_tokens"`
	Logprobs  *int            `json:"logprobs"`
	// PromptLogprobs is vLLM's extension: top log-probabilities per
	// prompt token (the prompt's own token always among them).
	PromptLogprobs *int `json:"prompt_logprobs"`
}

func (f *Server) complete(w http.ResponseWriter, r *http.Request) {
	if status, ok := f.FailCalls[int(f.ScoreCalls.Add(1))]; ok {
		w.WriteHeader(status)
		fmt.Fprint(w, `{"object":"error","message":"the engine is overloaded"}`)
		return
	}
	defer f.occupy()()
	failWith := func(status int, msg string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]any{"object": "error", "message": msg, "type": "BadRequestError", "code": status})
	}
	var req scoreRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		failWith(http.StatusBadRequest, "bad json")
		return
	}
	if msg := f.refusal(req); msg != "" {
		failWith(http.StatusBadRequest, msg)
		return
	}
	prompts, text, status, msg := f.prompts(req)
	if msg != "" {
		failWith(status, msg)
		return
	}
	var choices []map[string]any
	for i, ids := range prompts {
		lps, err := f.logprobs(ids)
		if text {
			lps, err = textLogprobs(len(ids)), nil
		}
		if err != nil {
			failWith(http.StatusBadRequest, err.Error())
			return
		}
		choices = append(choices, f.choice(i, ids, lps, req))
	}
	// vLLM does not promise the order of choices: reversed, index tells.
	slices.Reverse(choices)
	json.NewEncoder(w).Encode(map[string]any{"id": "cmpl-1", "object": "text_completion", "created": 1, "model": "fake-vllm",
		"choices": choices, "usage": map[string]int{"prompt_tokens": 1, "total_tokens": 1, "completion_tokens": 0}})
}

// occupy holds one of Capacity's slots (when set) for a request, counts
// it in flight and waits out Latency; the function it returns lets go.
func (f *Server) occupy() (release func()) {
	if f.Capacity != nil {
		f.Capacity <- struct{}{}
	}
	n := f.inflight.Add(1)
	for {
		m := f.MaxInflight.Load()
		if n <= m || f.MaxInflight.CompareAndSwap(m, n) {
			break
		}
	}
	if f.Latency > 0 {
		time.Sleep(f.Latency)
	}
	return func() {
		f.inflight.Add(-1)
		if f.Capacity != nil {
			<-f.Capacity
		}
	}
}

// refusal is why the server refuses the request's parameters, as the
// build it plays would, or "".
func (f *Server) refusal(req scoreRequest) string {
	switch {
	case f.Generates && (req.MaxTokens == nil || *req.MaxTokens < 1):
		return "max_tokens must be at least 1, got 0."
	case f.TopAtLeastOne && (req.Logprobs == nil || *req.Logprobs < 1 || req.PromptLogprobs == nil || *req.PromptLogprobs < 1):
		return "logprobs and prompt_logprobs must be at least 1"
	case !req.Echo || req.MaxTokens == nil || *req.MaxTokens > 1 || req.Logprobs == nil:
		return "this fake scores prompts: echo, max_tokens 0 or 1, and logprobs are required"
	}
	return ""
}

// prompts reads the request's prompts: a list of token-id lists, one
// list, or text (a capability probe, text true). A batch a SingleOnly
// server refuses, or a prompt longer than MaxModelLen, is refused with
// status and msg.
func (f *Server) prompts(req scoreRequest) (prompts [][]int, text bool, status int, msg string) {
	if err := json.Unmarshal(req.Prompt, &prompts); err != nil {
		var one []int
		var words string
		switch {
		case json.Unmarshal(req.Prompt, &one) == nil:
		case json.Unmarshal(req.Prompt, &words) == nil && words != "":
			for _, w := range strings.Fields(words) {
				one = append(one, f.id(w))
			}
			text = true
		default:
			return nil, false, http.StatusBadRequest, "prompt must be text or token ids"
		}
		prompts = [][]int{one}
	} else if f.SingleOnly && len(prompts) > 1 {
		return nil, false, cmp.Or(f.BatchStatus, http.StatusBadRequest), "multiple prompts in a batch is not currently supported"
	}
	for _, ids := range prompts {
		if f.MaxModelLen > 0 && len(ids)+*req.MaxTokens > f.MaxModelLen {
			return nil, false, http.StatusBadRequest, fmt.Sprintf("This model's maximum context length is %d tokens. However, you requested %d tokens (%d in the messages, %d in the completion). Please reduce the length of the messages or completion.",
				f.MaxModelLen, len(ids)+*req.MaxTokens, len(ids), *req.MaxTokens)
		}
	}
	return prompts, text, 0, ""
}

// textLogprobs is what a text prompt of n tokens scores: PromptLogprob a
// token after the first.
func textLogprobs(n int) []*float64 {
	lps := make([]*float64, n)
	for k := 1; k < n; k++ {
		v := PromptLogprob
		lps[k] = &v
	}
	return lps
}

// choice is the answer's i-th choice for the prompt ids, whose tokens
// score lps: with a generated token when the request asks for one, and
// the log-probabilities in the server's shape.
func (f *Server) choice(i int, ids []int, lps []*float64, req scoreRequest) map[string]any {
	prompt := len(ids)
	choice := map[string]any{"index": i, "text": "", "finish_reason": "length", "stop_reason": nil}
	tokens := make([]string, len(ids))
	for k, id := range ids {
		tokens[k] = f.word(id)
	}
	if *req.MaxTokens == 1 {
		generated := GeneratedLogprob
		ids, tokens, lps = append(ids, fakeEnd), append(tokens, "</s>"), append(lps, &generated)
		choice["text"] = "</s>"
	}
	switch {
	case f.PromptLogprobsOnRequest && req.PromptLogprobs == nil:
		// Only what was generated, if anything: an echo without the
		// prompt's log-probabilities.
		n := len(ids) - prompt
		choice["logprobs"] = map[string]any{"text_offset": make([]int, n), "token_logprobs": lps[len(lps)-n:], "tokens": tokens[len(tokens)-n:], "top_logprobs": make([]any, n)}
	case f.Shape == "prompt_logprobs":
		ids, tokens, lps := ids[:prompt], tokens[:prompt], lps[:prompt] // the prompt's only
		entries := make([]any, len(ids))
		for k, id := range ids {
			if lps[k] != nil {
				entry := map[string]any{strconv.Itoa(id): map[string]any{"logprob": *lps[k], "rank": 2, "decoded_token": tokens[k]}}
				if req.PromptLogprobs != nil && *req.PromptLogprobs >= 1 {
					// The top alternative, another token: only the
					// prompt's own token's entry counts.
					entry[strconv.Itoa(fakeAlternative)] = map[string]any{"logprob": -0.001, "rank": 1, "decoded_token": "<alt>"}
				}
				entries[k] = entry
			}
		}
		choice["logprobs"], choice["prompt_logprobs"] = nil, entries
	default:
		offsets := make([]int, len(ids))
		top := make([]any, len(ids))
		for k := 1; k < len(ids); k++ {
			top[k] = map[string]float64{tokens[k]: *lps[k]}
		}
		choice["logprobs"] = map[string]any{"text_offset": offsets, "token_logprobs": lps, "tokens": tokens, "top_logprobs": top}
	}
	return choice
}
