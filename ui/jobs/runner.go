// Package jobs runs the bulk jobs started from the UI (infer every missing
// summary, generate every answer) and is the Jobs screen that lists them.
package jobs

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// Runner runs the bulk inference and generation jobs started from the UI.
// Each runs in a command of its own (the engine's batch runner) and reports
// progress as messages; the root gives the runner every message.
type Runner struct {
	engine *engine.Engine
	list   []*Job
	next   int
}

// NewRunner makes the runner of e's bulk jobs.
func NewRunner(e *engine.Engine) *Runner { return &Runner{engine: e} }

// Job is one bulk run.
type Job struct {
	ID       int
	Title    string
	what     string               // what it does, exactly: the same job is not run twice at once
	infer    *engine.InferOptions // an inference job's options (nil for others)
	Started  time.Time
	Progress engine.Progress
	Report   *engine.Report // when finished
	Err      error
	cancel   context.CancelFunc
	updates  chan engine.Progress // the latest progress (capacity 1)
	finished chan struct{}        // closed when its run returns
	begun    atomic.Bool          // its command runs (a program quitting may never run it)
}

// progressMsg is a job's latest progress; its end is a screen.JobDoneMsg,
// which the screens showing what jobs store handle too.
type progressMsg struct {
	id int
	p  engine.Progress
}

// Jobs lists every job, oldest first.
func (j *Runner) Jobs() []*Job { return j.list }

// Running is the number of jobs not finished.
func (j *Runner) Running() int {
	n := 0
	for _, job := range j.list {
		if job.running() {
			n++
		}
	}
	return n
}

func (job *Job) running() bool { return job.Report == nil && job.Err == nil }

// start adds a job and returns the commands that run it and watch its
// progress. A job doing what a running one does is not started (pressing
// i twice must not summarize every user twice): the running one is
// returned with started false.
func (j *Runner) start(what, title string, run func(ctx context.Context, progress func(engine.Progress)) (engine.Report, error)) (job *Job, cmd tea.Cmd, started bool) {
	for _, job := range j.list {
		if job.what == what && job.running() {
			return job, nil, false
		}
	}
	j.next++
	ctx, cancel := context.WithCancel(context.Background())
	job = &Job{ID: j.next, Title: title, what: what, Started: time.Now(), cancel: cancel,
		updates: make(chan engine.Progress, 1), finished: make(chan struct{})}
	j.list = append(j.list, job)
	runCmd := func() tea.Msg {
		job.begun.Store(true)
		defer close(job.finished)
		if ctx.Err() != nil { // cancelled before it began
			return screen.JobDoneMsg{ID: job.ID, Report: engine.Report{Interrupted: true}}
		}
		rep, err := run(ctx, func(p engine.Progress) {
			select { // keep only the latest
			case <-job.updates:
			default:
			}
			job.updates <- p
		})
		return screen.JobDoneMsg{ID: job.ID, Report: rep, Err: err}
	}
	return job, tea.Batch(runCmd, job.wait()), true
}

// wait is the command that reads the job's next progress report; the
// message handler issues it again until the job is finished.
func (job *Job) wait() tea.Cmd {
	return func() tea.Msg {
		select {
		case p := <-job.updates:
			return progressMsg{job.ID, p}
		case <-job.finished:
			return nil
		}
	}
}

// InferMissing summarizes every user without a summary, with the default
// summarizer, in the background.
func (j *Runner) InferMissing() tea.Cmd {
	e := j.engine
	backend := e.DefaultBackend(engine.RoleSummarizer)
	if backend == "" {
		return screen.Failed(fmt.Errorf("no summarizer is configured"))
	}
	return j.StartInfer(engine.InferOptions{Backend: backend, Missing: true, Concurrency: e.Config().Concurrency})
}

// StartInfer infers summaries in the background.
func (j *Runner) StartInfer(opt engine.InferOptions) tea.Cmd {
	what := fmt.Sprintf("infer %q missing=%v force=%v %q", opt.Backend, opt.Missing, opt.Force, opt.Users)
	title := "infer summaries via " + opt.Backend
	if len(opt.Users) == 1 {
		title = "infer " + opt.Users[0] + " via " + opt.Backend
	}
	job, cmd, ok := j.start(what, title, func(ctx context.Context, p func(engine.Progress)) (engine.Report, error) {
		return j.engine.InferAll(ctx, opt, p)
	})
	job.infer = &opt
	return j.started(job, cmd, ok)
}

