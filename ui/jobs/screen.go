package jobs

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/progress"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/ui/screen"
)

// Screen lists the jobs with a progress bar each.
type Screen struct {
	ctx    *screen.Context
	keys   KeyMap
	jobs   *Runner
	cursor int
	bar    progress.Model
}

// KeyMap is the Jobs screen's keys.
type KeyMap struct {
	Up, Down, CancelJob, Back key.Binding
}

// NewScreen makes the Jobs screen of the runner's jobs.
func NewScreen(ctx *screen.Context, jobs *Runner) *Screen {
	nav := screen.DefaultNavKeys()
	keys := KeyMap{Up: nav.Up, Down: nav.Down, Back: screen.BackKey(),
		CancelJob: key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "cancel job"))}
	return &Screen{ctx: ctx, keys: keys, jobs: jobs, bar: ctx.Styles.ProgressBar(progress.WithoutPercentage())}
}

func (s *Screen) Title() string { return "Jobs" }
func (s *Screen) Typing() bool  { return false }
func (s *Screen) Close()        {}

func (s *Screen) ShortHelp() []key.Binding {
	k := s.keys
	return []key.Binding{k.CancelJob, k.Up, k.Down}
}

func (s *Screen) FullHelp() [][]key.Binding {
	k := s.keys
	return [][]key.Binding{{k.Up, k.Down, k.CancelJob, k.Back}}
}

func (s *Screen) Update(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return nil
	}
	k := s.keys
	jobs := s.jobs.list
	switch {
	case key.Matches(km, k.Back):
		s.ctx.Pop(s)
	case key.Matches(km, k.Up):
		s.cursor = max(0, s.cursor-1)
	case key.Matches(km, k.Down):
		s.cursor = min(max(0, len(jobs)-1), s.cursor+1)
	case key.Matches(km, k.CancelJob):
		if s.cursor >= len(jobs) {
			return nil
		}
		job := jobs[s.cursor]
		if !job.running() {
			return screen.Notice(job.Title + " has finished already: nothing to cancel")
		}
		s.jobs.Cancel(job.ID)
		return screen.Notice("cancelling " + job.Title + " (finished work is kept)")
	}
	return nil
}

// jobErrorsShown is how many reasons for failures a job lists.
const jobErrorsShown = 3

func (s *Screen) View() string {
	st := s.ctx.Styles
	w := s.ctx.Width
	jobs := s.jobs.list
	head := st.Title.Render("Jobs")
	if len(jobs) == 0 {
		return head + "\n\n" + st.Muted.Render("No jobs yet. On the Users screen, i infers summaries and g generates answers in bulk.") + "\n"
	}
	s.bar.Width = max(10, min(40, w/3))
	blocks := make([][]string, len(jobs))
	for i, job := range jobs {
		blocks[i] = s.jobLines(job, i == s.cursor, w)
	}
	// The list scrolls only as far as it must to show the cursor's job
	// whole: from the first job while that fits.
	room := max(1, s.ctx.Height-2-2)
	first, used := 0, 0
	for i := 0; i <= s.cursor && i < len(blocks); i++ {
		used += len(blocks[i])
	}
	for used > room && first < s.cursor {
		used -= len(blocks[first])
		first++
	}
	var out []string
	last := first
	for ; last < len(blocks) && len(out)+len(blocks[last]) <= room; last++ {
		out = append(out, blocks[last]...)
	}
	if first > 0 || last < len(blocks) {
		head += st.Muted.Render(fmt.Sprintf("  %d–%d of %d", first+1, last, len(blocks)))
	}
	return head + "\n\n" + strings.Join(out, "\n") + "\n"
}

// jobLines is how a job shows: its title and state, its progress bar,
// and the reasons it failed.
func (s *Screen) jobLines(job *Job, selected bool, w int) []string {
	st := s.ctx.Styles
	p := job.Progress
	finished := p.Done + p.Skipped + p.Failed
	frac := 0.0
	if p.Total > 0 {
		frac = float64(finished) / float64(p.Total)
	}
	state := "running"
	switch {
	case job.Err != nil:
		state = "FAILED: " + screen.Line(job.Err.Error())
	case job.Report != nil && job.Report.Interrupted:
		state = "cancelled"
	case job.Report != nil:
		state = "finished"
	}
	cursor := "  "
	if selected {
		cursor = "› "
	}
	rate := float64(p.Requests) / max(p.Elapsed.Seconds(), 1e-9)
	ls := []string{
		screen.Fit(fmt.Sprintf("%s%s — %s", cursor, screen.Line(job.Title), state), w),
		screen.Fit(fmt.Sprintf("    %s %d/%d · %d done · %d skipped · %d failed · %.1f req/s · %s",
			s.bar.ViewAs(frac), finished, p.Total, p.Done, p.Skipped, p.Failed, rate, p.Elapsed.Round(time.Second)), w),
	}
	if job.Report != nil {
		errs := job.Report.Errors
		for _, e := range errs[:min(len(errs), jobErrorsShown)] {
			ls = append(ls, screen.Fit(st.Error.Render(fmt.Sprintf("    %d × %s (e.g. %s)", e.Count, screen.Line(e.Reason), screen.Line(e.Example))), w))
		}
		if n := len(errs) - jobErrorsShown; n > 0 {
			ls = append(ls, screen.Fit(st.Muted.Render("    and "+screen.Plural(n, "other reason", "other reasons")), w))
		}
	}
	return ls
}
