package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	bolt "go.etcd.io/bbolt"
)

// Summary export formats (DESIGN §4.4).
const (
	SummariesSFT   = "sft"   // summarizer input → the latest human-edited summary
	SummariesPairs = "pairs" // the human summary preferred over the one it replaced
)

// SummarizerInput builds what the summarizer is sent for a user, from the
// user's signals. The engine owns the wording; the store calls it so that
// exports pair each human summary with exactly that input. It returns an
// error wrapping ErrNoHistory for a user with nothing to summarize.
type SummarizerInput func(user string, signals []Signal) (string, error)

// ErrNoHistory is a user with nothing a summarizer may see: no history
// pairs, texts or profile. Summary exports leave such users out.
var ErrNoHistory = errors.New("no history to summarize")

type sftRow struct {
	Prompt         string `json:"prompt"`
	Completion     string `json:"completion"`
	User           string `json:"user"`
	SummaryID      string `json:"summary_id"`
	SummaryVersion int    `json:"summary_version"`
}

type summaryPairRow struct {
	Prompt            string `json:"prompt"`
	Chosen            string `json:"chosen"`
	Rejected          string `json:"rejected"`
	User              string `json:"user"`
	ChosenSummaryID   string `json:"chosen_summary_id"`
	ChosenVersion     int    `json:"chosen_version"`
	RejectedSummaryID string `json:"rejected_summary_id"`
	RejectedVersion   int    `json:"rejected_version"`
	RejectedSource    string `json:"rejected_source"`
}

// ExportSummaries writes, for every user with a human-written summary
// version and a history, one JSONL row built from the latest such version
// (up to the current one; see summaryRow): for sft the
// summarizer input and that summary; for pairs that summary (chosen) over
// the machine-written version it descends from through its parents
// (rejected), when there is one. It returns the number of rows written.
func (db *DB) ExportSummaries(w io.Writer, format string, input SummarizerInput) (int, error) {
	if format != SummariesSFT && format != SummariesPairs {
		return 0, fmt.Errorf("unknown summary format %q (want sft or pairs)", format)
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	n := 0
	err := db.bolt.View(func(tx *bolt.Tx) error {
		// Summaries are keyed user by user, so one user's versions are read
		// together and memory holds one user's versions at a time.
		var versions []Summary
		flush := func() error {
			row, ok, err := summaryRow(tx, versions, format, input)
			versions = versions[:0]
			if err != nil || !ok {
				return err
			}
			n++
			return enc.Encode(row)
		}
		err := tx.Bucket(bucketSummaries).ForEach(func(k, v []byte) error {
			var s Summary
			if err := json.Unmarshal(v, &s); err != nil {
				return fmt.Errorf("summary %q: %w", k, err)
			}
			if len(versions) > 0 && versions[0].User != s.User {
				if err := flush(); err != nil {
					return err
				}
			}
			versions = append(versions, s)
			return nil
		})
		if err != nil {
			return err
		}
		if len(versions) > 0 {
			return flush()
		}
		return nil
	})
	return n, err
}

// summaryRow builds the row of one user, whose versions are given oldest
// first; ok is false when the user has nothing to export. The row comes
// from the newest human version up to the current one (versions a merge
// added after it are not this database's choice); for pairs, from the
// newest such version that replaced a machine-written one.
func summaryRow(tx *bolt.Tx, versions []Summary, format string, input SummarizerInput) (row any, ok bool, err error) {
	if len(versions) == 0 {
		return nil, false, nil
	}
	current, _ := currentSummary(tx, versions[0].User)
	byVersion := make(map[int]Summary, len(versions))
	for _, v := range versions {
		byVersion[v.Version] = v
	}
	var human, replaced Summary
	found := false
	for i := len(versions) - 1; i >= 0 && !found; i-- {
		v := versions[i]
		if v.Version > current.Version || v.Source != SourceHuman {
			continue
		}
		human = v
		found = format == SummariesSFT
		if format == SummariesPairs {
			var ok bool
			replaced, ok = machineAncestor(v, byVersion)
			found = ok && replaced.Text != v.Text
		}
	}
	if !found {
		return nil, false, nil
	}
	signals, err := userSignals(tx, human.User)
	if err != nil {
		return nil, false, err
	}
	prompt, err := input(human.User, signals)
	if errors.Is(err, ErrNoHistory) {
		return nil, false, nil // no input to pair the summary with
	}
	if err != nil {
		return nil, false, fmt.Errorf("summarizer input for %q: %w", human.User, err)
	}
	if format == SummariesSFT {
		return sftRow{Prompt: prompt, Completion: human.Text, User: human.User, SummaryID: human.ID, SummaryVersion: human.Version}, true, nil
	}
	return summaryPairRow{Prompt: prompt, Chosen: human.Text, Rejected: replaced.Text, User: human.User,
		ChosenSummaryID: human.ID, ChosenVersion: human.Version,
		RejectedSummaryID: replaced.ID, RejectedVersion: replaced.Version, RejectedSource: replaced.Source}, true, nil
}

// machineAncestor follows a version's parents to the nearest one a person
// did not write: the text a human edit replaced.
func machineAncestor(v Summary, byVersion map[int]Summary) (Summary, bool) {
	for steps := 0; v.Parent != 0 && steps < len(byVersion); steps++ { // parents are older: no cycles, but be sure
		p, ok := byVersion[v.Parent]
		if !ok {
			return Summary{}, false
		}
		if p.Source != SourceHuman {
			return p, true
		}
		v = p
	}
	return Summary{}, false
}
