package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/popi-tui/popi-tui/store"
)

// Replicas that fail this many times in a row are set aside for a while.
const (
	replicaFailLimit = 3
	replicaAsideFor  = 30 * time.Second
)

// openAIBackend talks to one OpenAI-compatible model served by one or
// more replicas.
type openAIBackend struct {
	cfg         BackendConfig
	apiKey      string    // from the environment; never stored
	redact      *redactor // takes the secrets out of what servers say
	maxAttempts int
	global      chan struct{} // the engine-wide limit on requests in flight
	notify      func(string)  // notices: a replica set aside, back in use

	mu       sync.Mutex
	replicas []*replica
	wake     chan struct{} // closed (and replaced) whenever a slot frees

	// backoff is the wait before attempt n+1 (n ≥ 1); tests shorten it.
	backoff func(n int, retryAfter time.Duration) time.Duration

	tokenizeKnown bool // whether the server counts tokens has been learnt
	canTokenize   bool
	scoreSingly   bool // the server scores one sequence per request, not batches
	scoreRecipe   int  // the first of scoreRecipes the server has answered
	// truncationWarned: a cut prompt was said (truncation.go), once.
	truncationWarned bool
}

type replica struct {
	baseURL    string // ends in /v1
	shown      string // baseURL fit to print: without user:pass@
	client     *openai.Client
	http       *http.Client
	inflight   int
	fails      int  // in a row
	aside      bool // set aside (until asideUntil), and said to be
	asideUntil time.Time
	kind       serverKind // the server software, once kindKnown (serverkind.go)
	kindKnown  bool
}

func newOpenAIBackend(cfg BackendConfig, maxAttempts int, global chan struct{}, apiKey string, redact *redactor, notify func(string)) *openAIBackend {
	if cfg.Deadline <= 0 {
		cfg.Deadline = DefaultDeadline
	}
	b := &openAIBackend{cfg: cfg, apiKey: apiKey, redact: redact, maxAttempts: maxAttempts, global: global, notify: notify, wake: make(chan struct{}), backoff: defaultBackoff}
	for _, u := range cfg.BaseURLs {
		hc := &http.Client{Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConnsPerHost:   cfg.Concurrency,
			IdleConnTimeout:       90 * time.Second,
			ResponseHeaderTimeout: cfg.Timeout,
		}}
		oc := openai.DefaultConfig(apiKey)
		oc.BaseURL = strings.TrimSuffix(u, "/")
		oc.HTTPClient = headerRecorder{hc}
		b.replicas = append(b.replicas, &replica{baseURL: oc.BaseURL, shown: RedactURL(oc.BaseURL), client: openai.NewClientWithConfig(oc), http: hc})
	}
	return b
}

func (b *openAIBackend) Config() BackendConfig { return b.cfg }

// defaultBackoff waits exponentially longer between attempts, with full
// jitter so that many clients do not retry in step; a server's
// Retry-After wins when it asks for longer.
func defaultBackoff(n int, retryAfter time.Duration) time.Duration {
	d := 20 * time.Second
	if n <= 6 { // 500ms·2⁵ is past the cap already; larger shifts overflow
		d = min(500*time.Millisecond<<(n-1), d)
	}
	d = time.Duration(rand.Int64N(int64(d)) + 1)
	return max(d, min(retryAfter, time.Minute))
}

