package frame

import (
	"io"
	"strings"
	"testing"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/themes"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// text is a screen of fixed lines.
type text string

func (t text) Update(tea.Msg) tea.Cmd  { return nil }
func (t text) View() string            { return string(t) }
func (text) Title() string             { return "Text" }
func (text) ShortHelp() []key.Binding  { return nil }
func (text) FullHelp() [][]key.Binding { return nil }
func (text) Typing() bool              { return false }
func (text) Close()                    {}

// idle is the jobs runner with nothing running.
type idle struct{ screen.Jobs }

func (idle) Running() int           { return 0 }
func (idle) Update(tea.Msg) tea.Cmd { return nil }

func newFrame(first screen.Screen, w, h int) *Frame {
	ctx := &screen.Context{Styles: screen.NewStyles(themes.Theme{}, io.Discard, true), Jobs: idle{}, Width: w, Height: h}
	return New(ctx, first)
}

// A notice stays on the status line until its timer ends it; a newer
// notice outlives the older one's timer.
func TestStatusClearsAfterItsTime(t *testing.T) {
	f := newFrame(text(""), 80, 24)
	if cmd := f.route(screen.NoticeMsg{Text: "saved v2"}); cmd == nil {
		t.Fatal("a notice set no timer")
	}
	first := f.shown
	if !strings.Contains(f.View(), "saved v2") {
		t.Fatal("the notice is not shown")
	}
	f.route(screen.NoticeMsg{Text: "regenerating pane a"})
	f.route(clearStatus{first})
	if !strings.Contains(f.View(), "regenerating pane a") {
		t.Error("the older notice's timer cleared the newer notice")
	}
	f.route(clearStatus{f.shown})
	if v := f.View(); strings.Contains(v, "regenerating") || strings.Contains(v, "saved") {
		t.Errorf("the notice outlived its timer:\n%s", v)
	}
}

// A question is drawn over the middle of the screen, which still shows
// around it; below 60×20 the too-small message wraps to the terminal.
func TestDialogOverTheScreenAndTooSmallWraps(t *testing.T) {
	body := strings.Repeat(strings.Repeat("x", 80)+"\n", 22)
	f := newFrame(text(body), 80, 24)
	f.ask("Quit now? 1 running job would be cancelled. (y/n)")
	ls := strings.Split(f.View(), "\n")
	if len(ls) != 24 {
		t.Fatalf("%d lines, want 24", len(ls))
	}
	mid := ls[11]
	if !strings.HasPrefix(mid, "xxxx") || !strings.HasSuffix(mid, "xxxx") || !strings.Contains(strings.Join(ls, "\n"), "Quit now?") {
		t.Errorf("the question is not over the screen:\n%s", strings.Join(ls, "\n"))
	}
	if !strings.HasPrefix(ls[0], "xxxx") {
		t.Errorf("the screen above the question is gone:\n%s", strings.Join(ls, "\n"))
	}
	f.ctx.Width, f.ctx.Height = 30, 10
	v := f.View()
	for _, l := range strings.Split(v, "\n") {
		if len([]rune(l)) > 30 {
			t.Errorf("too-small line %q is wider than 30", l)
		}
	}
	if !strings.Contains(strings.ReplaceAll(v, "\n", " "), "popi-tui needs 60×20.") {
		t.Errorf("too small:\n%s", v)
	}
}
