package screen

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/engine"
)

// Stream is one answer a model streams — a generation, a summary — as a
// pull stream (the way charmbracelet/mods reads a completion): the
// request, run by the command Start returns, writes each delta in as it
// arrives; the screen pulls the text with Read, a command that waits for
// text not read yet (Next) and returns it as a StreamMsg, and that the
// screen issues again for the rest. When the request ends, its StreamDone
// carries the stored result, and Err says why it failed.
//
// Writing never waits for the screen, so a slow terminal cannot stall a
// request and a request never blocks on a screen that is gone. Reading lets
// at most one message through a frame and holds no text back longer than
// a frame: a fast stream costs one redraw a frame, and a token reaches the
// screen within one. A delta with Reset (the engine retried the request)
// clears the text before its own is added.
type Stream struct {
	ctx     context.Context
	cancel  context.CancelFunc
	wake    chan struct{} // capacity 1: there is text not read yet
	reading atomic.Bool   // a Read command is waiting

	mu    sync.Mutex
	text  strings.Builder
	ended bool
	err   error
	last  time.Time // when Next last let text through
}

// StreamMsg is the text a stream has so far.
type StreamMsg struct {
	Stream *Stream
	Text   string
}

// StreamDone is a stream's end: its request's result (Stream.Err says
// whether it failed).
type StreamDone[T any] struct {
	Stream *Stream
	Result T
}

// Start makes the stream of one request, under parent (cancelling parent,
// as closing a screen does, cancels it). The command it returns runs the
// request until it ends and returns its StreamDone; cancelled before it
// begins, it runs nothing and returns nil.
func Start[T any](parent context.Context, run func(ctx context.Context, onDelta func(engine.Delta)) (T, error)) (*Stream, tea.Cmd) {
	ctx, cancel := context.WithCancel(parent)
	s := &Stream{ctx: ctx, cancel: cancel, wake: make(chan struct{}, 1)}
	return s, func() tea.Msg {
		if ctx.Err() != nil {
			s.end(ctx.Err())
			return nil
		}
		v, err := run(ctx, s.write)
		s.end(err)
		return StreamDone[T]{Stream: s, Result: v}
	}
}

// write adds a delta (the request's goroutine).
func (s *Stream) write(d engine.Delta) {
	s.mu.Lock()
	if d.Reset {
		s.text.Reset()
	}
	s.text.WriteString(d.Text)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default: // a wake-up is pending already: it will read this too
	}
}

// end records the request's end, and wakes a reader still waiting.
func (s *Stream) end(err error) {
	s.mu.Lock()
	s.ended, s.err = true, err
	s.mu.Unlock()
	s.cancel()
}

// Next waits for text not read yet, gathering what else arrives until a
// frame has passed since it last returned. It returns false once the
// stream has ended (its StreamDone carries the whole answer) or was
// closed.
func (s *Stream) Next() bool {
	select {
	case <-s.wake:
	case <-s.ctx.Done():
		return false
	}
	s.mu.Lock()
	hold := time.Until(s.last.Add(time.Second / MaxFPS))
	s.mu.Unlock()
	if hold > 0 {
		t := time.NewTimer(hold)
		defer t.Stop()
		select {
		case <-t.C:
		case <-s.ctx.Done():
			return false
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return false
	}
	s.last = time.Now()
	return true
}

// Text is what has arrived so far.
func (s *Stream) Text() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.text.String()
}

// Err is why the stream's request failed: nil while it runs or when it
// succeeded.
func (s *Stream) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close cancels the request: its command returns, and so does a Read.
func (s *Stream) Close() { s.cancel() }

// Read is the command that waits for the stream's next text (Next) and
// returns it as a StreamMsg, or nil once the stream is over; the screen
// issues it again on each StreamMsg while it shows the stream. While one
// Read waits another returns nil at once, so a stream is read by one
// command at a time however often it is asked.
func (s *Stream) Read() tea.Cmd {
	return func() tea.Msg {
		if !s.reading.CompareAndSwap(false, true) {
			return nil
		}
		defer s.reading.Store(false)
		if !s.Next() {
			return nil
		}
		return StreamMsg{Stream: s, Text: s.Text()}
	}
}
