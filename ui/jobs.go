package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/progress"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/engine"
)

// Jobs are bulk inference and generation runs started from the UI. They
// run in the background (the engine's batch runner) and report progress
// as messages.
type Jobs struct {
	list []*Job
	next int
}

// Job is one bulk run.
type Job struct {
	ID       int
	Title    string
	Started  time.Time
	Progress engine.Progress
	Report   *engine.Report // when finished
	Err      error
	cancel   context.CancelFunc
	updates  chan engine.Progress // the latest progress (capacity 1)
	done     chan jobDone
}

type jobDone struct {
	rep engine.Report
	err error
}

type (
	jobProgressMsg struct {
		id int
		p  engine.Progress
	}
	jobDoneMsg struct {
		id  int
		rep engine.Report
		err error
	}
)

// Running is the number of jobs not finished.
func (j *Jobs) Running() int {
	n := 0
	for _, job := range j.list {
		if job.Report == nil && job.Err == nil {
			n++
		}
	}
	return n
}

// start runs a bulk run in the background.
func (j *Jobs) start(title string, run func(ctx context.Context, progress func(engine.Progress)) (engine.Report, error)) tea.Cmd {
	j.next++
	ctx, cancel := context.WithCancel(context.Background())
	job := &Job{ID: j.next, Title: title, Started: time.Now(), cancel: cancel,
		updates: make(chan engine.Progress, 1), done: make(chan jobDone, 1)}
	j.list = append(j.list, job)
	go func() {
		rep, err := run(ctx, func(p engine.Progress) {
			select { // keep only the latest
			case <-job.updates:
			default:
			}
			job.updates <- p
		})
		job.done <- jobDone{rep, err}
	}()
	return job.wait()
}

// wait is the command that reads the job's next report; the message
// handler issues it again until the job is done.
func (job *Job) wait() tea.Cmd {
	return func() tea.Msg {
		select {
		case p := <-job.updates:
			return jobProgressMsg{job.ID, p}
		case d := <-job.done:
			return jobDoneMsg{job.ID, d.rep, d.err}
		}
	}
}

// StartInfer infers summaries in the background.
func (j *Jobs) StartInfer(e *engine.Engine, opt engine.InferOptions) tea.Cmd {
	title := "infer summaries via " + opt.Backend
	if len(opt.Users) == 1 {
		title = "infer " + opt.Users[0] + " via " + opt.Backend
	}
	return j.start(title, func(ctx context.Context, p func(engine.Progress)) (engine.Report, error) {
		return e.InferAll(ctx, opt, p)
	})
}

// StartGenerate generates answers in the background.
func (j *Jobs) StartGenerate(e *engine.Engine, opt engine.GenerateOptions) tea.Cmd {
	return j.start(fmt.Sprintf("generate via %s (%s)", strings.Join(opt.Backends, ", "), strings.Join(opt.Conditions, ", ")),
		func(ctx context.Context, p func(engine.Progress)) (engine.Report, error) {
			return e.GenerateAll(ctx, opt, p)
		})
}

// Update takes the jobs' messages.
func (j *Jobs) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case jobProgressMsg:
		if job := j.find(msg.id); job != nil {
			job.Progress = msg.p
			return job.wait()
		}
	case jobDoneMsg:
		if job := j.find(msg.id); job != nil {
			job.Progress = msg.rep.Progress
			job.Report, job.Err = &msg.rep, msg.err
			job.cancel()
			return notice(job.summary())
		}
	}
	return nil
}

func (j *Jobs) find(id int) *Job {
	for _, job := range j.list {
		if job.ID == id {
			return job
		}
	}
	return nil
}

// Cancel stops a job; what it finished is kept.
func (j *Jobs) Cancel(id int) {
	if job := j.find(id); job != nil {
		job.cancel()
	}
}

// CancelAll stops every job (on quit).
func (j *Jobs) CancelAll() {
	for _, job := range j.list {
		job.cancel()
	}
}

