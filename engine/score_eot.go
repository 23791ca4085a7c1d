package engine

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/popi-tui/popi-tui/store"
)

// The end of turn: POPI's trainer scores a response with the tokenizer's
// EOS appended (for Llama 3 Instruct, <|eot_id|>, the end of an assistant
// turn), so the model is also asked whether the answer should stop there.
// popi-tui finds that token through the server's own chat template:
// the conversation rendered with the response continued ends where the
// response does; rendered finished (no generation prompt, not continued)
// it goes on with whatever the template puts after a finished assistant
// message. The first token the finished render adds is the end of turn
// (ChatML's <|im_end|>, not the newline after it).

// ScoreOptions say what a response's log-probability counts.
type ScoreOptions struct {
	// EndOfTurn counts, after the response's own tokens, the end-of-turn
	// token the chat template puts after a finished assistant message.
	EndOfTurn bool
}

// endOfTurn is what a server's chat template puts after a finished
// assistant message, learnt from a probe conversation: the end-of-turn
// token and how many tokens follow it.
type endOfTurn struct {
	id, after int
}

// eotProbe learns a server's endOfTurn once.
type eotProbe struct {
	mu    sync.Mutex
	known bool
	eot   endOfTurn
}

// probeMessages is the tiny conversation scoring checks are made with.
var probeMessages = []store.Message{{Role: "user", Content: "Say hello."}}

const probeResponse = "Hello there."

// learnEndOfTurn renders the probe conversation continued and finished,
// once per Server, and returns what the finished render adds after the
// response. A template that adds nothing, or whose finished render does
// not extend the continued one on the probe, leaves the end of turn
// unknowable: that is an error wrapping ErrCannotScore.
func (s *Server) learnEndOfTurn(ctx context.Context) (endOfTurn, error) {
	s.eot.mu.Lock()
	defer s.eot.mu.Unlock()
	if s.eot.known {
		return s.eot.eot, nil
	}
	msgs := append(slices.Clone(probeMessages), store.Message{Role: "assistant", Content: probeResponse})
	continued, err := s.ob.tokenizeRender(ctx, msgs, false, true)
	var finished []int
	if err == nil {
		finished, err = s.ob.tokenizeRender(ctx, msgs, false, false)
	}
	if err != nil {
		return endOfTurn{}, err
	}
	if !extends(finished, continued) {
		return endOfTurn{}, fmt.Errorf("backend %s %w with the end of turn: its chat template renders a finished assistant message (%d tokens) other than the message continued (%d tokens) followed by more tokens, so the end-of-turn token cannot be found; score without it (eval --no-eot)",
			s.b.cfg.Name, ErrCannotScore, len(finished), len(continued))
	}
	s.eot.eot = endOfTurn{id: finished[len(continued)], after: len(finished) - len(continued) - 1}
	s.eot.known = true
	return s.eot.eot, nil
}

// extends says whether long is short followed by at least one token.
func extends(long, short []int) bool {
	return len(long) > len(short) && slices.Equal(long[:len(short)], short)
}

// withEndOfTurn is the response's tokens followed by the end of turn,
// from the prompt and the conversation rendered with the response
// continued and finished. Where the finished render extends the continued
// one (Llama 3, ChatML, Mistral, Gemma), the end of turn is the first
// token it adds. Where it does not (a template that trims the final
// message, or whose end of turn merges with the response's last
// characters), the response is read from the finished render itself: the
// tokens after the prompt, up to and including the end-of-turn token the
// probe found, which must be where the probe says it is.
func (s *Server) withEndOfTurn(ctx context.Context, prompt, continued, finished []int) ([]int, error) {
	y, err := responseTokens(prompt, continued)
	if err != nil {
		return nil, err
	}
	if extends(finished, continued) {
		return append(slices.Clip(y), finished[len(continued)]), nil
	}
	eot, err := s.learnEndOfTurn(ctx)
	if err != nil {
		return nil, err
	}
	end := len(finished) - eot.after // just after the end of turn
	if end-1 <= len(prompt) || !slices.Equal(finished[:len(prompt)], prompt) || finished[end-1] != eot.id {
		return nil, fmt.Errorf("the finished conversation (%d tokens) neither extends the conversation continued by the response (%d tokens) nor ends with the end of turn where the chat template puts it: score without the end of turn (eval --no-eot)",
			len(finished), len(continued))
	}
	return slices.Clone(finished[len(prompt):end]), nil
}
