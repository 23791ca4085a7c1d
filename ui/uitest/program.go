// Package uitest drives the interactive program in tests and benchmarks:
// Program runs a root model's commands as Bubble Tea does and feeds their
// messages back, and waits on conditions (every command done, a frame
// showing a text) rather than for a while; Env is a frame over the demo
// users (or a given database) with its first screen, the offline engine
// and the jobs runner, as the program has them.
package uitest

import (
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// Program drives a root model the way Bubble Tea does: each command runs
// on a goroutine of its own (a streaming request and the command reading
// it run side by side), and each message goes back through the model's
// Update on the test's goroutine, one at a time.
//
// Timers are not waited for: the cursor's blink (package bubbles/cursor),
// which never ends on its own, is dropped, commands and messages, and so
// are the program's own timers (screen.After, such as the status line's
// clearing), so that "every command has returned" is a condition a test
// can wait for. A test of what a timer does sends its message itself.
type Program struct {
	t        testing.TB
	model    tea.Model
	results  chan tea.Msg
	stop     chan struct{}
	inflight int       // commands running
	handled  int       // messages handled
	last     time.Time // when a message was last handled
}

const (
	// messageBound stops a test whose commands would run forever.
	messageBound = 20000
	// waitLimit bounds a wait in which no message comes.
	waitLimit = 10 * time.Second
)

// Drive starts m at w×h: Init, the terminal's size, then every command
// that follows, until none is left.
func Drive(t testing.TB, m tea.Model, w, h int) *Program {
	t.Helper()
	p := &Program{t: t, model: m, results: make(chan tea.Msg, 256), stop: make(chan struct{}), last: time.Now()}
	t.Cleanup(func() { close(p.stop) })
	p.Run(m.Init())
	p.Send(tea.WindowSizeMsg{Width: w, Height: h})
	p.Settle()
	return p
}

// Model is the root model.
func (p *Program) Model() tea.Model { return p.model }

// View is the model's frame.
func (p *Program) View() string { return p.model.View() }

// Running is how many commands have not returned.
func (p *Program) Running() int { return p.inflight }

// LastHandled is when the last message was handled.
func (p *Program) LastHandled() time.Time { return p.last }

// Run starts a command, as the program would.
func (p *Program) Run(cmd tea.Cmd) {
	if cmd == nil || isTimer(cmd) {
		return
	}
	p.inflight++
	go func() {
		msg := cmd()
		select {
		case p.results <- msg:
		case <-p.stop:
		}
	}()
}

// isTimer reports whether a command is the cursor's blink or one of the
// program's timers.
func isTimer(cmd tea.Cmd) bool {
	fn := runtime.FuncForPC(reflect.ValueOf(cmd).Pointer())
	if fn == nil {
		return false
	}
	name := fn.Name()
	return strings.HasPrefix(name, "github.com/charmbracelet/bubbles/cursor.") ||
		strings.HasPrefix(name, "github.com/popi-tui/popi-tui/ui/screen.After.")
}

// Send gives a message to the model now and starts the commands it
// returns (without waiting for them).
func (p *Program) Send(msg tea.Msg) {
	p.t.Helper()
	if msg == nil {
		return
	}
	if p.handled++; p.handled > messageBound {
		p.t.Fatalf("more than %d messages: a command loops", messageBound)
	}
	switch m := msg.(type) {
	case tea.BatchMsg:
		for _, c := range m {
			p.Run(c)
		}
		return
	case tea.QuitMsg:
		return
	}
	v := reflect.ValueOf(msg)
	if v.Kind() == reflect.Slice && v.Type().Name() == "sequenceMsg" {
		p.sequence(v)
		return
	}
	if strings.HasSuffix(v.Type().PkgPath(), "bubbles/cursor") {
		return // blinking
	}
	_, cmd := p.model.Update(msg)
	p.last = time.Now()
	p.Run(cmd)
}

// sequence runs a tea.Sequence's commands one after another, as the
// program does, each message handled before the next command runs.
func (p *Program) sequence(v reflect.Value) {
	cmds := make([]tea.Cmd, v.Len())
	for i := range cmds {
		cmds[i] = v.Index(i).Interface().(tea.Cmd)
	}
	p.inflight += len(cmds)
	go func() {
		for _, c := range cmds {
			var msg tea.Msg
			if c != nil {
				msg = c()
			}
			select {
			case p.results <- msg:
			case <-p.stop:
				return
			}
		}
	}()
}

// next handles the next message a command returns; false if none came
// within the limit.
func (p *Program) next(limit <-chan time.Time) bool {
	p.t.Helper()
	select {
	case msg := <-p.results:
		p.inflight--
		p.Send(msg)
		return true
	case <-limit:
		return false
	}
}

// Settle handles messages until every command has returned.
func (p *Program) Settle() {
	p.t.Helper()
	for p.inflight > 0 {
		if !p.next(time.After(waitLimit)) {
			p.t.Fatalf("%d commands still running after %v without a message", p.inflight, waitLimit)
		}
	}
}

// WaitFor handles messages until cond holds; it fails the test if cond
// cannot hold any more (nothing is running) or has not within the limit.
func (p *Program) WaitFor(what string, cond func() bool) {
	p.t.Helper()
	limit := time.After(waitLimit)
	for !cond() {
		if p.inflight == 0 {
			p.t.Fatalf("waiting for %s, but nothing is running:\n%s", what, p.View())
		}
		if !p.next(limit) {
			p.t.Fatalf("no %s after %v:\n%s", what, waitLimit, p.View())
		}
	}
}

// WaitView handles messages until the frame shows text.
func (p *Program) WaitView(text string) {
	p.t.Helper()
	p.WaitFor(text, func() bool { return strings.Contains(p.View(), text) })
}

// Press sends keys one at a time, each followed by everything it sets off
// (Settle). A key is a name ("enter", "ctrl+s", "pgdown"), or text: sent
// as one message, as a paste or fast typing arrives, each line break an
// enter.
func (p *Program) Press(keys ...string) {
	p.t.Helper()
	for _, k := range keys {
		if _, named := keyNames[k]; named || !strings.Contains(k, "\n") {
			p.Send(Key(k))
			p.Settle()
			continue
		}
		for i, ln := range strings.Split(k, "\n") {
			if i > 0 {
				p.Press("enter")
			}
			if ln != "" {
				p.Press(ln)
			}
		}
	}
}

// keyNames are the keys Key knows by name.
var keyNames = map[string]tea.KeyType{
	"enter": tea.KeyEnter, "esc": tea.KeyEsc, "tab": tea.KeyTab, "shift+tab": tea.KeyShiftTab,
	"up": tea.KeyUp, "down": tea.KeyDown, "pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown,
	"home": tea.KeyHome, "end": tea.KeyEnd, "backspace": tea.KeyBackspace,
	"ctrl+s": tea.KeyCtrlS, "ctrl+r": tea.KeyCtrlR, "ctrl+c": tea.KeyCtrlC, "ctrl+end": tea.KeyCtrlEnd,
}

// Key is the message of a key: a name ("enter", "ctrl+s"), or text.
func Key(k string) tea.KeyMsg {
	if t, ok := keyNames[k]; ok {
		return tea.KeyMsg{Type: t}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}
