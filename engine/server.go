package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/popi-tui/popi-tui/store"
)

// What evaluation (engine/eval) asks of the engine beyond summaries and
// generations: a model server to send its own messages to (the judge) or
// to score given responses with (preference accuracy).

// ErrOffline says a backend is the offline engine, not a model server.
var ErrOffline = errors.New("it is the offline engine, not a model server")

// Server is a configured model server, asked directly: it shares the
// engine's limits, replicas and retries with every other request.
type Server struct {
	b   *backend
	ob  *openAIBackend
	eot eotProbe // what its chat template puts after a finished message
}

// Server finds the backend named name that plays role, ready to be asked
// (its API key is set). The offline engine is refused with an error
// wrapping ErrOffline.
func (e *Engine) Server(name, role string) (*Server, error) {
	b, err := e.backend(name, role)
	if err != nil {
		return nil, err
	}
	if err := b.ready(); err != nil {
		return nil, err
	}
	ob, ok := b.chat.(*openAIBackend)
	if !ok {
		return nil, fmt.Errorf("backend %s: %w", name, ErrOffline)
	}
	return &Server{b: b, ob: ob}, nil
}

// Config is the server's configuration.
func (s *Server) Config() BackendConfig { return s.b.cfg }

// Complete sends messages and returns the answer, streaming it to onDelta
// when not nil, as Generate does, but stores nothing.
func (s *Server) Complete(ctx context.Context, msgs []store.Message, onDelta func(Delta)) (Completion, error) {
	return s.ob.Complete(ctx, msgs, onDelta)
}
