package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
)

// exportKinds lists what can be exported, its formats (the first is the
// default) and how to write it.
var exportKinds = map[string]struct {
	formats []string
	write   func(c *runContext, db *store.DB, w io.Writer, format string, conversational bool) (int, error)
}{
	"labels": {
		formats: []string{store.LabelsRaw, store.LabelsDPO, store.LabelsKTO},
		write: func(_ *runContext, db *store.DB, w io.Writer, format string, conversational bool) (int, error) {
			return db.ExportLabels(w, store.LabelExport{Format: format, Conversational: conversational})
		},
	},
	"summaries": {
		formats: []string{store.SummariesSFT, store.SummariesPairs},
		write: func(c *runContext, db *store.DB, w io.Writer, format string, _ bool) (int, error) {
			var noHistory []string
			input := func(user string, signals []store.Signal) (string, error) {
				in, err := engine.SummarizerInput(user, signals)
				if errors.Is(err, store.ErrNoHistory) {
					noHistory = append(noHistory, user)
				}
				return in, err
			}
			n, err := db.ExportSummaries(w, format, input)
			if len(noHistory) > 0 {
				names := strings.Join(noHistory[:min(len(noHistory), 5)], ", ")
				if len(noHistory) > 5 {
					names += ", …"
				}
				c.eprintf("left out %d user(s) with a human summary but no history to pair it with: %s\n", len(noHistory), names)
			}
			return n, err
		},
	},
	"users": {
		formats: []string{store.UsersPopi},
		write: func(_ *runContext, db *store.DB, w io.Writer, _ string, _ bool) (int, error) {
			return db.ExportUsers(w)
		},
	},
}

func exportCommand() *command {
	var (
		format, out    string
		conversational bool
	)
	return &command{
		name:    "export",
		args:    "labels|summaries|users",
		summary: "write labels, summaries or users as JSONL for training code",
		help: `
labels     --format raw (default): the current label records (newest decision
           per annotator and item, retractions applied);
           dpo: TRL preference rows {"prompt","chosen","rejected",…}, one per
           decisive pair (ties, all-bad and skips are left out);
           kto: TRL rows {"prompt","completion","label"}.
           --conversational writes prompts and answers as message lists.
summaries  --format sft (default): {"prompt": summarizer input,
           "completion": the latest human-edited summary};
           pairs: {"prompt","chosen": human summary,"rejected": the model
           summary it replaced}.
users      --format popi (default): every user's records as popi JSONL.

Without -o (or with -o -) rows go to standard output. A file given with -o
is replaced only once the export is complete.`,
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&format, "format", "", "output format (see above)")
			fs.StringVar(&out, "o", "-", "output `file`, - for standard output")
			fs.BoolVar(&conversational, "conversational", false, "labels dpo/kto: prompts and answers as {role, content} message lists")
		},
		run: func(ctx context.Context, c *runContext, args []string) error {
			if len(args) != 1 {
				return usagef("say what to export: labels, summaries or users")
			}
			kind, ok := exportKinds[args[0]]
			if !ok {
				return usagef("cannot export %q (want labels, summaries or users)", args[0])
			}
			if format == "" {
				format = kind.formats[0]
			}
			if !slices.Contains(kind.formats, format) {
				return usagef("%s cannot be exported as %q (formats: %v)", args[0], format, kind.formats)
			}
			if conversational && (args[0] != "labels" || format == store.LabelsRaw) {
				return usagef("--conversational applies to labels in dpo or kto format only")
			}
			db, err := c.openDB()
			if err != nil {
				return err
			}
			defer db.Close()
			var n int
			write := func(w io.Writer) (err error) {
				n, err = kind.write(c, db, ctxWriter{ctx, w}, format, conversational)
				return err
			}
			if out == "-" {
				return write(c.Stdout)
			}
			if err := store.WriteFileAtomic(out, write); err != nil {
				return err
			}
			c.eprintf("wrote %d row(s) of %s (%s) to %s\n", n, args[0], format, out)
			return nil
		},
	}
}

// ctxWriter stops a streaming export when ctx is cancelled (Ctrl-C), so
// that an export to a file is abandoned rather than finished.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (w ctxWriter) Write(p []byte) (int, error) {
	if err := w.ctx.Err(); err != nil {
		return 0, fmt.Errorf("export interrupted: %w", err)
	}
	return w.w.Write(p)
}
