package jobs_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/ui/jobs"
	"github.com/popi-tui/popi-tui/ui/screen"
	"github.com/popi-tui/popi-tui/ui/uitest"
)

// The Jobs list scrolls to keep the cursor's job in view; x on a finished
// job says so; esc goes back.
func TestJobsScreenScrollsAndSays(t *testing.T) {
	env := uitest.New(t, 60, 20, uitest.Options{})
	for i := range 12 {
		job, cmd, _ := env.Jobs.Start(fmt.Sprint(i), fmt.Sprintf("job number %d", i), func(ctx context.Context, p func(engine.Progress)) (engine.Report, error) {
			return engine.Report{Progress: engine.Progress{Total: 1, Done: 1}}, nil
		})
		env.Run(cmd)
		env.Settle()
		if job.Running() {
			t.Fatalf("job %d did not finish", i)
		}
	}
	s := jobs.NewScreen(env.Ctx, env.Jobs)
	env.Open(s)
	for range 11 {
		env.Press("down")
	}
	v := env.View()
	uitest.CheckFrame(t, v, 60, 20)
	uitest.WantIn(t, v, "› job number 11 — finished")
	uitest.WantNotIn(t, v, "job number 0 ")
	env.Press("x")
	uitest.WantIn(t, env.View(), "job number 11 has finished already")
	env.Press("esc")
	if env.Top() == screen.Screen(s) {
		t.Error("esc did not close the Jobs screen")
	}
}
