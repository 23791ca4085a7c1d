package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/pflag"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/format"
	"github.com/popi-tui/popi-tui/ui/sanitize"
)

func importCommand() *command {
	var formatName string
	var dataset givenString
	return &command{
		name:    "import",
		uses:    useDB | useTheme | useJSON | useQuiet,
		args:    "FILE...",
		summary: "load users from popi JSONL or AlignX files ('-' reads standard input)",
		help: `
Each file is imported whole or not at all: a file with any bad record is
rejected, its problems are listed as FILE:LINE: reason, and the database is
left as it was. Records already in the database are skipped, so importing a
file again adds nothing. Ctrl-C stops an import and leaves its file out.

The users a file creates are tagged with a dataset: --dataset NAME, else
the file's base name without its extension (standard input: stdin).
A user already in the database keeps the dataset they came with. eval
--dataset and --by dataset, and stats --json, read the tags.`,
		flags: func(fs *pflag.FlagSet) {
			fs.StringVar(&formatName, "format", string(format.Auto), "input format: auto, popi or alignx")
			fs.Var(&dataset, "dataset", "tag the users the files create with dataset `NAME` (default: each file's base name without its extension)")
		},
		run: func(ctx context.Context, c *runContext, args []string) error {
			f, err := format.Parse(formatName)
			if err != nil {
				return usagef("%v", err)
			}
			if len(args) == 0 {
				return usagef("no input files (give one or more FILEs, or - for standard input)")
			}
			if dataset.given {
				if why := store.CheckDataset(dataset.value); why != "" {
					return usagef("--dataset %q %s", sanitize.Line(dataset.value), why)
				}
			}
			return c.withDB(func(w *workspace) error { return importFiles(ctx, w, f, dataset.value, args) })
		},
	}
}

// importFiles imports each file into the database in turn, saying what
// each added, and the total of several.
func importFiles(ctx context.Context, w *workspace, f format.Format, dataset string, files []string) error {
	c := w.c
	var out importJSON
	out.Files, out.Failed = []importFileJSON{}, []string{}
	for _, name := range files {
		rep, err := importFile(ctx, w, name, f, datasetOf(name, dataset))
		if errors.Is(err, store.ErrInterrupted) {
			return err // Run reports it, with exit status 130
		}
		out.Files = append(out.Files, importEntry(rep, name, datasetOf(name, dataset), err))
		if err != nil {
			if !c.out.asJSON {
				reportBadFile(c, rep, err)
			}
			out.Failed = append(out.Failed, name)
			continue
		}
		if !c.out.asJSON {
			c.printf("%s (%s): added %s; %d duplicate(s) skipped\n", sanitize.Line(rep.File), rep.Format, describeAdded(rep), rep.Duplicates)
		}
		out.Total.Users += rep.Users
		out.Total.Added = out.Total.Added.Plus(rep.Added)
		out.Total.Duplicates += rep.Duplicates
	}
	switch {
	case c.out.asJSON:
		if err := c.printJSON(out); err != nil {
			return err
		}
	case len(files) > 1:
		total := store.ImportReport{Users: out.Total.Users, Added: out.Total.Added}
		c.printf("total: added %s; %d duplicate(s) skipped\n", describeAdded(total), out.Total.Duplicates)
	}
	return filesLeft("imported", out.Failed, files)
}

// reportBadFile lists a file's bad records (the first of them) and why it
// was not imported.
func reportBadFile(c *runContext, rep store.ImportReport, err error) {
	for _, e := range rep.Errors {
		c.eprintf("%s\n", sanitize.Line(e.Error()))
	}
	if more := rep.BadRecords - len(rep.Errors); more > 0 {
		c.eprintf("%s: … and %d more bad record(s)\n", sanitize.Line(rep.File), more)
	}
	c.say(err.Error()) // names the file
}

// importEntry is one file's part of import --json.
func importEntry(rep store.ImportReport, name, dataset string, err error) importFileJSON {
	e := importFileJSON{File: name, Format: string(rep.Format), Dataset: dataset, Users: rep.Users, Added: rep.Added,
		Duplicates: rep.Duplicates, BadRecords: rep.BadRecords, Errors: []string{}}
	for _, bad := range rep.Errors {
		e.Errors = append(e.Errors, bad.Error())
	}
	if err != nil {
		e.Error = err.Error()
		e.Users, e.Added, e.Duplicates = 0, store.Counts{}, 0 // nothing of a rejected file stays
	}
	return e
}

// filesLeft is the error of a command over files some of which failed,
// each reported as it failed: with one file that report says it all; with
// several, the failed ones are counted and named.
func filesLeft(verb string, failed, files []string) error {
	switch {
	case len(failed) == 0:
		return nil
	case len(files) == 1:
		return errAlreadyReported
	}
	return fmt.Errorf("%d of %d files not %s: %s", len(failed), len(files), verb, strings.Join(failed, ", "))
}

// givenString is a string flag that knows whether it was given (an empty
// --dataset= is a mistake, not the default).
type givenString struct {
	value string
	given bool
}

func (g *givenString) String() string { return g.value }

// Type names the value in help: "string".
func (g *givenString) Type() string { return "string" }

func (g *givenString) Set(s string) error {
	g.value, g.given = s, true
	return nil
}

// datasetOf is the dataset a file's users are tagged with: the one given,
// else the file's base name without its extension ("stdin" for "-"), its
// control characters and invalid UTF-8 made "_", cut to 128 bytes.
func datasetOf(name, given string) string {
	switch {
	case given != "":
		return given
	case name == "-":
		return "stdin"
	}
	base := filepath.Base(name)
	if trimmed := strings.TrimSuffix(base, filepath.Ext(base)); trimmed != "" {
		base = trimmed // not for ".jsonl", a name that is all extension
	}
	base = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '_'
		}
		return r
	}, strings.ToValidUTF8(base, "_"))
	for len(base) > 128 {
		_, size := utf8.DecodeLastRuneInString(base)
		base = base[:len(base)-size]
	}
	return base
}

// importFile imports one file ("-": standard input) under a progress bar,
// its new users tagged with dataset.
func importFile(ctx context.Context, w *workspace, name string, f format.Format, dataset string) (store.ImportReport, error) {
	var r io.Reader
	var size int64 = -1
	display := name
	if name == "-" {
		r, display = w.c.Stdin, "stdin"
	} else {
		f, err := os.Open(name)
		if err != nil {
			return store.ImportReport{File: name}, fmt.Errorf("import: %w", err)
		}
		defer f.Close()
		if st, err := f.Stat(); err == nil {
			if st.IsDir() {
				return store.ImportReport{File: name}, fmt.Errorf("import %s: is a directory", name)
			}
			size = st.Size()
		}
		r = f
	}
	p := w.progress(display)
	rep, err := w.db.Import(ctx, display, r, store.ImportOptions{Format: f, Dataset: dataset, Progress: func(n int64) { p.bytes(n, size) }})
	p.done()
	return rep, err
}

func describeAdded(r store.ImportReport) string {
	a := r.Added
	return fmt.Sprintf("%d user(s), %d history pair(s), %d held-out pair(s), %d text(s), %d profile(s), %d persona(s), %d task(s)",
		r.Users, a.HistoryPairs, a.HeldoutPairs, a.Texts, a.Profiles, a.Personas, a.Tasks)
}
