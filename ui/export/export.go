// Package export is the Export screen: the exports of `popi-tui export`
// from inside the program, which holds the database (a second process
// cannot open it while the UI runs). One chooses what to export (labels
// raw, dpo or kto, summaries sft or pairs, users), whose labels, and the
// file; the export runs in a command, through the same exporters
// (store/format/trl, popi), written beside the file and renamed into place
// once complete, and the screen then shows what was written and what was
// left out, in the command line's words (package exportreport).
package export

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/format/trl"
	"github.com/popi-tui/popi-tui/ui/exportreport"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// kind is one export the screen offers: what and in which format.
type kind struct {
	what, format, says string
}

// kinds is what can be exported from the UI, the most asked for first:
// the labels as training rows. (pairs and summarizer word prompts with a
// backend's template set: the command line, with its flags, makes them.)
var kinds = []kind{
	{"labels", trl.LabelsDPO, "preference rows {prompt, chosen, rejected} for TRL's DPOTrainer"},
	{"labels", trl.LabelsKTO, "rows {prompt, completion, label} for TRL's KTOTrainer, shuffled (seed 1)"},
	{"labels", trl.LabelsRaw, "the current label records, as stored"},
	{"summaries", trl.SummariesSFT, "{prompt: the summarizer's input, completion: the human-edited summary}"},
	{"summaries", trl.SummariesPairs, "{prompt, chosen: the human summary, rejected: the model summary it replaced}"},
	{"users", "popi", "every user's records as popi JSONL"},
}

// The form's rows.
const (
	rowKind = iota
	rowWhose
	rowPath
	rows
)

// Screen is the export form and, after an export, its report.
type Screen struct {
	ctx     *screen.Context
	keys    KeyMap
	kind    int  // index into kinds
	mine    bool // labels: this annotator's only (else everyone's)
	row     int
	path    textinput.Model
	edited  bool // the file was typed: a change of format keeps it
	running bool
	cancel  context.CancelFunc // stops the running export (Close)
	gen     int                // exports started: an older one's end is dropped
	report  []string           // the last export's report, or
	err     error              // its error
}

type (
	// existsMsg says the file is there: replace it?
	existsMsg struct {
		gen  int
		path string
	}
	doneMsg struct {
		gen    int
		report []string
		err    error
	}
)

// New makes the Export screen.
func New(ctx *screen.Context) *Screen {
	in := textinput.New()
	in.Prompt = ""
	in.CharLimit = 4096
	in.TextStyle = ctx.Styles.Base
	s := &Screen{ctx: ctx, keys: DefaultKeyMap(), path: in}
	s.path.SetValue(s.defaultPath())
	return s
}

func (s *Screen) Init() tea.Cmd { return nil }

func (s *Screen) Title() string { return "Export" }

// Typing is true on the file's row: letters are the file's name there.
func (s *Screen) Typing() bool { return s.path.Focused() }

// Close stops a running export: its temporary file is removed and the
// file it would replace stays as it was.
func (s *Screen) Close() {
	if s.cancel != nil {
		s.cancel()
	}
}

// defaultPath is the file an export goes to unless another is typed:
// "labels-dpo.jsonl" in the working directory.
func (s *Screen) defaultPath() string {
	k := kinds[s.kind]
	return fmt.Sprintf("%s-%s.jsonl", k.what, k.format)
}

func (s *Screen) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case existsMsg:
		if msg.gen != s.gen {
			return nil
		}
		s.running = false
		gen := s.gen
		return screen.Ask(fmt.Sprintf("%s exists: replace it?", screen.Line(msg.path)), func(yes bool) tea.Cmd {
			if !yes || gen != s.gen {
				return screen.Notice("not exported")
			}
			return s.start(true)
		})
	case doneMsg:
		if msg.gen != s.gen {
			return nil
		}
		s.running, s.cancel = false, nil
		s.report, s.err = msg.report, msg.err
		if msg.err != nil {
			return screen.Failed(msg.err)
		}
		return screen.Notice(exportreport.Wrote(kinds[s.kind].what, s.path.Value()))
	case tea.KeyMsg:
		return s.key(msg)
	}
	return nil
}

func (s *Screen) key(msg tea.KeyMsg) tea.Cmd {
	k := s.keys
	switch {
	case key.Matches(msg, k.Back):
		s.ctx.Pop(s)
	case key.Matches(msg, k.Run):
		return s.start(false)
	case key.Matches(msg, k.Form.Up):
		return s.focus(-1)
	case key.Matches(msg, k.Form.Down):
		return s.focus(1)
	case s.row == rowPath:
		var cmd tea.Cmd
		before := s.path.Value()
		s.path, cmd = s.path.Update(msg)
		s.edited = s.edited || s.path.Value() != before
		return cmd
	case key.Matches(msg, k.Form.Prev):
		s.change(-1)
	case key.Matches(msg, k.Form.Next):
		s.change(1)
	}
	return nil
}

// focus moves by one row (wrapping), past whose labels when no labels
// are exported; the file's row takes the keys as text.
func (s *Screen) focus(by int) tea.Cmd {
	s.row = (s.row + by + rows) % rows
	if s.row == rowWhose && kinds[s.kind].what != "labels" {
		s.row = (s.row + by + rows) % rows
	}
	if s.row == rowPath {
		return s.path.Focus()
	}
	s.path.Blur()
	return nil
}

// change steps the choice of the row the cursor is on.
func (s *Screen) change(by int) {
	switch s.row {
	case rowKind:
		s.kind = (s.kind + by + len(kinds)) % len(kinds)
		if !s.edited {
			s.path.SetValue(s.defaultPath())
		}
	case rowWhose:
		s.mine = !s.mine
	}
}

// start runs the export chosen in a command (confirmed: the file may be
// replaced). Nothing is read or written here: the command checks whether
// the file exists, and asks first when it does.
func (s *Screen) start(confirmed bool) tea.Cmd {
	path := s.path.Value()
	switch {
	case s.running:
		return screen.Notice("an export is running: its report comes when it ends")
	case path == "":
		return screen.Notice("say which file to write (the last row)")
	}
	s.gen++
	s.running, s.report, s.err = true, nil, nil
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	what, job := kinds[s.kind].what, s.job()
	gen := s.gen
	return func() tea.Msg {
		defer cancel()
		if _, err := os.Stat(path); err == nil && !confirmed {
			return existsMsg{gen: gen, path: path}
		}
		var report []string
		err := store.WriteFileAtomicContext(ctx, path, func(w io.Writer) (err error) {
			report, err = job(ctxWriter{ctx, w})
			return err
		})
		if err != nil {
			return doneMsg{gen: gen, err: fmt.Errorf("export to %s: %w", path, err)}
		}
		return doneMsg{gen: gen, report: append(report, exportreport.Wrote(what, path))}
	}
}
