package cli

import (
	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
)

// bulkJSON is the --json report of a bulk run (infer, generate, and their
// --batch-in): what printReport says in words.
type bulkJSON struct {
	Command           string              `json:"command"` // "infer via popi", "generate", "infer --batch-in"
	Total             int                 `json:"total"`
	Done              int                 `json:"done"`
	Skipped           int                 `json:"skipped"`
	Failed            int                 `json:"failed"`
	Refused           *int                `json:"refused,omitempty"` // --batch-in: result lines refused
	Requests          int                 `json:"requests"`
	Tokens            int                 `json:"tokens"`
	ElapsedSeconds    float64             `json:"elapsed_seconds"`
	RequestsPerSecond float64             `json:"requests_per_second"`
	TokensPerSecond   float64             `json:"tokens_per_second"`
	Interrupted       bool                `json:"interrupted"`
	Errors            []engine.ErrorCount `json:"errors"`
	Problems          []string            `json:"problems,omitempty"`
}

func newBulkJSON(what string, r engine.Report) bulkJSON {
	errs := r.Errors
	if errs == nil {
		errs = []engine.ErrorCount{}
	}
	return bulkJSON{Command: what, Total: r.Total, Done: r.Done, Skipped: r.Skipped, Failed: r.Failed,
		Requests: r.Requests, Tokens: r.Tokens, ElapsedSeconds: r.Elapsed.Seconds(),
		RequestsPerSecond: r.RequestsPerSecond(), TokensPerSecond: r.TokensPerSecond(),
		Interrupted: r.Interrupted, Errors: errs}
}

// importFileJSON is one file of import --json.
type importFileJSON struct {
	File       string       `json:"file"`
	Format     string       `json:"format,omitempty"`
	Dataset    string       `json:"dataset"`
	Users      int          `json:"users"`
	Added      store.Counts `json:"added"`
	Duplicates int          `json:"duplicates"`
	BadRecords int          `json:"bad_records"`
	Errors     []string     `json:"errors"` // FILE:LINE: reason, the first of the bad records
	Error      string       `json:"error,omitempty"`
}

// importJSON is import --json: each file, and the total of those imported.
type importJSON struct {
	Files []importFileJSON `json:"files"`
	Total struct {
		Users      int          `json:"users"`
		Added      store.Counts `json:"added"`
		Duplicates int          `json:"duplicates"`
	} `json:"total"`
	Failed []string `json:"failed"`
}

// mergeFileJSON is one file of merge --json.
type mergeFileJSON struct {
	File        string   `json:"file"`
	Error       string   `json:"error,omitempty"`
	Added       counts3  `json:"added"`
	Already     counts3  `json:"already"`
	Renumbered  int      `json:"renumbered"`
	KeptCurrent int      `json:"kept_current"`
	Users       int      `json:"users"`
	Signals     int      `json:"signals"`
	Skipped     int      `json:"summaries_skipped"`
	Conflicts   int      `json:"conflicts"`
	Conflicting []string `json:"conflict_list"`
	SharedNames []string `json:"shared_annotators"`
}

type counts3 struct {
	Labels      int `json:"labels"`
	Summaries   int `json:"summaries"`
	Generations int `json:"generations"`
}

func newMergeFileJSON(path string, r store.MergeReport) mergeFileJSON {
	m := mergeFileJSON{File: path,
		Added:      counts3{r.Labels.Added, r.Summaries.Added, r.Generations.Added},
		Already:    counts3{r.Labels.Already, r.Summaries.Already, r.Generations.Already},
		Renumbered: r.Renumbered, KeptCurrent: r.KeptCurrent, Users: r.Users, Signals: r.Signals.Total(),
		Skipped: r.Summaries.Skipped, Conflicts: r.ConflictCount(), Conflicting: []string{}, SharedNames: []string{}}
	for _, cf := range r.Conflicts {
		m.Conflicting = append(m.Conflicting, cf.String())
	}
	for _, sn := range r.SharedNames {
		m.SharedNames = append(m.SharedNames, sn.Annotator)
	}
	return m
}
