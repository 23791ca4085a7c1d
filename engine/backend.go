package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/popi-tui/popi-tui/store"
)

// The offline backends that are always there, whatever the configuration.
const (
	HeuristicName = "heuristic" // the feature-contrast summarizer
	ReplayName    = "replay"    // replays a held-out pair's own responses
)

// Completion is a model's answer to one request.
type Completion struct {
	Text             string
	FinishReason     string // "stop", "length", …
	PromptTokens     int
	CompletionTokens int
	TokensEstimated  bool // the counts are estimates, not the server's
	Latency          time.Duration
	TimeToFirstToken time.Duration
	Attempts         int
	Replica          string // base URL that answered, without its user:pass@
}

// Delta is a piece of streamed text. Reset says that the text received so
// far is void: the request is being tried again from the start.
type Delta struct {
	Text  string
	Reset bool
}

// chatBackend is a backend that completes chat messages: a model server.
type chatBackend interface {
	Config() BackendConfig
	// Complete sends messages and returns the answer; onDelta, when not
	// nil, receives the text as it streams in.
	Complete(ctx context.Context, msgs []store.Message, onDelta func(Delta)) (Completion, error)
	// Tokenize counts the tokens of text: exact when the server can tell,
	// an estimate otherwise.
	Tokenize(ctx context.Context, text string) (n int, exact bool, err error)
}

// BackendError is a request a backend could not answer: it names the
// backend and, when there was one, the HTTP status.
type BackendError struct {
	Backend string
	Status  int // HTTP status; 0 when the request got no answer
	Msg     string
	// Temporary errors (no connection, timeouts, 429, 5xx) are retried.
	Temporary  bool
	RetryAfter time.Duration // asked for by the server (429, 503)
	Err        error
}

// Error says what went wrong. The message was redacted when the error was
// made (redactor.seal, which knows the keys); credentials of any value are
// taken out again here, in case a message was made without it.
func (e *BackendError) Error() string {
	if e.Status != 0 {
		return redactCredentials(fmt.Sprintf("backend %s: HTTP %d: %s", e.Backend, e.Status, e.Msg))
	}
	return redactCredentials(fmt.Sprintf("backend %s: %s", e.Backend, e.Msg))
}

func (e *BackendError) Unwrap() error { return e.Err }
