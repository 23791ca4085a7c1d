package engine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"

	"github.com/popi-tui/popi-tui/store"
)

// Scoring the two responses of a preference pair, for preference accuracy
// (engine/eval): every tokenization the pair needs at once, then one
// scoring request per response, each scoring it after every prompt.

// CheckScoring asks the server to tokenize and score a tiny conversation:
// a server that cannot (llama.cpp, Ollama, an older vLLM) is refused here
// with an error wrapping ErrCannotScore and the reason, before a run
// starts. A server that is down, overloaded or refusing the key says so
// instead: that is worth fixing and trying again, not a verdict. With
// opt.EndOfTurn the chat template must also put a token after a finished
// assistant message, found as ScorePair finds it.
func (s *Server) CheckScoring(ctx context.Context, opt ScoreOptions) error {
	ob, name := s.ob, s.b.cfg.Name
	if ob.servesLlamaCpp(ctx) {
		return fmt.Errorf("backend %s %w: llama.cpp's llama-server cannot return the log-probabilities of a given prompt "+
			"(its /v1/completions ignores echo and scores only the tokens it generates); preference accuracy needs vLLM", name, ErrCannotScore)
	}
	p, err := ob.tokenizeChat(ctx, probeMessages, false)
	var full, y []int
	if err == nil {
		full, err = ob.tokenizeChat(ctx, append(slices.Clone(probeMessages), store.Message{Role: "assistant", Content: probeResponse}), true)
	}
	if err == nil {
		y, err = responseTokens(p, full)
	}
	if err == nil {
		// Two sequences, as a pair's requests carry: a server that scores
		// one but refuses a batch is asked one at a time from the start.
		seq := scoreSeq{IDs: append(p, y...), From: len(p)}
		_, errs := ob.scoreSequences(ctx, []scoreSeq{seq, seq})
		err = joinDistinct(errs)
	}
	switch {
	case err == nil && opt.EndOfTurn:
		_, err = s.learnEndOfTurn(ctx)
		if err == nil || errors.Is(err, ErrCannotScore) || ctx.Err() != nil {
			return err
		}
		return fmt.Errorf("backend %s: checking what its chat template puts after a finished answer: %w", name, err)
	case err == nil || ctx.Err() != nil:
		return err
	case !refusesScoring(err):
		return fmt.Errorf("backend %s: checking that it can score given responses: %w", name, err)
	}
	return fmt.Errorf("backend %s %w: %v; preference accuracy needs vLLM (POST /tokenize, and /v1/completions with echo and prompt log-probabilities): llama.cpp's server and Ollama cannot", name, ErrCannotScore, err)
}

// servesLlamaCpp says whether a replica of b says it is llama-server,
// which is refused scoring by what it is rather than by a probe whose
// failure would name a symptom (its /tokenize ignores chat messages).
func (b *openAIBackend) servesLlamaCpp(ctx context.Context) bool {
	r, err := b.acquire(ctx, nil)
	if err != nil {
		return false // the probe that follows says why
	}
	defer b.release(r, false, nil)
	return b.kindOf(ctx, r) == serverLlamaCpp
}

// joinDistinct joins errors, each message once: the same sequence
// scored twice fails twice for one reason.
func joinDistinct(errs []error) error {
	var out []error
	seen := map[string]bool{}
	for _, err := range errs {
		if err != nil && !seen[err.Error()] {
			seen[err.Error()] = true
			out = append(out, err)
		}
	}
	return errors.Join(out...)
}

// refusesScoring tells a server that cannot score (it refused or did not
// understand the requests, or answered without what scoring needs) from
// one that is down, overloaded or refusing the API key.
func refusesScoring(err error) bool {
	var be *BackendError
	if !errors.As(err, &be) {
		return true // the tokenizations do not line up
	}
	switch be.Status {
	case http.StatusOK, http.StatusBadRequest, http.StatusNotFound, http.StatusMethodNotAllowed,
		http.StatusUnprocessableEntity, http.StatusNotImplemented:
		return true
	}
	return false
}

// PairScores are a pair's two responses scored after each of several
// prompts.
type PairScores struct {
	// PromptTokens[i] is the length of prompt i in tokens, as the chat
	// template renders it ready for the answer.
	PromptTokens []int
	// Chosen[i] and Rejected[i] are the log-probabilities of the two
	// responses after prompt i (the sums over their tokens).
	Chosen, Rejected []float64
	// Tokens are how many tokens each response's sum is over, the chosen
	// then the rejected (the end of turn included when counted).
	Tokens [2]int
	// Errs[i] says why the responses could not be scored after prompt i
	// (nil when they were). After prompt 0, the one the responses' tokens
	// are read after, they always were: otherwise ScorePair returns the
	// error.
	Errs []error
	// Requests counts the tokenizations and scoring requests sent.
	Requests int
}