// acquire takes a slot on the replica with the fewest requests in flight
// (then the fewest recent failures), waiting while all are full. Replicas
// set aside are not used, unless every replica is; avoid (the replica a
// retry follows) is used only when no other has room.
func (b *openAIBackend) acquire(ctx context.Context, avoid *replica) (*replica, error) {
	better := func(r, best *replica) bool {
		if best == nil {
			return true
		}
		if (r == avoid) != (best == avoid) {
			return best == avoid
		}
		if r.inflight != best.inflight {
			return r.inflight < best.inflight
		}
		return r.fails < best.fails
	}
	for {
		b.mu.Lock()
		now := time.Now()
		allAside := true
		for _, r := range b.replicas {
			allAside = allAside && now.Before(r.asideUntil)
		}
		var best *replica
		for _, r := range b.replicas {
			if r.inflight >= b.cfg.Concurrency || (!allAside && now.Before(r.asideUntil)) {
				continue
			}
			if better(r, best) {
				best = r
			}
		}
		if best != nil {
			best.inflight++
			b.mu.Unlock()
			return best, nil
		}
		wake := b.wake
		b.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// release gives the slot back. With a verdict it keeps the replica's
// record: a replica that fails replicaFailLimit times in a row is set
// aside (again each time its rest ends and it fails once more); a
// cancelled request says nothing about the replica.
func (b *openAIBackend) release(r *replica, verdict bool, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	r.inflight--
	var be *BackendError
	switch {
	case !verdict:
	case err == nil:
		if r.aside && b.notify != nil {
			b.notify(fmt.Sprintf("backend %s: replica %s answers again", b.cfg.Name, r.shown))
		}
		r.fails, r.aside, r.asideUntil = 0, false, time.Time{}
	case errors.As(err, &be) && be.Temporary && be.Status != http.StatusTooManyRequests:
		// Busy (429) is not broken; other temporary failures count.
		r.fails++
		now := time.Now()
		if r.fails >= replicaFailLimit && len(b.replicas) > 1 && !now.Before(r.asideUntil) {
			r.aside, r.asideUntil = true, now.Add(replicaAsideFor)
			if b.notify != nil {
				b.notify(fmt.Sprintf("backend %s: replica %s set aside for %s after %d failures in a row (%v)",
					b.cfg.Name, r.shown, replicaAsideFor, r.fails, err))
			}
		}
	}
	close(b.wake)
	b.wake = make(chan struct{})
}

// Complete sends one chat request, retrying temporary failures on another
// replica when there is one. Only an attempt holds a slot of the engine-
// wide limit: waiting for a replica, or for a backoff to pass, does not.
func (b *openAIBackend) Complete(ctx context.Context, msgs []store.Message, onDelta func(Delta)) (Completion, error) {
	delivered := false
	var last *replica
	for attempt := 1; ; attempt++ {
		r, err := b.acquire(ctx, last)
		if err != nil {
			return Completion{}, err
		}
		last = r
		select {
		case b.global <- struct{}{}:
		case <-ctx.Done():
			b.release(r, false, nil)
			return Completion{}, ctx.Err()
		}
		c, err := b.once(ctx, r, msgs, func(d Delta) {
			delivered = true
			if onDelta != nil {
				onDelta(d)
			}
		})
		<-b.global
		if err != nil && ctx.Err() != nil { // the caller gave up: no verdict on the replica
			b.release(r, false, nil)
			return Completion{}, ctx.Err()
		}
		b.release(r, true, err)
		if err == nil {
			c.Attempts = attempt
			b.checkTruncation(ctx, r, msgs, c)
			return c, nil
		}
		var be *BackendError
		if !errors.As(err, &be) || !be.Temporary || attempt >= b.maxAttempts {
			if attempt > 1 && errors.As(err, &be) {
				be.Msg = fmt.Sprintf("%s (after %d attempts)", be.Msg, attempt)
			}
			return Completion{}, err
		}
		wait := b.backoff(attempt, be.RetryAfter)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return Completion{}, ctx.Err()
		}
		if delivered && onDelta != nil {
			onDelta(Delta{Reset: true})
		}
		delivered = false
	}
}

// once is one attempt: a streamed chat completion on one replica.
func (b *openAIBackend) once(ctx context.Context, r *replica, msgs []store.Message, onDelta func(Delta)) (Completion, error) {
	ctx, stop := b.withDeadline(ctx)
	defer stop()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var stalled atomic.Bool
	// The timeout bounds each wait (for the first byte, then between two
	// chunks), not the whole answer: a long answer streaming steadily is fine.
	idle := time.AfterFunc(b.cfg.Timeout, func() { stalled.Store(true); cancel() })
	defer idle.Stop()
	info := &responseInfo{}
	ctx = context.WithValue(ctx, responseInfoKey{}, info)

	req := b.cfg.chatRequest(toOpenAI(msgs), b.cfg.MaxTokens)
	req.Stream, req.StreamOptions = true, &openai.StreamOptions{IncludeUsage: true}
	start := time.Now()
	stream, err := r.client.CreateChatCompletionStream(ctx, req)
	if err != nil {
		return Completion{}, b.classify(err, r, info, stalled.Load(), pastDeadline(ctx))
	}
	defer stream.Close()
	var (
		c    Completion
		text strings.Builder
	)
	c.Replica = r.shown
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if c.FinishReason != "" && ctx.Err() == nil {
				break // the answer was complete; only the goodbye was lost
			}
			return Completion{}, b.classify(err, r, info, stalled.Load(), pastDeadline(ctx))
		}
		idle.Stop() // the caller's time with a delta is not the server's silence
		for _, ch := range resp.Choices {
			if ch.Delta.Content != "" {
				if text.Len() == 0 {
					c.TimeToFirstToken = time.Since(start)
				}
				if text.Len()+len(ch.Delta.Content) > b.maxAnswerBytes() {
					return Completion{}, &BackendError{Backend: b.cfg.Name, Msg: fmt.Sprintf(
						"the answer went on past %d bytes, far beyond max_tokens = %d: the server does not honour max_tokens", b.maxAnswerBytes(), b.cfg.MaxTokens)}
				}
				text.WriteString(ch.Delta.Content)
				onDelta(Delta{Text: ch.Delta.Content})
			}
			if ch.FinishReason != "" {
				c.FinishReason = string(ch.FinishReason)
			}
		}
		if resp.Usage != nil {
			c.PromptTokens, c.CompletionTokens = resp.Usage.PromptTokens, resp.Usage.CompletionTokens
		}
		idle.Reset(b.cfg.Timeout)
	}
	if c.FinishReason == "" {
		// go-openai reports a body that ends without "[DONE]" as a normal
		// end; a stream is complete only once a choice says why it stopped.
		return Completion{}, &BackendError{Backend: b.cfg.Name, Msg: "the answer stream ended before the server said it was done (connection closed?)", Temporary: true}
	}
	c.Text = text.String()
	c.Latency = time.Since(start) // of this attempt: the server's time, not the queue's
	if c.PromptTokens == 0 && c.CompletionTokens == 0 {
		c.PromptTokens, c.CompletionTokens, c.TokensEstimated = estimateTokens(joinMessages(msgs)), estimateTokens(c.Text), true
	}
	return c, nil
}

