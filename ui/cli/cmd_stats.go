package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/sanitize"
)

func statsCommand() *command {
	var asJSON bool
	return &command{
		name:    "stats",
		summary: "count users, signals, summaries, generations and labels",
		help: `
--json prints one JSON object with the integer fields users, pairs_history,
pairs_heldout, texts, profiles, personas, tasks, summaries, summaries_human,
generations and labels (current decisions: retracted ones are not counted).`,
		flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&asJSON, "json", false, "print one JSON object, for scripts")
		},
		run: func(_ context.Context, c *runContext, _ []string) error {
			return c.withDB(func(w *workspace) error {
				st, err := w.db.Stats()
				if err != nil {
					return err
				}
				if asJSON {
					return json.NewEncoder(c.Stdout).Encode(st)
				}
				return printStats(c.Stdout, w.db.Path(), st)
			})
		},
	}
}

func printStats(w io.Writer, path string, st store.Stats) error {
	rows := []struct {
		n    int
		what string
	}{
		{st.Users, "users"},
		{st.PairsHistory, "history pairs"},
		{st.PairsHeldout, "held-out pairs"},
		{st.Texts, "texts"},
		{st.Profiles, "profiles"},
		{st.Personas, "personas"},
		{st.Tasks, "tasks"},
		{st.Summaries, fmt.Sprintf("summary versions (%d by a person)", st.SummariesHuman)},
		{st.Generations, "generations"},
		{st.Labels, "labels (current decisions)"},
	}
	width := 1
	for _, r := range rows {
		width = max(width, len(fmt.Sprint(r.n)))
	}
	if _, err := fmt.Fprintf(w, "%s\n", sanitize.Line(path)); err != nil {
		return err
	}
	for _, r := range rows {
		if _, err := fmt.Fprintf(w, "  %*d  %s\n", width, r.n, r.what); err != nil {
			return err
		}
	}
	return nil
}
