package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/popi-tui/popi-tui/store"
)

// Scoring a given response: the log-probability a model gives to a
// response it did not write, which preference accuracy needs. Only vLLM
// can (README, eval: accuracy), through two endpoints:
//
//   - POST /tokenize (no /v1) renders chat messages with the model's own
//     chat template and returns their token ids. The prompt P is the
//     messages with the generation prompt; the response's ids Y are what
//     follows P when the response is added as the final assistant message
//     (continue_final_message, no generation prompt).
//   - POST /v1/completions with the ids P+Y as the prompt, echo, no new
//     tokens and logprobs 0 returns the log-probability of every prompt
//     token (the first is null); the response's are those from len(P) on.
//
// Spans are found by token ids, never by text offsets (they drift).
//
// vLLM's versions differ in what they accept, so a request that is
// refused is asked again in the next of scoreRecipes, and what worked is
// remembered per backend.

// ErrCannotScore says a server cannot score given responses.
var ErrCannotScore = errors.New("cannot score given responses")

// negInfLogprob is how vLLM writes a log-probability of -inf in JSON.
const negInfLogprob = -9999.0

// tokenizeChat returns the token ids of msgs as the server's chat template
// renders them: ready for the model's answer (continueFinal false), or
// continuing the last message, an assistant's (continueFinal true).
func (b *openAIBackend) tokenizeChat(ctx context.Context, msgs []store.Message, continueFinal bool) ([]int, error) {
	return b.tokenizeRender(ctx, msgs, !continueFinal, continueFinal)
}

