package export

import (
	"context"
	"fmt"
	"io"

	"github.com/popi-tui/popi-tui/store/format/popi"
	"github.com/popi-tui/popi-tui/store/format/trl"
	"github.com/popi-tui/popi-tui/ui/exportreport"
)

// job is the export chosen, as a function of the writer that returns its
// report: everything it needs is taken now, in Update, so that the
// command reads nothing of the screen.
func (s *Screen) job() func(w io.Writer) ([]string, error) {
	k, db, eng := kinds[s.kind], s.ctx.DB, s.ctx.Engine
	var asked []string
	if s.mine {
		asked = []string{s.ctx.Annotator}
	}
	switch k.what {
	case "labels":
		opt := trl.LabelExport{Format: k.format, Annotators: asked, Resolve: trl.ResolveAll, Seed: trl.DefaultExportSeed}
		return func(w io.Writer) ([]string, error) {
			rep, err := trl.ExportLabels(db, w, opt)
			return exportreport.Labels(rep, k.format, asked), err
		}
	case "summaries":
		opt := trl.SummaryExport{Format: k.format}
		if eng != nil {
			// A prompt that must be rebuilt is built as infer would build
			// it now, as the command line does.
			opt.Input = eng.SummarizerPrompt().Input
		}
		return func(w io.Writer) ([]string, error) {
			rep, err := trl.ExportSummaries(db, w, opt)
			return exportreport.Summaries(rep, k.format), err
		}
	}
	return func(w io.Writer) ([]string, error) {
		rep, err := popi.WriteUsers(w, db.EachSignal)
		return exportreport.Users(rep), err
	}
}

// ctxWriter stops an export when ctx is cancelled (the screen closed), so
// that the file is abandoned rather than finished.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (w ctxWriter) Write(p []byte) (int, error) {
	if err := w.ctx.Err(); err != nil {
		return 0, fmt.Errorf("export stopped: %w", err)
	}
	return w.w.Write(p)
}
