package cli

import (
	"fmt"
	"time"

	"github.com/charmbracelet/bubbles/progress"
	"github.com/muesli/termenv"

	"github.com/popi-tui/popi-tui/themes"
)

// progressReport shows how far a bulk command is: a bar redrawn in place
// on a terminal, else a plain line now and then (logs stay readable).
type progressReport struct {
	c           *runContext
	name        string
	total       int64 // bytes; -1 when unknown (standard input)
	start, last time.Time
	bar         progress.Model
	shown       bool
}

const (
	barInterval  = 100 * time.Millisecond
	lineInterval = 5 * time.Second
)

func (c *runContext) newProgress(name string, total int64) *progressReport {
	p := &progressReport{c: c, name: name, total: total, start: time.Now()}
	p.last = p.start
	if c.StderrIsTerminal {
		opts := []progress.Option{progress.WithWidth(30)}
		if themes.ColorDisabled(c.Getenv) {
			opts = append(opts, progress.WithColorProfile(termenv.Ascii), progress.WithFillCharacters('#', '.'))
		} else if t, err := themes.Lookup(c.theme); err == nil {
			opts = append(opts, progress.WithSolidFill(t.Accent))
		}
		p.bar = progress.New(opts...)
	}
	return p
}

// update takes the number of bytes consumed so far.
func (p *progressReport) update(n int64) {
	now := time.Now()
	interval := lineInterval
	if p.c.StderrIsTerminal {
		interval = barInterval
	}
	if now.Sub(p.last) < interval {
		return
	}
	p.last = now
	rate := float64(n) / now.Sub(p.start).Seconds() / 1e6
	switch {
	case p.c.StderrIsTerminal && p.total > 0:
		p.c.eprintf("\r\x1b[2K%s %s %.1f MB/s", p.name, p.bar.ViewAs(float64(n)/float64(p.total)), rate)
	case p.c.StderrIsTerminal:
		p.c.eprintf("\r\x1b[2K%s: %.1f MB read, %.1f MB/s", p.name, float64(n)/1e6, rate)
	case p.total > 0:
		p.c.eprintf("%s: %.0f%% (%.1f of %.1f MB, %.1f MB/s)\n", p.name, 100*float64(n)/float64(p.total), float64(n)/1e6, float64(p.total)/1e6, rate)
	default:
		p.c.eprintf("%s: %.1f MB read (%.1f MB/s)\n", p.name, float64(n)/1e6, rate)
	}
	p.shown = true
}

// done clears the bar, so that the final report starts on a clean line.
func (p *progressReport) done() {
	if p.shown && p.c.StderrIsTerminal {
		fmt.Fprint(p.c.Stderr, "\r\x1b[2K")
	}
}