// tokenizeRender returns the token ids of msgs as the server's chat
// template renders them with or without the generation prompt, the last
// message continued or not; with neither, the conversation is finished,
// and what the template puts after its last message is there
// (score_eot.go).
func (b *openAIBackend) tokenizeRender(ctx context.Context, msgs []store.Message, addGenerationPrompt, continueFinal bool) ([]int, error) {
	req := map[string]any{"model": b.cfg.Model, "messages": msgs,
		"add_generation_prompt": addGenerationPrompt, "continue_final_message": continueFinal}
	body, err := b.request(ctx, "tokenize", true, "/tokenize", req)
	if err != nil {
		return nil, err
	}
	var out struct {
		Tokens []int `json:"tokens"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.Tokens == nil {
		return nil, b.redact.seal(&BackendError{Backend: b.cfg.Name, Status: http.StatusOK, Msg: "tokenize: the answer has no list of token ids: " + describeBody(body)})
	}
	if len(out.Tokens) == 0 {
		// llama.cpp's /tokenize reads text ("content") and ignores messages.
		return nil, &BackendError{Backend: b.cfg.Name, Status: http.StatusOK, Msg: "tokenize: no tokens for chat messages (the server does not apply the chat template in /tokenize)"}
	}
	return out.Tokens, nil
}

// scoreSeq is a sequence of token ids to score from index From on.
type scoreSeq struct {
	IDs  []int
	From int
}

// scoreSequences returns, for each sequence, the sum of the log-
// probabilities of its tokens from From on, given the tokens before them,
// or why it could not be scored (errs[i]; errs is nil when all were). The
// sequences go in one request (vLLM takes a list of token-id lists). When
// the server refuses that request (see refusesBatch), each sequence is
// asked on its own, concurrently: a server that refuses batches is then
// asked one at a time from then on, and one sequence the server refuses
// (longer than the model's context, say) does not take the others down
// with it. A server that is down, overloaded or refusing the key is not
// asked more often: that error is every sequence's.
func (b *openAIBackend) scoreSequences(ctx context.Context, seqs []scoreSeq) (sums []float64, errs []error) {
	b.mu.Lock()
	single := b.scoreSingly
	b.mu.Unlock()
	if len(seqs) == 1 || single {
		return b.scoreEach(ctx, seqs)
	}
	sums, err := b.scoreBatch(ctx, seqs)
	if err == nil {
		return sums, nil
	}
	if ctx.Err() != nil || !refusesBatch(err) {
		return nil, repeatErr(err, len(seqs))
	}
	sums, errs = b.scoreEach(ctx, seqs)
	if errs == nil {
		b.mu.Lock()
		b.scoreSingly = true // the sequences were fine: the batch was not
		b.mu.Unlock()
	}
	return sums, errs
}

// scoreEach asks for each sequence in a request of its own, all at once.
func (b *openAIBackend) scoreEach(ctx context.Context, seqs []scoreSeq) ([]float64, []error) {
	sums := make([]float64, len(seqs))
	errs := make([]error, len(seqs))
	var wg sync.WaitGroup
	for i, s := range seqs {
		wg.Go(func() {
			var got []float64
			if got, errs[i] = b.scoreBatch(ctx, []scoreSeq{s}); errs[i] == nil {
				sums[i] = got[0]
			}
		})
	}
	wg.Wait()
	if errors.Join(errs...) == nil {
		return sums, nil
	}
	return sums, errs
}

// refusesBatch tells an answer that may be about the batch itself (or
// one of its sequences) from a server that is down, overloaded, rate-
// limiting or refusing the key, which asking more often cannot help.
// FastAPI answers a request body it cannot validate with 422, and a
// server without batch support may say 501.
func refusesBatch(err error) bool {
	if errors.Is(err, errBatchShape) {
		return true
	}
	var be *BackendError
	if !errors.As(err, &be) {
		return false
	}
	switch be.Status {
	case http.StatusOK, http.StatusBadRequest, http.StatusNotFound, http.StatusMethodNotAllowed,
		http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity, http.StatusNotImplemented:
		return true
	}
	return false
}

// repeatErr is err for each of n sequences.
func repeatErr(err error, n int) []error {
	errs := make([]error, n)
	for i := range errs {
		errs[i] = err
	}
	return errs
}

// errBatchShape is an answer to a batch that does not match it.
var errBatchShape = errors.New("the answer does not have one choice per sequence")

// completionScores is the part of a completions answer scoring reads:
// per choice, the echoed prompt's token log-probabilities, in the OpenAI
// shape (logprobs.token_logprobs) or vLLM's prompt_logprobs extension (a
// list of null, then per token an object keyed by the token id).
type completionScores struct {
	Choices []struct {
		Index    int `json:"index"`
		Logprobs *struct {
			TokenLogprobs []*float64 `json:"token_logprobs"`
		} `json:"logprobs"`
		PromptLogprobs []map[string]struct {
			Logprob *float64 `json:"logprob"`
		} `json:"prompt_logprobs"`
	} `json:"choices"`
}

// scoreRecipe is one way of asking for a prompt's log-probabilities.
type scoreRecipe struct {
	// maxTokens is 0 where the server echoes without generating; 1 where
	// it must generate a token (some vLLM builds refuse max_tokens 0): the
	// generated token's log-probability comes after the prompt's and is not
	// counted.
	maxTokens int
	// promptLogprobs also asks for vLLM's prompt_logprobs, for a server
	// that fills them only on request.
	promptLogprobs bool
	// top is how many alternatives per token are asked for (logprobs,
	// prompt_logprobs): 0 is all scoring needs (the token's own log-
	// probability comes anyway), 1 for a server that refuses 0.
	top int
}

var scoreRecipes = []scoreRecipe{
	{maxTokens: 0},
	{maxTokens: 1},
	{maxTokens: 1, promptLogprobs: true},
	{maxTokens: 1, promptLogprobs: true, top: 1},
}

// errNoPromptLogprobs is an answer without the prompt's log-probabilities.
var errNoPromptLogprobs = errors.New("the answer has no log-probabilities of the prompt's tokens (the server does not echo them)")

// scoreBatch scores seqs in one request, in the recipe the server took
// last, trying the next ones when it is refused (HTTP 400) or answered
// without the prompt's log-probabilities. When every recipe fails the
// first one's error says why.
func (b *openAIBackend) scoreBatch(ctx context.Context, seqs []scoreSeq) ([]float64, error) {
	b.mu.Lock()
	first := b.scoreRecipe
	b.mu.Unlock()
	var firstErr error
	for r := first; r < len(scoreRecipes); r++ {
		sums, err := b.scoreWith(ctx, seqs, scoreRecipes[r])
		if err == nil {
			if r != first {
				b.mu.Lock()
				b.scoreRecipe = max(b.scoreRecipe, r)
				b.mu.Unlock()
			}
			return sums, nil
		}
		if firstErr == nil {
			firstErr = err
		}
		var be *BackendError
		refused := errors.As(err, &be) && be.Status == http.StatusBadRequest &&
			!tooLong(be.Msg) // too long in any recipe
		if !refused && !errors.Is(err, errNoPromptLogprobs) {
			return nil, err
		}
	}
	return nil, firstErr
}

// tooLong says whether a refusal is about the prompt's length, which no
// other recipe changes: vLLM's "maximum context length" (v0) or "maximum
// model length" (v1).
func tooLong(msg string) bool {
	return strings.Contains(msg, "context length") || strings.Contains(msg, "maximum model length")
}

func (b *openAIBackend) scoreWith(ctx context.Context, seqs []scoreSeq, recipe scoreRecipe) ([]float64, error) {
	var prompt any
	if len(seqs) == 1 {
		prompt = seqs[0].IDs
	} else {
		ids := make([][]int, len(seqs))
		for i, s := range seqs {
			ids[i] = s.IDs
		}
		prompt = ids
	}
	req := map[string]any{"model": b.cfg.Model, "prompt": prompt, "echo": true, "max_tokens": recipe.maxTokens, "logprobs": recipe.top, "temperature": 0}
	if recipe.promptLogprobs {
		req["prompt_logprobs"] = recipe.top
	}
	body, err := b.request(ctx, "score", false, "/completions", req)
	if err != nil {
		return nil, err
	}
	var out completionScores
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, b.redact.seal(&BackendError{Backend: b.cfg.Name, Status: http.StatusOK, Msg: "score: malformed answer: " + describeBody(body)})
	}
	if len(out.Choices) != len(seqs) {
		if len(seqs) > 1 {
			return nil, errBatchShape
		}
		return nil, &BackendError{Backend: b.cfg.Name, Status: http.StatusOK, Msg: fmt.Sprintf("score: %d choices in the answer, want 1", len(out.Choices))}
	}
	sort.SliceStable(out.Choices, func(i, j int) bool { return out.Choices[i].Index < out.Choices[j].Index })
	sums := make([]float64, len(seqs))
	for i, s := range seqs {
		c := out.Choices[i]
		if c.Index != i && len(seqs) > 1 {
			return nil, errBatchShape
		}
		lps := make([]*float64, 0, len(s.IDs))
		switch {
		case c.Logprobs != nil && len(c.Logprobs.TokenLogprobs) >= len(s.IDs):
			lps = c.Logprobs.TokenLogprobs
		case len(c.PromptLogprobs) > 0:
			for k, entry := range c.PromptLogprobs {
				if k >= len(s.IDs) {
					break
				}
				if e, ok := entry[strconv.Itoa(s.IDs[k])]; ok {
					lps = append(lps, e.Logprob)
				} else {
					lps = append(lps, nil)
				}
			}
		default:
			return nil, &BackendError{Backend: b.cfg.Name, Status: http.StatusOK, Msg: "score: " + errNoPromptLogprobs.Error(), Err: errNoPromptLogprobs}
		}
		sum, err := sumFrom(lps, s)
		if err != nil {
			return nil, &BackendError{Backend: b.cfg.Name, Status: http.StatusOK, Msg: "score: " + err.Error()}
		}
		sums[i] = sum
	}
	return sums, nil
}

// sumFrom adds the log-probabilities of s's tokens from s.From on. The
// list covers the prompt's tokens first (a server that generated one token
// anyway adds it at the end, and it is not counted).
func sumFrom(lps []*float64, s scoreSeq) (float64, error) {
	if len(lps) < len(s.IDs) {
		return 0, fmt.Errorf("log-probabilities of %d tokens for a prompt of %d", len(lps), len(s.IDs))
	}
	sum := 0.0
	for k := s.From; k < len(s.IDs); k++ {
		if lps[k] == nil {
			return 0, fmt.Errorf("no log-probability for token %d of %d", k, len(s.IDs))
		}
		sum += *lps[k]
	}
	return sum, nil
}

// request posts a JSON request to path on a replica (under /v1, or at the
// server's root when root), retrying temporary failures on another
// replica like Complete does, and returns the body of a 200 answer.
func (b *openAIBackend) request(ctx context.Context, what string, root bool, path string, req any) ([]byte, error) {
	payload, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	var last *replica
	for attempt := 1; ; attempt++ {
		r, err := b.acquire(ctx, last)
		if err != nil {
			return nil, err
		}
		last = r
		select {
		case b.global <- struct{}{}:
		case <-ctx.Done():
			b.release(r, false, nil)
			return nil, ctx.Err()
		}
		body, err := b.postOnce(ctx, r, what, root, path, payload)
		<-b.global
		if err != nil && ctx.Err() != nil {
			b.release(r, false, nil)
			return nil, ctx.Err()
		}
		b.release(r, true, err)
		if err == nil {
			return body, nil
		}
		var be *BackendError
		if !errors.As(err, &be) || !be.Temporary || attempt >= b.maxAttempts {
			if attempt > 1 && errors.As(err, &be) {
				be.Msg = fmt.Sprintf("%s (after %d attempts)", be.Msg, attempt)
			}
			return nil, err
		}
		select {
		case <-time.After(b.backoff(attempt, be.RetryAfter)):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// postOnce is one attempt, bounded by the backend's timeout (the answer
// is not streamed: the timeout is the wait for all of it) and deadline.
func (b *openAIBackend) postOnce(ctx context.Context, r *replica, what string, root bool, path string, payload []byte) ([]byte, error) {
	ctx, cancel := b.bounded(ctx)
	defer cancel()
	url := r.baseURL + path
	if root {
		url = serverRoot(r.baseURL) + path
	}
	body, err := b.post(ctx, r, what, url, payload)
	var be *BackendError
	if !root && errors.As(err, &be) && be.Status == http.StatusNotFound {
		be.Msg += didYouMeanV1(r)
	}
	return body, err
}

// bounded is ctx bounded by the backend's deadline and timeout: the bound
// of a request whose answer is not streamed, or of a check.
func (b *openAIBackend) bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, stop := b.withDeadline(ctx)
	ctx, cancel := context.WithTimeout(ctx, b.cfg.Timeout)
	return ctx, func() { cancel(); stop() }
}

// post sends a JSON request and returns the body of a 200 answer, or a
// BackendError saying what went wrong and whether it is worth another try.
func (b *openAIBackend) post(ctx context.Context, r *replica, what, url string, payload []byte) ([]byte, error) {
	status, header, body, err := b.send(ctx, r, http.MethodPost, url, payload)
	if err != nil {
		be := &BackendError{Backend: b.cfg.Name, Msg: fmt.Sprintf("%s: cannot reach the server: %v", what, rootCause(err)), Temporary: true, Err: err}
		switch {
		case pastDeadline(ctx):
			be.Msg, be.Temporary = what+": "+b.deadlineMsg(), false
		case errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil:
			be.Msg = fmt.Sprintf("%s: no answer for %s (timeout)", what, b.cfg.Timeout)
		}
		return nil, b.redact.seal(be)
	}
	if status != http.StatusOK {
		be := &BackendError{Backend: b.cfg.Name, Status: status, Msg: what + ": " + describeBody(body)}
		if status == http.StatusTooManyRequests || status == http.StatusRequestTimeout || status >= 500 {
			be.Temporary = true
			be.RetryAfter = parseRetryAfter(header.Get("Retry-After"), time.Now())
		}
		return nil, b.redact.seal(be)
	}
	return body, nil
}
