package store

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Stats counts what a database holds. The JSON field names are part of
// the command line's interface (popi-tui stats --json).
type Stats struct {
	Users          int `json:"users"`
	PairsHistory   int `json:"pairs_history"`
	PairsHeldout   int `json:"pairs_heldout"`
	Texts          int `json:"texts"`
	Profiles       int `json:"profiles"`
	Personas       int `json:"personas"`
	Tasks          int `json:"tasks"`
	Summaries      int `json:"summaries"`       // every version
	SummariesHuman int `json:"summaries_human"` // versions written or edited by a person
	Generations    int `json:"generations"`
	Labels         int `json:"labels"` // current decisions: retracted ones are not counted
}

// Stats counts everything, from one snapshot: the counters kept beside
// the records (counters.go), the current decisions among them.
func (db *DB) Stats() (Stats, error) {
	var st Stats
	err := db.bolt.View(func(tx *bolt.Tx) error {
		c, err := readCounters(tx)
		if err != nil {
			return err
		}
		st.Users, st.Generations = c.Users, c.Generations
		st.PairsHistory, st.PairsHeldout, st.Texts = c.Signals.HistoryPairs, c.Signals.HeldoutPairs, c.Signals.Texts
		st.Profiles, st.Personas, st.Tasks = c.Signals.Profiles, c.Signals.Personas, c.Signals.Tasks
		st.Summaries, st.SummariesHuman, st.Labels = c.Summaries, c.SummariesHuman, c.LabelsCurrent
		return nil
	})
	if err != nil {
		return Stats{}, fmt.Errorf("stats: %w", err)
	}
	return st, nil
}
