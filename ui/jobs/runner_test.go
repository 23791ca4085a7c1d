package jobs

import (
	"context"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// goCmds runs a batch's commands on goroutines of their own, dropping
// their messages: a job, outside a program.
func goCmds(cmd tea.Cmd) {
	for _, c := range cmd().(tea.BatchMsg) {
		go c()
	}
}

// The same job is not started twice while it runs (i pressed twice must
// not summarize every user twice); once it has finished it can be.
func TestJobsAreNotStartedTwice(t *testing.T) {
	jobs := NewRunner(nil)
	release := make(chan struct{})
	run := func(ctx context.Context, p func(engine.Progress)) (engine.Report, error) {
		<-release
		return engine.Report{Progress: engine.Progress{Total: 1, Done: 1}}, nil
	}
	first, cmd, ok := jobs.start("infer all", "infer summaries via popi", run)
	if !ok || cmd == nil {
		t.Fatal("the first job did not start")
	}
	goCmds(cmd)
	if again, cmd, ok := jobs.start("infer all", "infer summaries via popi", run); ok || cmd != nil || again != first {
		t.Fatalf("the same job started twice (ok %v)", ok)
	}
	other, cmd, ok := jobs.start("generate all", "generate via alpha", run)
	if !ok || other == first {
		t.Fatal("another job did not start")
	}
	goCmds(cmd)
	if msg := jobs.started(first, nil, false)(); msg.(screen.NoticeMsg).Text != "infer summaries via popi is already running (J shows it)" {
		t.Errorf("notice: %+v", msg)
	}
	close(release)
	<-first.finished
	jobs.Update(screen.JobDoneMsg{ID: first.ID})
	if _, _, ok := jobs.start("infer all", "infer summaries via popi", run); !ok {
		t.Error("a finished job cannot be run again")
	}
	if !jobs.CancelAll(5 * time.Second) {
		t.Error("CancelAll did not see the jobs return")
	}
}

// i on a user whom a running inference job will summarize does not start
// a second summary of them.
func TestJobsInferringCoversItsUsers(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	run := func(ctx context.Context, p func(engine.Progress)) (engine.Report, error) {
		<-release
		return engine.Report{}, nil
	}
	tests := []struct {
		name       string
		opt        engine.InferOptions
		user       string
		hasSummary bool
		covered    bool
	}{
		{"missing, user without", engine.InferOptions{Missing: true}, "ann", false, true},
		{"missing, user with", engine.InferOptions{Missing: true}, "ann", true, false},
		{"all users", engine.InferOptions{Force: true}, "ann", true, true},
		{"listed", engine.InferOptions{Users: []string{"ann"}}, "ann", true, true},
		{"not listed", engine.InferOptions{Users: []string{"bob"}}, "ann", false, false},
	}
	for _, tt := range tests {
		jobs := NewRunner(nil)
		job, _, _ := jobs.start("infer", "infer", run) // never run: nothing to wait for
		job.infer = &tt.opt
		if got, ok := jobs.Inferring(tt.user, tt.hasSummary); ok != tt.covered {
			t.Errorf("%s: Inferring = %q, want covered %v", tt.name, got, tt.covered)
		}
		job.Report = &engine.Report{} // finished
		if _, ok := jobs.Inferring(tt.user, tt.hasSummary); ok {
			t.Errorf("%s: a finished job still covers %s", tt.name, tt.user)
		}
	}
}