// Inferring names the running inference job that will summarize user
// (hasSummary: the user has a summary now, which a job inferring missing
// summaries passes over).
func (j *Runner) Inferring(user string, hasSummary bool) (title string, ok bool) {
	for _, job := range j.list {
		if job.infer == nil || !job.running() || (job.infer.Missing && hasSummary) {
			continue
		}
		if len(job.infer.Users) == 0 || slices.Contains(job.infer.Users, user) {
			return job.Title, true
		}
	}
	return "", false
}

// Generate answers every task and held-out prompt with what spec
// compares, in the background.
func (j *Runner) Generate(spec screen.CompareSpec) tea.Cmd {
	if spec.Summaries() {
		return screen.Notice("nothing to generate: the comparison (" + spec.String() + ") is of summaries, which i infers")
	}
	var backends, conditions []string
	for _, c := range spec.Candidates {
		if c.Replay != "" {
			continue // a replayed answer is in the data already
		}
		if !slices.Contains(backends, c.Backend) {
			backends = append(backends, c.Backend)
		}
		if !slices.Contains(conditions, c.Condition) {
			conditions = append(conditions, c.Condition)
		}
	}
	if len(backends) == 0 {
		return screen.Notice("nothing to generate: the comparison (" + spec.Comparison() + ") replays answers from the data")
	}
	return j.StartGenerate(engine.GenerateOptions{Backends: backends, Conditions: conditions, Concurrency: j.engine.Config().Concurrency})
}

// StartGenerate generates answers in the background.
func (j *Runner) StartGenerate(opt engine.GenerateOptions) tea.Cmd {
	what := fmt.Sprintf("generate %q %q %q", opt.Backends, opt.Conditions, opt.Users)
	title := "generate via " + strings.Join(opt.Backends, ", ")
	if len(opt.Conditions) > 0 {
		title += " (" + strings.Join(opt.Conditions, ", ") + ")"
	}
	return j.started(j.start(what, title, func(ctx context.Context, p func(engine.Progress)) (engine.Report, error) {
		return j.engine.GenerateAll(ctx, opt, p)
	}))
}

// started is the commands of a job just started, and a notice saying so;
// or, for a job that was already running, a notice saying that.
func (j *Runner) started(job *Job, cmd tea.Cmd, ok bool) tea.Cmd {
	if !ok {
		return screen.Notice(job.Title + " is already running (J shows it)")
	}
	return tea.Batch(cmd, screen.Notice(job.Title+" started (J shows it)"))
}

// Update takes the jobs' messages.
func (j *Runner) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case progressMsg:
		// A report read just before the job finished is older than the
		// finished job's own.
		if job := j.find(msg.id); job != nil && job.running() {
			job.Progress = msg.p
			return job.wait()
		}
	case screen.JobDoneMsg:
		if job := j.find(msg.ID); job != nil {
			job.Progress = msg.Report.Progress
			job.Report, job.Err = &msg.Report, msg.Err
			job.cancel()
			return screen.Notice(job.summary())
		}
	}
	return nil
}

func (j *Runner) find(id int) *Job {
	for _, job := range j.list {
		if job.ID == id {
			return job
		}
	}
	return nil
}

// Cancel stops a job; what it finished is kept.
func (j *Runner) Cancel(id int) {
	if job := j.find(id); job != nil {
		job.cancel()
	}
}

// CancelAll stops every job (on quit) and waits up to timeout for them to
// return: what they finished is stored by then, before the database is
// closed. It reports whether they all returned.
func (j *Runner) CancelAll(timeout time.Duration) bool {
	for _, job := range j.list {
		job.cancel()
	}
	deadline := time.After(timeout)
	for _, job := range j.list {
		if !job.begun.Load() {
			continue
		}
		select {
		case <-job.finished:
		case <-deadline:
			return false
		}
	}
	return true
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
