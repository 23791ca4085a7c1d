package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/spf13/pflag"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/sanitize"
)

func statsCommand() *command {
	var asJSON bool
	return &command{
		name:    "stats",
		uses:    useDB,
		summary: "count users, signals, summaries, generations and labels",
		help: `
--json prints one JSON object with the integer fields users, pairs_history,
pairs_heldout, texts, profiles, personas, tasks, summaries, summaries_human,
generations and labels (current decisions: retracted ones are not counted),
and datasets: the users of each dataset (import --dataset), those imported
without one under "".`,
		flags: func(fs *pflag.FlagSet) {
			fs.BoolVar(&asJSON, "json", false, "print one JSON object, for scripts")
		},
		run: func(_ context.Context, c *runContext, _ []string) error {
			return c.withDB(func(w *workspace) error {
				st, err := w.db.Stats()
				if err != nil {
					return err
				}
				datasets, err := w.db.DatasetUsers()
				if err != nil {
					return err
				}
				if asJSON {
					return json.NewEncoder(c.Stdout).Encode(statsJSON{st, datasets})
				}
				if err := printStats(c.Stdout, w.db.Path(), st); err != nil {
					return err
				}
				return printDatasets(c.Stdout, datasets)
			})
		},
	}
}

// statsJSON is what stats --json prints: the counts, then the users of
// each dataset.
type statsJSON struct {
	store.Stats
	Datasets map[string]int `json:"datasets"`
}

// printDatasets lists the datasets and their users, in name order (users
// imported without a dataset last, as "(none)").
func printDatasets(w io.Writer, datasets map[string]int) error {
	names := slices.Sorted(maps.Keys(datasets))
	if len(names) > 0 && names[0] == "" {
		names = append(names[1:], "")
	}
	for _, d := range names {
		if _, err := fmt.Fprintf(w, "  dataset %s: %d user(s)\n", datasetName(d), datasets[d]); err != nil {
			return err
		}
	}
	return nil
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
