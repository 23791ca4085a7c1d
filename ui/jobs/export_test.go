package jobs

import (
	"context"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/engine"
)

// What the external tests (package jobs_test, which can use uitest) need
// of the runner's insides.

func (j *Runner) Start(what, title string, run func(context.Context, func(engine.Progress)) (engine.Report, error)) (*Job, tea.Cmd, bool) {
	return j.start(what, title, run)
}

func (job *Job) Running() bool { return job.running() }
