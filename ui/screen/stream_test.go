package screen

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/engine"
)

// started is a stream whose request writes each delta the test sends on
// deltas (the send returns once it is written) and ends when deltas is
// closed, with "the answer" or err.
func started(t *testing.T, err error) (s *Stream, deltas chan engine.Delta, done chan StreamDone[string]) {
	t.Helper()
	deltas = make(chan engine.Delta)
	s, run := Start(context.Background(), func(ctx context.Context, onDelta func(engine.Delta)) (string, error) {
		for d := range deltas {
			onDelta(d)
			deltas <- engine.Delta{} // written
		}
		return "the answer", err
	})
	done = make(chan StreamDone[string], 1)
	go func() {
		if msg := run(); msg != nil {
			done <- msg.(StreamDone[string])
		}
		close(done)
	}()
	return s, deltas, done
}

// send hands a delta to the request and waits until it is written.
func send(deltas chan engine.Delta, d engine.Delta) {
	deltas <- d
	<-deltas
}

// A reset clears the text; writing never waits for a reader, and a burst
// of deltas is one wake-up.
func TestStreamResetAndCoalescing(t *testing.T) {
	s, deltas, done := started(t, nil)
	for _, d := range []engine.Delta{{Text: "first try"}, {Reset: true}, {Text: "second "}, {Text: "try"}} {
		send(deltas, d)
	}
	if got := s.Text(); got != "second try" {
		t.Errorf("after a reset: %q", got)
	}
	if len(s.wake) != 1 {
		t.Errorf("%d wake-ups pending, want 1", len(s.wake))
	}
	msg := s.Read()()
	if m, ok := msg.(StreamMsg); !ok || m.Stream != s || m.Text != "second try" {
		t.Errorf("Read = %#v", msg)
	}
	close(deltas)
	end := <-done
	if end.Stream != s || end.Result != "the answer" || s.Err() != nil {
		t.Errorf("end = %+v, err %v", end, s.Err())
	}
	if s.Next() || s.Read()() != nil {
		t.Error("an ended stream has more to read")
	}
}

// Text that comes within a frame of the last read is held back until
// the frame is over, and read together.
func TestStreamLetsOneMessageThroughAFrame(t *testing.T) {
	s, deltas, done := started(t, nil)
	send(deltas, engine.Delta{Text: "a"})
	if !s.Next() {
		t.Fatal("no text")
	}
	first := time.Now()
	send(deltas, engine.Delta{Text: "b"})
	send(deltas, engine.Delta{Text: "c"})
	if !s.Next() || s.Text() != "abc" {
		t.Fatalf("text %q", s.Text())
	}
	if gap := time.Since(first); gap < time.Second/MaxFPS-time.Millisecond {
		t.Errorf("two reads %v apart, less than a frame", gap)
	}
	close(deltas)
	<-done
}

// Only one Read waits at a time; Close ends it and the request.
func TestStreamOneReaderAndClose(t *testing.T) {
	s, deltas, done := started(t, nil)
	waiting := make(chan any)
	go func() { waiting <- s.Read()() }()
	for !s.reading.Load() { // the first Read is waiting for text
		select {
		case msg := <-waiting:
			t.Fatalf("Read returned %v with nothing written", msg)
		default:
		}
	}
	if msg := s.Read()(); msg != nil {
		t.Errorf("a second Read returned %v", msg)
	}
	s.Close()
	if msg := <-waiting; msg != nil {
		t.Errorf("Read after Close returned %v", msg)
	}
	close(deltas)
	<-done
}

func TestStreamErrAndCancelledBeforeStart(t *testing.T) {
	fail := errors.New("the server is down")
	s, deltas, done := started(t, fail)
	close(deltas)
	<-done
	if !errors.Is(s.Err(), fail) {
		t.Errorf("Err = %v", s.Err())
	}
	ran := false
	s, run := Start(context.Background(), func(ctx context.Context, onDelta func(engine.Delta)) (int, error) {
		ran = true
		return 1, nil
	})
	s.Close()
	if msg := run(); msg != nil || ran {
		t.Errorf("closed before it began: ran %v, message %v", ran, msg)
	}
}
