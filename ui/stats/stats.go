package stats

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/engine/eval"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// Screen shows what `popi-tui eval` reports, with bar charts: the human
// labels and the context saving, read again whenever a label or a summary
// is saved, and the latest accuracy and judge runs kept in the database.
type Screen struct {
	ctx    *screen.Context
	keys   KeyMap
	vp     viewport.Model
	counts *countsData // the database's counters: read at once, before the rest
	loaded bool
	gen    int // reads started; an older read's answer is dropped
	data   statsData
	err    error
}

// countsData is what the database counts: its counters, kept with the
// records, read in well under a millisecond however big it is.
type countsData struct {
	stats    store.Stats
	datasets map[string]int
}

type countsLoadedMsg struct {
	gen  int
	data countsData
	err  error
}

// statsData is one read of everything the screen shows.
type statsData struct {
	labels   eval.LabelReport
	context  eval.ContextReport
	accuracy []timed[eval.AccuracyReport]
	judges   []timed[eval.JudgeReport]
}

// timed is a kept evaluation run and when it was made.
type timed[T any] struct {
	at  time.Time
	rep T
}

type statsLoadedMsg struct {
	gen  int
	data statsData
	err  error
}

// KeyMap is the Stats screen's keys: it scrolls, and esc goes back.
type KeyMap struct {
	screen.NavKeys
	Back key.Binding
}

// New makes the Stats screen; its Init reads the figures.
func New(ctx *screen.Context) *Screen {
	vp := viewport.New(1, 1)
	vp.KeyMap = viewport.KeyMap{} // the screen maps the keys (its KeyMap)
	vp.MouseWheelEnabled = true
	return &Screen{ctx: ctx, keys: KeyMap{NavKeys: screen.DefaultNavKeys(), Back: screen.BackKey()}, vp: vp}
}

func (s *Screen) Init() tea.Cmd { return s.load() }

// load reads the counts at once, and the statistics in a second command:
// they walk every label and summary (seconds at a million).
func (s *Screen) load() tea.Cmd {
	s.gen++
	gen, db := s.gen, s.ctx.DB
	counts := func() tea.Msg {
		var d countsData
		var err error
		if d.stats, err = db.Stats(); err == nil {
			d.datasets, err = db.DatasetUsers()
		}
		return countsLoadedMsg{gen: gen, data: d, err: err}
	}
	return tea.Batch(counts, s.analyse(gen))
}

// analyse reads what the screen works out of every label and summary.
func (s *Screen) analyse(gen int) tea.Cmd {
	db := s.ctx.DB
	return func() tea.Msg {
		var d statsData
		var err error
		if d.labels, err = eval.LabelStats(db); err != nil {
			return statsLoadedMsg{gen: gen, err: err}
		}
		if d.context, err = eval.ContextSaving(db); err != nil {
			return statsLoadedMsg{gen: gen, err: err}
		}
		runs, err := db.LatestEvalRuns()
		if err != nil {
			return statsLoadedMsg{gen: gen, err: err}
		}
		for _, r := range runs {
			switch r.Metric {
			case "accuracy":
				var a eval.AccuracyReport
				if json.Unmarshal(r.Result, &a) == nil {
					d.accuracy = append(d.accuracy, timed[eval.AccuracyReport]{r.CreatedAt, a})
				}
			case "judge":
				var j eval.JudgeReport
				if json.Unmarshal(r.Result, &j) == nil {
					d.judges = append(d.judges, timed[eval.JudgeReport]{r.CreatedAt, j})
				}
			}
		}
		return statsLoadedMsg{gen: gen, data: d}
	}
}

func (s *Screen) Title() string { return "Stats" }
func (s *Screen) Typing() bool  { return false }
func (s *Screen) Close()        {}

func (s *Screen) ShortHelp() []key.Binding {
	k := s.keys
	return []key.Binding{k.Up, k.Down, k.PageDown}
}

func (s *Screen) FullHelp() [][]key.Binding {
	k := s.keys
	return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom, k.Back}}
}

func (s *Screen) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case countsLoadedMsg:
		if msg.gen != s.gen {
			return nil
		}
		if msg.err != nil {
			s.loaded, s.err = true, msg.err
		} else {
			s.counts = &msg.data
		}
		s.layout()
	case statsLoadedMsg:
		if msg.gen != s.gen {
			return nil
		}
		s.loaded, s.err = true, msg.err
		if msg.err == nil {
			s.data = msg.data
		}
		s.layout()
	case screen.DataChangedMsg, screen.LabelSavedMsg, screen.JobDoneMsg:
		// A label, a summary or a job's results: the numbers move.
		return s.load()
	case tea.WindowSizeMsg:
		s.layout()
	case tea.MouseMsg:
		s.vp, _ = s.vp.Update(msg)
	case tea.KeyMsg:
		if key.Matches(msg, s.keys.Back) {
			s.ctx.Pop(s)
		} else {
			s.keys.Scroll(&s.vp, msg)
		}
	}
	return nil
}

// layout sizes the viewport and lays the content out for the width
// (the scroll position is kept).
func (s *Screen) layout() {
	w, h := s.ctx.Width, max(1, s.ctx.Height-2-1)
	s.vp.Width, s.vp.Height = w, h
	y := s.vp.YOffset
	s.vp.SetContent(s.content(w))
	s.vp.SetYOffset(y)
}

func (s *Screen) View() string {
	st := s.ctx.Styles
	head := st.Title.Render("Stats")
	switch {
	case !s.loaded && s.counts == nil:
		return head + st.Muted.Render("  reading the counts…")
	case s.err != nil:
		return head + "\n\n" + st.Error.Render("error: "+screen.Line(s.err.Error()))
	}
	if !s.loaded {
		head += st.Muted.Render("  working out the labels and summaries…")
	} else if pct := s.vp.ScrollPercent(); s.vp.TotalLineCount() > s.vp.Height {
		head += st.Muted.Render(fmt.Sprintf("  %3.0f%% (↑/↓ pgup/pgdn)", 100*pct))
	}
	return screen.Fit(head, s.ctx.Width) + "\n" + s.vp.View()
}