// ScorePair scores the chosen and the rejected response after each of
// prompts (chat messages ready for the answer). A response's token ids
// come from one tokenization, after prompts[0] (the none prompt, which is
// the reference when the model is its own), and are used after every
// prompt, so that every score is of the same tokens; with opt.EndOfTurn
// they end with the end-of-turn token (score_eot.go). Another server (a
// reference model of its own) tokenizes for itself, in its own ScorePair.
// Every tokenization goes at once, then the two scoring requests, one per
// response. A prompt the server refuses (longer than the model's context,
// say) fails alone, in Errs; prompts[0] failing fails the pair.
func (s *Server) ScorePair(ctx context.Context, prompts [][]store.Message, chosen, rejected string, opt ScoreOptions) (PairScores, error) {
	b := s.ob
	tok, err := b.tokenizePair(ctx, prompts, [2]string{chosen, rejected}, opt.EndOfTurn)
	res := PairScores{Requests: tok.requests}
	if err != nil {
		return res, err
	}
	ids := tok.prompts
	var resp [2][]int
	for k := range resp {
		y, err := responseTokens(ids[0], tok.continued[k])
		if err == nil && opt.EndOfTurn {
			y, err = s.withEndOfTurn(ctx, ids[0], tok.continued[k], tok.finished[k])
		}
		if err != nil {
			return PairScores{}, &BackendError{Backend: b.cfg.Name, Msg: fmt.Sprintf("tokenize the %s response: %v", []string{"chosen", "rejected"}[k], err), Err: err}
		}
		resp[k] = y
		res.Tokens[k] = len(y)
	}

	// The two scoring requests: one per response, after every prompt.
	var scores [2][]float64
	var seqErrs [2][]error
	var wg sync.WaitGroup
	for k := range resp {
		seqs := make([]scoreSeq, len(ids))
		for i, p := range ids {
			seq := make([]int, 0, len(p)+len(resp[k]))
			seqs[i] = scoreSeq{IDs: append(append(seq, p...), resp[k]...), From: len(p)}
		}
		wg.Go(func() { scores[k], seqErrs[k] = b.scoreSequences(ctx, seqs) })
	}
	wg.Wait()
	res.Requests += 2
	// Without prompt 0, nothing can be scored; without another prompt's
	// own scores, only that prompt fails.
	if err := errors.Join(errAt(seqErrs[0], 0), errAt(seqErrs[1], 0)); err != nil {
		return res, err
	}
	res.PromptTokens = make([]int, len(ids))
	res.Errs = make([]error, len(ids))
	for i, p := range ids {
		res.PromptTokens[i] = len(p)
		if i > 0 {
			res.Errs[i] = errors.Join(errAt(seqErrs[0], i), errAt(seqErrs[1], i))
		}
	}
	res.Chosen, res.Rejected = scores[0], scores[1]
	return res, nil
}

// pairTokens are a pair's tokenizations: every prompt ready for the
// answer, and the reference conversation continued by each response (and
// finished, for the end of turn).
type pairTokens struct {
	prompts             [][]int
	continued, finished [2][]int
	requests            int
}

// tokenizePair tokenizes, all at once, every prompt (ready for the
// answer) and the reference conversation continued by each response, and
// with finished, also ended by each response.
func (b *openAIBackend) tokenizePair(ctx context.Context, prompts [][]store.Message, responses [2]string, finished bool) (pairTokens, error) {
	t := pairTokens{prompts: make([][]int, len(prompts)), requests: len(prompts) + 2}
	if finished {
		t.requests += 2
	}
	var wg sync.WaitGroup
	errs := make([]error, t.requests)
	for i, p := range prompts {
		wg.Go(func() { t.prompts[i], errs[i] = b.tokenizeChat(ctx, p, false) })
	}
	for k, text := range responses {
		withResponse := append(slices.Clone(prompts[0]), store.Message{Role: "assistant", Content: text})
		wg.Go(func() { t.continued[k], errs[len(prompts)+k] = b.tokenizeRender(ctx, withResponse, false, true) })
		if finished {
			wg.Go(func() { t.finished[k], errs[len(prompts)+2+k] = b.tokenizeRender(ctx, withResponse, false, false) })
		}
	}
	wg.Wait()
	return t, errors.Join(errs...)
}

// errAt is errs[i], or nil when errs is nil (nothing failed).
func errAt(errs []error, i int) error {
	if errs == nil {
		return nil
	}
	return errs[i]
}

// responseTokens is what the conversation continued by the response adds
// to the prompt: the response's tokens. The continued conversation must
// start with the prompt's tokens, or the two are not comparable.
func responseTokens(prompt, continued []int) ([]int, error) {
	if len(continued) <= len(prompt) || !slices.Equal(continued[:len(prompt)], prompt) {
		return nil, fmt.Errorf("the conversation with the response (%d tokens) does not extend the prompt (%d tokens) token for token", len(continued), len(prompt))
	}
	return continued[len(prompt):], nil
}
