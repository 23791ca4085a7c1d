package cli

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/spf13/pflag"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/format"
	"github.com/popi-tui/popi-tui/store/format/popi"
	"github.com/popi-tui/popi-tui/store/format/trl"
	"github.com/popi-tui/popi-tui/ui/sanitize"
)

// exportOptions are the export command's flags.
type exportOptions struct {
	format, out         string
	plain, conversation bool
	seed                uint64
	annotators          listFlag
	resolve             string
	json                bool
	// pairs and summarizer: the condition and split of pairs, and whose
	// wording renders the prompts.
	condition, split, backend string
}

// exportKind is one thing that can be exported: its formats (the first is
// the default) and how to write it, returning the report to print.
type exportKind struct {
	formats []string
	write   func(c *runContext, ws *workspace, w io.Writer, o *exportOptions) (exportReport, error)
}

var exportKinds = map[string]exportKind{
	"labels": {
		formats: []string{trl.LabelsRaw, trl.LabelsDPO, trl.LabelsKTO},
		write: func(_ *runContext, ws *workspace, w io.Writer, o *exportOptions) (exportReport, error) {
			opt := trl.LabelExport{Format: o.format, Plain: o.plain, Resolve: o.resolve, Seed: o.seed}
			if !slices.Equal(o.annotators, []string{"all"}) {
				opt.Annotators = o.annotators
			}
			rep, err := trl.ExportLabels(ws.db, w, opt)
			return labelsReport{rep, opt.Annotators}, err
		},
	},
	"summaries": {
		formats: []string{trl.SummariesSFT, trl.SummariesPairs},
		write: func(c *runContext, ws *workspace, w io.Writer, o *exportOptions) (exportReport, error) {
			// A prompt that must be rebuilt is built as infer would build it now.
			cfg, err := c.loadConfig()
			if err != nil {
				return nil, err
			}
			input := cfg.SummarizerPrompt().Input
			rep, err := trl.ExportSummaries(ws.db, w, trl.SummaryExport{Format: o.format, Conversational: o.conversation, Input: input})
			return summariesReport(rep), err
		},
	},
	"users": {
		formats: []string{string(format.Popi)},
		write: func(_ *runContext, ws *workspace, w io.Writer, _ *exportOptions) (exportReport, error) {
			rep, err := popi.WriteUsers(w, ws.db.EachSignal)
			return usersReport(rep), err
		},
	},
	"pairs": {
		formats: []string{trl.PairsDPO, trl.PairsKTO},
		write:   exportPairs,
	},
	"summarizer": {
		formats: []string{trl.SummarizerGRPO},
		write:   exportSummarizer,
	},
}

// exportHelp is export --help's text after the usage line.
const exportHelp = `
labels     --format raw (default): the current label records (newest decision
           per annotator and item, retractions applied);
           dpo: TRL preference rows {"prompt","chosen","rejected",…}, one per
           decisive pair (ties, all-bad and skips are left out);
           kto: TRL rows {"prompt","completion","label"}, shuffled (--seed).
           Prompts are the {role, content} messages the generator was sent
           and answers one-message assistant lists; --plain writes strings
           (the system turn in a "system" column) for tools that apply their
           own chat template.
           --annotators NAME,… exports those annotators' decisions only;
           --resolve majority|newest|drop gives each item that several
           annotators decided differently one decision, or none.
summaries  --format sft (default): {"prompt": the summarizer's input,
           "completion": the latest human-edited summary};
           pairs: {"prompt","chosen": human summary,"rejected": the model
           summary it replaced}, and the pairs of every current decision
           between summaries (--compare summaries in the UI).
           Strings (--plain); --conversational writes message lists.
users      --format popi (default): every user's records as popi JSONL.
pairs      the generator's training data from the dataset's own pairs of
           --split heldout (default), history or all: --format dpo
           (default), one row per pair, or kto, two (chosen true, rejected
           false), shuffled (--seed). The prompt is what the generator is
           sent under --condition summary (default: the user's current
           summary; users without one are left out), raw or none.
summarizer --format grpo: one row per held-out pair, {"prompt": what the
           summarizer is sent for the user now, "question","chosen",
           "rejected": the pair, for the reward, "user","dataset",…}.
           pairs and summarizer word prompts with --backend's template set
           (default: the first configured model generator or summarizer,
           else the configuration's set); message lists, or --plain.

Without -o (or with -o -) rows go to standard output. A file given with -o
is replaced only once the export is complete. What was written and left out
is reported on standard error (--json: as one JSON object, on standard
output when the rows go to -o FILE).`