// maxAnswerBytes bounds a streamed answer: a server that ignores
// max_tokens and streams on forever is stopped rather than followed until
// memory runs out. A token is rarely more than a few bytes; 64 a token,
// and never under 1 MiB, leaves room for any honest answer.
func (b *openAIBackend) maxAnswerBytes() int {
	return max(1<<20, 64*b.cfg.MaxTokens)
}

// temperature works around go-openai omitting a zero temperature (which
// servers then read as their default, often 0.8 or 1): zero is sent as
// 1e-4, which samplers treat as greedy in effect. (The smallest float
// would not do: dividing logits by it overflows, and llama.cpp's sampler
// aborts on the NaNs.)
func temperature(t float64) float32 {
	if t == 0 {
		return 1e-4
	}
	return float32(t)
}

func toOpenAI(msgs []store.Message) []openai.ChatCompletionMessage {
	out := make([]openai.ChatCompletionMessage, len(msgs))
	for i, m := range msgs {
		out[i] = openai.ChatCompletionMessage{Role: m.Role, Content: m.Content}
	}
	return out
}

func joinMessages(msgs []store.Message) string {
	return store.Generation{Messages: msgs}.PromptText()
}

// classify turns what went wrong in an attempt on r into a BackendError
// saying whether it is worth another try: stalled when the idle timeout
// cut it, late when the deadline did.
func (b *openAIBackend) classify(err error, r *replica, info *responseInfo, stalled, late bool) error {
	be := &BackendError{Backend: b.cfg.Name, Err: err}
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	var netErr net.Error
	switch {
	case late:
		be.Msg = b.deadlineMsg()
	case stalled:
		be.Msg, be.Temporary = fmt.Sprintf("no answer for %s (timeout)", b.cfg.Timeout), true
	case !info.sent && !errors.Is(err, context.Canceled):
		// The client refused the request itself (go-openai checks some
		// models' parameters): the same request would be refused again.
		be.Msg = fmt.Sprintf("the request was refused before it was sent: %v", err)
	case errors.As(err, &apiErr):
		be.Status, be.Msg = apiErr.HTTPStatusCode, apiErr.Message
		if be.Msg == "" {
			be.Msg = http.StatusText(be.Status)
		}
	case errors.As(err, &reqErr):
		be.Status, be.Msg = reqErr.HTTPStatusCode, describeBody(reqErr.Body)
	case errors.Is(err, context.Canceled):
		be.Msg = "cancelled"
	case errors.As(err, &netErr), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		be.Msg, be.Temporary = fmt.Sprintf("cannot reach the server: %v", rootCause(err)), true
	default:
		// Typically a body that is not the JSON it should be.
		be.Msg, be.Temporary = fmt.Sprintf("malformed response: %v", rootCause(err)), true
	}
	if be.Status == 0 && info.status >= 400 {
		be.Status = info.status
	}
	if be.Status == http.StatusTooManyRequests || be.Status == http.StatusRequestTimeout || be.Status >= 500 {
		be.Temporary = true
		be.RetryAfter = info.retryAfter
	}
	if be.Status == http.StatusNotFound {
		be.Msg += didYouMeanV1(r)
	}
	be.Msg += b.contextHint(r, be.Status, be.Msg)
	return b.redact.seal(be)
}

