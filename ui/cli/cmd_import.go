package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/format"
	"github.com/popi-tui/popi-tui/ui/sanitize"
)

func importCommand() *command {
	var formatName string
	return &command{
		name:    "import",
		args:    "FILE...",
		summary: "load users from popi JSONL or AlignX files ('-' reads standard input)",
		help: `
Each file is imported whole or not at all: a file with any bad record is
rejected, its problems are listed as FILE:LINE: reason, and the database is
left as it was. Records already in the database are skipped, so importing a
file again adds nothing. Ctrl-C stops an import and leaves its file out.`,
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&formatName, "format", string(format.Auto), "input format: auto, popi or alignx")
		},
		run: func(ctx context.Context, c *runContext, args []string) error {
			f, err := format.Parse(formatName)
			if err != nil {
				return usagef("%v", err)
			}
			if len(args) == 0 {
				return usagef("no input files (give one or more FILEs, or - for standard input)")
			}
			return runImport(ctx, c, f, args)
		},
	}
}

func runImport(ctx context.Context, c *runContext, f format.Format, files []string) error {
	db, err := c.openDB()
	if err != nil {
		return err
	}
	defer db.Close()
	var total store.ImportReport
	var failed []string
	for _, name := range files {
		rep, err := importFile(ctx, c, db, name, f)
		if err != nil {
			if errors.Is(err, store.ErrInterrupted) {
				return err // Run reports it, with exit status 130
			}
			for _, e := range rep.Errors {
				c.eprintf("%s\n", sanitize.Line(e.Error()))
			}
			if more := rep.BadRecords - len(rep.Errors); more > 0 {
				c.eprintf("%s: … and %d more bad record(s)\n", sanitize.Line(rep.File), more)
			}
			c.eprintf("popi-tui: %s\n", sanitize.Line(err.Error())) // names the file
			failed = append(failed, name)
			continue
		}
		c.printf("%s (%s): added %s; %d duplicate(s) skipped\n", sanitize.Line(rep.File), rep.Format, describeAdded(rep), rep.Duplicates)
		total.Users += rep.Users
		total.Added = total.Added.Plus(rep.Added)
		total.Duplicates += rep.Duplicates
	}
	if len(files) > 1 {
		c.printf("total: added %s; %d duplicate(s) skipped\n", describeAdded(total), total.Duplicates)
	}
	switch {
	case len(failed) == 1 && len(files) == 1:
		return errAlreadyReported
	case len(failed) > 0:
		return fmt.Errorf("%d of %d files not imported: %s", len(failed), len(files), strings.Join(failed, ", "))
	}
	return nil
}

func importFile(ctx context.Context, c *runContext, db *store.DB, name string, f format.Format) (store.ImportReport, error) {
	var r io.Reader
	var size int64 = -1
	display := name
	if name == "-" {
		r, display = c.Stdin, "stdin"
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
	p := c.newProgress(display)
	rep, err := db.Import(ctx, display, r, store.ImportOptions{Format: f, Progress: func(n int64) { p.bytes(n, size) }})
	p.done()
	return rep, err
}

func describeAdded(r store.ImportReport) string {
	a := r.Added
	return fmt.Sprintf("%d user(s), %d history pair(s), %d held-out pair(s), %d text(s), %d profile(s), %d persona(s), %d task(s)",
		r.Users, a.HistoryPairs, a.HeldoutPairs, a.Texts, a.Profiles, a.Personas, a.Tasks)
}