func (job *Job) summary() string {
	switch {
	case job.Err != nil:
		return fmt.Sprintf("%s failed: %v", job.Title, job.Err)
	case job.Report != nil && job.Report.Interrupted:
		return fmt.Sprintf("%s cancelled: %d done, %d skipped, %d failed", job.Title, job.Report.Done, job.Report.Skipped, job.Report.Failed)
	case job.Report != nil:
		return fmt.Sprintf("%s finished: %d done, %d skipped, %d failed", job.Title, job.Report.Done, job.Report.Skipped, job.Report.Failed)
	}
	p := job.Progress
	return fmt.Sprintf("%s: %d/%d", job.Title, p.Done+p.Skipped+p.Failed, p.Total)
}

// jobsScreen lists the jobs with a progress bar each.
type jobsScreen struct {
	ctx    *Context
	cursor int
	bar    progress.Model
}

func newJobsScreen(ctx *Context) *jobsScreen {
	return &jobsScreen{ctx: ctx, bar: ctx.Styles.ProgressBar(progress.WithoutPercentage())}
}

func (s *jobsScreen) Title() string { return "Jobs" }
func (s *jobsScreen) Typing() bool  { return false }
func (s *jobsScreen) Close()        {}

func (s *jobsScreen) ShortHelp() []key.Binding {
	k := s.ctx.Keys
	return []key.Binding{k.Up, k.Down, k.CancelJob, k.Quit, k.Help}
}

func (s *jobsScreen) FullHelp() [][]key.Binding {
	return [][]key.Binding{s.ShortHelp()}
}

func (s *jobsScreen) Update(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return nil
	}
	k := s.ctx.Keys
	jobs := s.ctx.Jobs.list
	switch {
	case key.Matches(km, k.Up):
		s.cursor = max(0, s.cursor-1)
	case key.Matches(km, k.Down):
		s.cursor = min(max(0, len(jobs)-1), s.cursor+1)
	case key.Matches(km, k.CancelJob):
		if s.cursor < len(jobs) {
			job := jobs[s.cursor]
			if job.Report == nil && job.Err == nil {
				s.ctx.Jobs.Cancel(job.ID)
				return notice("cancelling " + job.Title + " (finished work is kept)")
			}
		}
	}
	return nil
}

func (s *jobsScreen) View() string {
	st := s.ctx.Styles
	w := s.ctx.Width
	var b strings.Builder
	b.WriteString(st.Title.Render("Jobs") + "\n\n")
	if len(s.ctx.Jobs.list) == 0 {
		b.WriteString(st.Muted.Render("No jobs yet. On the Users screen, i infers summaries and g generates answers in bulk.") + "\n")
		return b.String()
	}
	s.bar.Width = max(10, min(40, w/3))
	for i, job := range s.ctx.Jobs.list {
		p := job.Progress
		finished := p.Done + p.Skipped + p.Failed
		frac := 0.0
		if p.Total > 0 {
			frac = float64(finished) / float64(p.Total)
		}
		state := "running"
		switch {
		case job.Err != nil:
			state = "FAILED: " + line(job.Err.Error())
		case job.Report != nil && job.Report.Interrupted:
			state = "cancelled"
		case job.Report != nil:
			state = "finished"
		}
		cursor := "  "
		if i == s.cursor {
			cursor = "› "
		}
		head := fmt.Sprintf("%s%s — %s", cursor, line(job.Title), state)
		b.WriteString(fit(head, w) + "\n")
		rate := float64(p.Requests) / max(p.Elapsed.Seconds(), 1e-9)
		b.WriteString(fit(fmt.Sprintf("    %s %d/%d · %d done · %d skipped · %d failed · %.1f req/s · %s",
			s.bar.ViewAs(frac), finished, p.Total, p.Done, p.Skipped, p.Failed, rate, p.Elapsed.Round(time.Second)), w) + "\n")
		if job.Report != nil {
			for _, e := range job.Report.Errors {
				b.WriteString(fit(st.Error.Render(fmt.Sprintf("    %d × %s (e.g. %s)", e.Count, line(e.Reason), line(e.Example))), w) + "\n")
			}
		}
	}
	return b.String()
}
