package store

import (
	"encoding/json"
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

// Stats counts everything, from one snapshot.
func (db *DB) Stats() (Stats, error) {
	var st Stats
	err := db.bolt.View(func(tx *bolt.Tx) error {
		st.Users = tx.Bucket(bucketUsers).Stats().KeyN
		st.Generations = tx.Bucket(bucketGenerations).Stats().KeyN
		var c Counts
		err := tx.Bucket(bucketSignals).ForEach(func(k, v []byte) error {
			_, kind, split, ok := decodeIndexEntry(v)
			if !ok {
				return fmt.Errorf("signal %q: %w", k, errCorruptSignal)
			}
			c.add(kind, split, 1)
			return nil
		})
		if err != nil {
			return err
		}
		st.PairsHistory, st.PairsHeldout, st.Texts = c.HistoryPairs, c.HeldoutPairs, c.Texts
		st.Profiles, st.Personas, st.Tasks = c.Profiles, c.Personas, c.Tasks
		err = tx.Bucket(bucketSummaries).ForEach(func(k, v []byte) error {
			var s struct{ Source string }
			if err := json.Unmarshal(v, &s); err != nil {
				return fmt.Errorf("summary %q: %w", k, err)
			}
			st.Summaries++
			if s.Source == SourceHuman {
				st.SummariesHuman++
			}
			return nil
		})
		if err != nil {
			return err
		}
		current, err := currentPerItem(tx)
		st.Labels = len(current)
		return err
	})
	if err != nil {
		return Stats{}, fmt.Errorf("stats: %w", err)
	}
	return st, nil
}