// errDeadline is the cause of an attempt the backend's deadline cut off.
var errDeadline = errors.New("the backend's deadline passed")

// withDeadline bounds one attempt however steadily the server answers, so
// that one trickling a byte at a time, each within the idle timeout,
// cannot hold a request open for days.
func (b *openAIBackend) withDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, b.cfg.Deadline, errDeadline)
}

// pastDeadline says whether ctx (or what it was made from) was ended by
// the backend's deadline.
func pastDeadline(ctx context.Context) bool { return errors.Is(context.Cause(ctx), errDeadline) }

// deadlineMsg says an attempt ran out of time. Such an attempt is not
// tried again (the error is not Temporary): a server that took the whole
// deadline without finishing would most likely do it again, and
// max_attempts tries of it would keep the caller waiting max_attempts
// times as long.
func (b *openAIBackend) deadlineMsg() string {
	return fmt.Sprintf("no complete answer within %s (deadline)", b.cfg.Deadline)
}

// describeBody says what an error body said, briefly: the message of the
// error shapes servers use ({"error":{"message"}}, vLLM's
// {"object":"error","message"}, {"error":"…"}, FastAPI's {"detail":"…"}),
// else the text itself.
func describeBody(body []byte) string {
	var shaped struct {
		Message string          `json:"message"`
		Error   json.RawMessage `json:"error"`
		Detail  json.RawMessage `json:"detail"` // FastAPI's (vLLM's) own errors: {"detail":"Not Found"}
	}
	if json.Unmarshal(body, &shaped) == nil {
		var inner struct {
			Message string `json:"message"`
		}
		var str string
		switch {
		case shaped.Message != "":
			return shaped.Message
		case json.Unmarshal(shaped.Detail, &str) == nil && str != "":
			return str
		case json.Unmarshal(shaped.Error, &inner) == nil && inner.Message != "":
			return inner.Message
		case json.Unmarshal(shaped.Error, &str) == nil && str != "":
			return str
		}
	}
	s := strings.TrimSpace(string(body))
	if strings.HasPrefix(strings.ToLower(s), "<!doctype html") || strings.HasPrefix(strings.ToLower(s), "<html") {
		title := ""
		if i := strings.Index(strings.ToLower(s), "<title>"); i >= 0 {
			if j := strings.Index(strings.ToLower(s[i:]), "</title>"); j >= 0 {
				title = ": " + strings.TrimSpace(s[i+len("<title>"):i+j])
			}
		}
		return "the server answered with an HTML page, not JSON" + title
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	if s == "" {
		return "empty response"
	}
	return s
}

// rootCause is the innermost error, without the layers of URL and
// operation the http and net packages add.
func rootCause(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}

// responseInfo carries what go-openai's errors leave out (the status of a
// stream that failed later, the Retry-After header) from the transport to
// classify.
type responseInfo struct {
	sent       bool // the request reached the transport: the client did not refuse it
	status     int
	retryAfter time.Duration
}

type responseInfoKey struct{}

type headerRecorder struct{ c *http.Client }

func (h headerRecorder) Do(req *http.Request) (*http.Response, error) {
	info, ok := req.Context().Value(responseInfoKey{}).(*responseInfo)
	if ok {
		info.sent = true
	}
	resp, err := h.c.Do(req)
	if ok && resp != nil {
		info.status = resp.StatusCode
		info.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return resp, err
}

// parseRetryAfter reads either form of Retry-After: seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var secs int
	if _, err := fmt.Sscanf(v, "%d", &secs); err == nil && fmt.Sprint(secs) == v && secs >= 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
