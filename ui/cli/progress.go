package cli

import (
	"fmt"
	"sync"
	"time"

	"github.com/charmbracelet/bubbles/progress"
	"github.com/muesli/termenv"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/themes"
	"github.com/popi-tui/popi-tui/ui/sanitize"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// progressReport shows how far a bulk command is: a bar redrawn in place
// on a terminal, else a plain line now and then (logs stay readable).
// Notices printed while it runs go above the bar. Safe for concurrent use.
type progressReport struct {
	c           *runContext
	name        string
	mu          sync.Mutex
	start, last time.Time
	bar         progress.Model
	shown       bool // a bar is on the screen
}

const (
	barInterval  = 100 * time.Millisecond
	lineInterval = 5 * time.Second
)

func (c *runContext) newProgress(name string) *progressReport {
	p := &progressReport{c: c, name: sanitize.Line(name), start: time.Now()} // a file name, say
	p.last = p.start
	if !c.StderrIsTerminal {
		return p
	}
	// Themed as the UI's progress bars are; an unknown --theme keeps
	// bubbles' own colours (the theme is looked up only with colour on: it
	// may ask the terminal for its background).
	opts := []progress.Option{progress.WithWidth(30)}
	disabled, forced := colorChoice(c.Getenv)
	if forced {
		opts = append(opts, progress.WithColorProfile(termenv.ANSI256))
	}
	if disabled {
		p.bar = screen.ProgressBar(themes.Theme{}, true, opts...)
	} else if t, err := themes.Lookup(c.theme); err == nil {
		p.bar = screen.ProgressBar(t, false, opts...)
	} else {
		p.bar = progress.New(opts...)
	}
	return p
}

// show draws the state: on a terminal the bar (with its percentage) and
// line, elsewhere plain every few seconds. fraction < 0 means the total
// is unknown.
func (p *progressReport) show(fraction float64, line, plain string) {
	if p.c.out.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	interval := lineInterval
	if p.c.StderrIsTerminal {
		interval = barInterval
	}
	if now.Sub(p.last) < interval {
		return
	}
	p.last = now
	switch {
	case p.c.StderrIsTerminal && fraction >= 0:
		p.c.eprintf("\r\x1b[2K%s %s %s", p.name, p.bar.ViewAs(fraction), line)
		p.shown = true
	case p.c.StderrIsTerminal:
		p.c.eprintf("\r\x1b[2K%s: %s", p.name, line)
		p.shown = true
	default:
		p.c.eprintf("%s: %s\n", p.name, plain)
	}
}

// bytes reports an import: n of total bytes (total -1: unknown).
func (p *progressReport) bytes(n, total int64) {
	rate := float64(n) / time.Since(p.start).Seconds() / 1e6
	if total > 0 {
		p.show(float64(n)/float64(total), fmt.Sprintf("%.1f MB/s", rate),
			fmt.Sprintf("%.0f%% (%.1f of %.1f MB, %.1f MB/s)", 100*float64(n)/float64(total), float64(n)/1e6, float64(total)/1e6, rate))
		return
	}
	line := fmt.Sprintf("%.1f MB read, %.1f MB/s", float64(n)/1e6, rate)
	p.show(-1, line, line)
}

// items reports a bulk run of a batch runner.
func (p *progressReport) items(pr engine.Progress) {
	finished := pr.Done + pr.Skipped + pr.Failed
	fraction := 0.0
	if pr.Total > 0 {
		fraction = float64(finished) / float64(pr.Total)
	}
	line := fmt.Sprintf("%d/%d · %d done · %d skipped · %d failed · %.1f req/s", finished, pr.Total, pr.Done, pr.Skipped, pr.Failed,
		float64(pr.Requests)/max(pr.Elapsed.Seconds(), 1e-9))
	p.show(fraction, line, fmt.Sprintf("%.0f%% %s", 100*fraction, line))
}

// notice prints a line above the bar.
func (p *progressReport) notice(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		p.c.eprintf("\r\x1b[2K")
	}
	p.c.eprintf("popi-tui: %s\n", sanitize.Line(msg))
	p.last = time.Time{} // redraw the bar at the next update
}

// done clears the bar, so that the final report starts on a clean line.
func (p *progressReport) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shown {
		p.c.eprintf("\r\x1b[2K")
		p.shown = false
	}
}
