package cli

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/pflag"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/sanitize"
)

// infer's and generate's batch files: --batch-out FILE writes the requests
// the command would send as an OpenAI Batch input file (for vllm run-batch
// or a hosted batch API), --batch-in RESULTS... stores the answers of the
// runner's output files as if they had been fetched live.

// batchFlags are --batch-out and --batch-in.
type batchFlags struct {
	out string
	in  bool
}

func (f *batchFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.out, "batch-out", "", "write the requests to `FILE` as an OpenAI Batch input file (vllm run-batch -i FILE), instead of sending them")
	fs.BoolVar(&f.in, "batch-in", false, "store the answers of the batch runner's output files given as arguments (- for standard input)")
}

// check refuses what does not go together: both flags, results files
// without --batch-in, --batch-in without them, and (listed in
// notWithIn) flags whose choice the results files already made.
func (f *batchFlags) check(name string, args []string, notWithIn map[string]bool) error {
	switch {
	case f.out != "" && f.in:
		return usagef("--batch-out writes requests and --batch-in reads their results: give one")
	case !f.in && len(args) > 0:
		return usagef("%s takes no arguments (name users with --user)", name)
	case f.in && len(args) == 0:
		return usagef("--batch-in: no results files (give the batch runner's output files, or - for standard input)")
	}
	if f.in {
		for flag, given := range notWithIn {
			if given {
				return usagef("--%s does not apply to --batch-in: each result's custom_id names its request", flag)
			}
		}
	}
	return nil
}

// writeBatchOut writes the batch input file (replaced only once complete,
// as an export's) and says what it holds.
func (c *runContext) writeBatchOut(ctx context.Context, w *workspace, path, what string, out func(ctx context.Context, w io.Writer, progress func(engine.Progress)) (engine.Report, error)) error {
	var rep engine.Report
	p := w.progress(what)
	write := func(fw io.Writer) (err error) {
		rep, err = out(ctx, ctxWriter{ctx, fw}, p.items)
		if err == nil && rep.Interrupted {
			err = ctx.Err() // half a file is no batch: it is not put in place
		}
		return err
	}
	var err error
	if path == "-" {
		err = write(c.Stdout)
	} else {
		err = store.WriteFileAtomicContext(ctx, path, write)
	}
	p.done()
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%s interrupted; %s was not written", what, sanitize.Line(path))
		}
		return err
	}
	c.eprintf("%s: wrote %d request(s) to %s, %d skipped (already done), %d failed of %d\n",
		what, rep.Done, sanitize.Line(path), rep.Skipped, rep.Failed, rep.Total)
	for _, e := range rep.Errors {
		c.eprintf("  %s\n", failureCount(e.Count, e.Reason, e.Example))
	}
	return runFailure(what, rep)
}

// readBatchIn stores the answers of results files and reports what was
// stored, what was there already, the errors of the results by reason and
// the refused lines by FILE:LINE.
func (c *runContext) readBatchIn(ctx context.Context, w *workspace, e *engine.Engine, paths []string, opt engine.BatchInOptions, what string) error {
	var files []engine.BatchFile
	for _, path := range paths {
		if path == "-" {
			files = append(files, engine.BatchFile{Name: "stdin", R: c.Stdin})
			continue
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		files = append(files, engine.BatchFile{Name: path, R: f})
	}
	p := w.progress(what)
	rep, err := e.BatchIn(ctx, files, opt, p.items)
	p.done()
	if err := c.printBatchIn(what, rep); err != nil {
		return err
	}
	switch {
	case err != nil:
		return err
	case rep.Interrupted:
		return fmt.Errorf("%s interrupted; what was stored is kept, and reading the same files again resumes", what)
	case rep.Failed > 0 || rep.Refused > 0:
		return fmt.Errorf("%s: %d error(s) in the results and %d refused line(s): nothing of them was stored", what, rep.Failed, rep.Refused)
	}
	return nil
}

// printBatchIn says what reading results stored, refused and why.
func (c *runContext) printBatchIn(what string, rep engine.BatchInReport) error {
	if c.out.asJSON {
		j := newBulkJSON(what, rep.Report)
		j.Refused, j.Problems = &rep.Refused, rep.Problems
		return c.printJSON(j)
	}
	c.printf("%s: %d result(s): %d stored, %d already stored, %d error(s) in the results, %d refused\n",
		what, rep.Total, rep.Done, rep.Skipped, rep.Failed, rep.Refused)
	for _, e := range rep.Errors {
		c.eprintf("  %s\n", failureCount(e.Count, e.Reason, e.Example))
	}
	for _, p := range rep.Problems { // names files and quotes custom_ids: untrusted
		c.eprintf("%s\n", sanitize.Line(p))
	}
	if more := rep.Refused - len(rep.Problems); more > 0 {
		c.eprintf("… and %d more refused line(s)\n", more)
	}
	return nil
}
