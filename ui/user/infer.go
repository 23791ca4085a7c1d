package user

// Inferring a summary: the request streams its text (screen.Stream) into
// the summary pane here, into a preview on the Edit screen.

import (
	"context"
	"fmt"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// infer streams a new version from the default summarizer into the
// summary pane; the engine stores it.
func (s *Screen) infer() tea.Cmd {
	if s.inference != nil {
		return screen.Notice("already inferring a summary for " + s.user)
	}
	// Two summaries at once would both be stored, as two versions.
	if job, ok := s.ctx.Jobs.Inferring(s.user, len(s.versions) > 0); ok {
		return screen.Notice("the running job " + job + " summarizes " + s.user + " (J shows it)")
	}
	backend := s.ctx.Engine.DefaultBackend(engine.RoleSummarizer)
	if backend == "" {
		return screen.Failed(fmt.Errorf("no summarizer is configured"))
	}
	var cmd tea.Cmd
	s.inference, cmd = startInference(s.ctx.Engine, s.user, backend)
	s.diff, s.choosing, s.focus = false, false, userPaneSummary
	s.renderSummary()
	return tea.Batch(cmd, screen.Notice("inferring a summary of "+s.user+" via "+backend))
}

// inferred ends the inference: the summary it stored, or why not.
func (s *Screen) inferred(sum store.Summary, err error) tea.Cmd {
	backend := s.inference.backend
	s.inference = nil
	if err != nil {
		s.renderSummary()
		return screen.Failed(fmt.Errorf("infer a summary of %s via %s: %w", s.user, backend, err))
	}
	// The version is stored: show it now, and let the reload that
	// DataChanged brings confirm it.
	s.addVersion(sum)
	s.selVersion = 0
	s.renderSummary()
	s.summary.GotoTop()
	return tea.Batch(screen.Notice(fmt.Sprintf("saved v%d of %s's summary (%s)", sum.Version, s.user, sum.Source)), screen.DataChanged)
}

// inference is a summary being inferred: its stream, the summarizer
// asked and the text so far. The User screen shows it in the summary pane,
// the Edit screen as a preview; the engine stores the summary at its end.
type inference struct {
	stream  *screen.Stream
	backend string
	text    string
}

// startInference starts streaming a summary of user by backend; the command runs
// the request and reads its first text.
func startInference(e *engine.Engine, user, backend string) (*inference, tea.Cmd) {
	st, run := screen.Start(context.Background(), func(ctx context.Context, onDelta func(engine.Delta)) (store.Summary, error) {
		return e.Summarize(ctx, user, backend, onDelta)
	})
	return &inference{stream: st, backend: backend}, tea.Batch(run, st.Read())
}

// owns reports whether st is the inference's stream (a screen without an
// inference owns none: every screen sees every stream's messages).
func (in *inference) owns(st *screen.Stream) bool { return in != nil && in.stream == st }
