package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/sanitize"
)

// maxPrintedConflicts is how many conflicts merge lists per file; the rest
// are counted.
const maxPrintedConflicts = 20

func mergeCommand() *command {
	return &command{
		name:    "merge",
		uses:    useDB | useJSON,
		args:    "OTHER.db...",
		summary: "bring labels, summaries and generations from other annotators' databases into this one",
		help: `
Each OTHER.db (another popi-tui database, say a colleague's copied over) is
only read, and merged whole or not at all. Labels, summary versions and
generations keep their ids, so merging the same file again adds nothing. A
record whose id is already here with different content is a conflict: it is
listed (FILE: KIND ID: what differs) and the record here is kept. Summary
versions that come in are numbered after this database's own (their ids stay
the same). A user whose records come in but who is not in this database comes
across with their signals; other users stay behind (import their data).
Annotator sessions are not merged. Exit status 1 if any file had conflicts or
could not be merged; the other files are merged all the same.`,
		run: func(ctx context.Context, c *runContext, args []string) error {
			if len(args) == 0 {
				return usagef("no databases to merge (give one or more OTHER.db)")
			}
			return c.withDB(func(w *workspace) error { return mergeFiles(ctx, c, w.db, args) })
		},
	}
}

// mergeFiles merges each file into db in turn, saying what each brought.
func mergeFiles(ctx context.Context, c *runContext, db *store.DB, files []string) error {
	var failed, conflicted []string
	entries := []mergeFileJSON{}
	for _, path := range files {
		rep, err := db.Merge(ctx, path)
		if errors.Is(err, store.ErrInterrupted) {
			return err // Run reports it, with exit status 130
		}
		if err != nil {
			entries = append(entries, mergeFileJSON{File: path, Error: err.Error(), Conflicting: []string{}, SharedNames: []string{}})
			if !c.out.asJSON {
				c.say(err.Error())
			}
			failed = append(failed, path)
			continue
		}
		entries = append(entries, newMergeFileJSON(path, rep))
		if rep.ConflictCount() > 0 {
			conflicted = append(conflicted, path)
		}
		if !c.out.asJSON {
			printMerge(c, path, rep)
		}
	}
	if c.out.asJSON {
		if err := c.printJSON(struct {
			Files []mergeFileJSON `json:"files"`
		}{entries}); err != nil {
			return err
		}
	}
	err := filesLeft("merged", failed, files)
	if len(conflicted) == 0 {
		return err
	}
	conflicts := fmt.Sprintf("conflicts in %s (the records here were kept)", strings.Join(conflicted, ", "))
	if err != nil { // with conflicts in one file, another failed: err counts them
		return fmt.Errorf("%s; %w", conflicts, err)
	}
	return errors.New(conflicts)
}

// printMerge says what merging one file brought, its warnings and
// conflicts.
func printMerge(c *runContext, path string, rep store.MergeReport) {
	name := sanitize.Line(path)
	c.printf("%s: %s\n", name, describeMerge(rep))
	for _, sn := range rep.SharedNames {
		c.eprintf("%s: warning: annotator %q decided %d item(s) in both databases, each on its own: two people under one name? The newest decision counts; give each person their own --annotator NAME\n",
			name, sanitize.Line(sn.Annotator), sn.Items)
	}
	n := rep.ConflictCount()
	shown := rep.Conflicts[:min(len(rep.Conflicts), maxPrintedConflicts)]
	for _, cf := range shown {
		// Ids come from the other database: untrusted.
		c.eprintf("%s: %s\n", name, sanitize.Line(cf.String()))
	}
	if more := n - len(shown); n > 0 && more > 0 {
		c.eprintf("%s: … and %d more conflict(s)\n", name, more)
	}
}

// describeMerge says in one line what merging one file did.
func describeMerge(r store.MergeReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "added %d label(s), %d summary version(s)", r.Labels.Added, r.Summaries.Added)
	var notes []string
	if r.Renumbered > 0 {
		notes = append(notes, fmt.Sprintf("%d renumbered", r.Renumbered))
	}
	if r.KeptCurrent > 0 {
		notes = append(notes, fmt.Sprintf("%d user(s) keep their current summary", r.KeptCurrent))
	}
	if len(notes) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(notes, "; "))
	}
	fmt.Fprintf(&b, ", %d generation(s)", r.Generations.Added)
	if r.Users > 0 {
		fmt.Fprintf(&b, ", %d user(s) with %d signal(s)", r.Users, r.Signals.Total())
	}
	fmt.Fprintf(&b, "; already here: %d label(s), %d summary version(s), %d generation(s)",
		r.Labels.Already, r.Summaries.Already, r.Generations.Already)
	if n := r.Summaries.Skipped; n > 0 {
		fmt.Fprintf(&b, "; %d summary version(s) skipped (their user is in neither database)", n)
	}
	fmt.Fprintf(&b, "; %d conflict(s)", r.ConflictCount())
	return b.String()
}