// exportWhat lists what can be exported, for messages.
const exportWhat = "labels, summaries, users, pairs or summarizer"

func exportCommand() *command {
	o := &exportOptions{}
	return &command{
		name:    "export",
		uses:    useDB | useConfig,
		args:    "labels|summaries|users|pairs|summarizer",
		valid:   []string{"labels", "summaries", "users", "pairs", "summarizer"},
		summary: "write labels, summaries, users or training data as JSONL for training code",
		help:    exportHelp,
		// Rows are built and dropped by the million over a heap of a few MiB.
		garbageHeavy: true,
		flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&o.format, "format", "", "output format (see above)")
			fs.StringVarP(&o.out, "output", "o", "-", "output `file`, - for standard output")
			fs.BoolVar(&o.plain, "plain", false, "labels dpo/kto, summaries (its default), pairs, summarizer: prompts and answers as strings, the system turn apart")
			fs.BoolVar(&o.conversation, "conversational", false, "prompts and answers as {role, content} message lists (the default but for summaries)")
			fs.Uint64Var(&o.seed, "seed", trl.DefaultExportSeed, "labels and pairs in kto format: the `seed` of the row order")
			fs.Var(&o.annotators, "annotators", "labels: `all` or NAME,… whose decisions to export")
			fs.StringVar(&o.resolve, "resolve", trl.ResolveAll, "labels: an item several annotators decided differently: all, majority, newest or drop")
			fs.StringVar(&o.condition, "condition", "", "pairs: what the generator is given: summary (default), raw or none")
			fs.StringVar(&o.split, "split", "", "pairs: which pairs: heldout (default), history or all")
			fs.StringVar(&o.backend, "backend", "", "pairs, summarizer: the model backend `NAME` whose template set words the prompts")
			fs.BoolVar(&o.json, "json", false, "the report as one JSON object: on standard output with -o FILE, else on standard error (the rows are on standard output)")
		},
		run: func(ctx context.Context, c *runContext, args []string) error {
			if len(args) != 1 {
				return usagef("say what to export: %s", exportWhat)
			}
			what := args[0]
			kind, ok := exportKinds[what]
			if !ok {
				return usagef("cannot export %q (want %s)", sanitize.Line(what), exportWhat)
			}
			if err := o.check(what, kind); err != nil {
				return err
			}
			return c.withDB(func(w *workspace) error { return o.export(ctx, c, w, what, kind) })
		},
	}
}

// export writes what to -o (a file is replaced only once the export is
// complete) and reports what it wrote and left out.
func (o *exportOptions) export(ctx context.Context, c *runContext, ws *workspace, what string, kind exportKind) error {
	var rep exportReport
	write := func(w io.Writer) (err error) {
		rep, err = kind.write(c, ws, ctxWriter{ctx, w}, o)
		return err
	}
	var err error
	if o.out == "-" {
		err = write(c.Stdout)
	} else {
		err = store.WriteFileAtomicContext(ctx, o.out, write)
	}
	if err != nil {
		return err
	}
	c.printExportReport(what, o, rep)
	return nil
}

// check refuses flags that do not apply to what is exported, and fills in
// the defaults.
func (o *exportOptions) check(what string, kind exportKind) error {
	if o.format == "" {
		o.format = kind.formats[0]
	}
	if !slices.Contains(kind.formats, o.format) {
		return usagef("%s cannot be exported as %q (formats: %v)", what, sanitize.Line(o.format), kind.formats)
	}
	labelRows := what == "labels" && o.format != trl.LabelsRaw
	training := what == "pairs" || what == "summarizer"
	kto := (what == "labels" && o.format == trl.LabelsKTO) || (what == "pairs" && o.format == trl.PairsKTO)
	switch {
	case o.plain && o.conversation:
		return usagef("--plain and --conversational are opposites: give one")
	case o.plain && !labelRows && !training && what != "summaries":
		return usagef("--plain applies to labels in dpo or kto format, summaries, pairs and summarizer")
	case o.conversation && !labelRows && !training && what != "summaries":
		return usagef("--conversational applies to labels in dpo or kto format and to summaries (and is the default of pairs and summarizer)")
	case o.seed != trl.DefaultExportSeed && !kto:
		return usagef("--seed orders the rows of labels and pairs in kto format only")
	case what != "labels" && (len(o.annotators) > 0 || o.resolve != trl.ResolveAll):
		return usagef("--annotators and --resolve apply to labels only")
	case slices.Contains(o.annotators, "all") && len(o.annotators) > 1:
		return usagef("--annotators is all, or a list of names")
	}
	switch o.resolve {
	case trl.ResolveAll, trl.ResolveMajority, trl.ResolveNewest, trl.ResolveDrop:
	default:
		return usagef("--resolve %q: want all, majority, newest or drop", sanitize.Line(o.resolve))
	}
	return o.checkTraining(what, training)
}

// checkTraining checks the flags of the training-loop exports (pairs,
// summarizer).
func (o *exportOptions) checkTraining(what string, training bool) error {
	switch {
	case what != "pairs" && (o.condition != "" || o.split != ""):
		return usagef("--condition and --split apply to pairs only")
	case !training && o.backend != "":
		return usagef("--backend applies to pairs and summarizer only")
	case o.condition != "" && store.CheckCondition(o.condition) != nil:
		return usagef("--condition %q: want summary, raw or none", sanitize.Line(o.condition))
	case o.split != "" && !slices.Contains([]string{trl.PairsHeldout, trl.PairsHistory, trl.PairsAll}, o.split):
		return usagef("--split %q: want heldout, history or all", sanitize.Line(o.split))
	}
	return nil
}

// exportPairs writes the generator's training rows, their prompts worded
// by the engine as a generator request is. The export renders on every
// core while its snapshot is open: the renderer is given the summary read
// with the user (trl.DBUsers), and reads nothing itself.
func exportPairs(_ *runContext, ws *workspace, w io.Writer, o *exportOptions) (exportReport, error) {
	r, err := ws.renderer(o.backend, engine.RoleGenerator)
	if err != nil {
		return nil, err
	}
	render := func(u trl.UserData, condition string, pair store.Signal) (trl.Rendered, error) {
		req, err := r.GeneratorWithSummary(u.ID, u.Signals, condition, pair, u.Summary, u.Summary.ID != "")
		if err != nil {
			return trl.Rendered{}, err
		}
		return trl.Rendered{Messages: req.Messages, TemplateSet: req.TemplateSet}, nil
	}
	opt := trl.PairExport{Format: o.format, Condition: o.condition, Split: o.split, Plain: o.plain, Seed: o.seed, Render: render}
	rep, err := trl.ExportPairs(trl.DBUsers(ws.db), w, opt)
	return pairsReport{rep, wordingOf(r)}, err
}

// exportSummarizer writes the summarizer's training rows, their prompts
// worded by the engine as a summarizer request is.
func exportSummarizer(_ *runContext, ws *workspace, w io.Writer, o *exportOptions) (exportReport, error) {
	r, err := ws.renderer(o.backend, engine.RoleSummarizer)
	if err != nil {
		return nil, err
	}
	render := func(u trl.UserData) (trl.Rendered, error) {
		req, err := r.Summarizer(u.ID, u.Signals, nil)
		return trl.Rendered{Messages: req.Messages, TemplateSet: req.TemplateSet}, err
	}
	rep, err := trl.ExportSummarizer(trl.DBUsers(ws.db), w, trl.SummarizerExport{Format: o.format, Plain: o.plain, Render: render})
	return summarizerReport{rep, wordingOf(r)}, err
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
