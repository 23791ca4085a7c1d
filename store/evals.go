package store

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// EvalRun is the result of one evaluation run (preference accuracy, a
// judge's win rate), kept so that the Stats screen can show the latest of
// each without asking the servers again. Runs are appended, never changed.
type EvalRun struct {
	ID     string `json:"id"`
	Metric string `json:"metric"` // "accuracy", "judge"
	// Key names what was measured, so that the latest run of each is
	// found: the metric with its backend and settings.
	Key       string          `json:"key"`
	CreatedAt time.Time       `json:"created_at"`
	Result    json.RawMessage `json:"result"` // the engine's report, as JSON
}

// AddEvalRun appends a run (on disk when it returns) and returns it with
// its id and time.
func (db *DB) AddEvalRun(metric, key string, result []byte) (EvalRun, error) {
	if strings.TrimSpace(metric) == "" || strings.TrimSpace(key) == "" {
		return EvalRun{}, fmt.Errorf("add evaluation run: no metric or key")
	}
	if !json.Valid(result) {
		return EvalRun{}, fmt.Errorf("add evaluation run %s: the result is not JSON", key)
	}
	r := EvalRun{Metric: metric, Key: key, CreatedAt: time.Now().UTC(), Result: json.RawMessage(result)}
	r.ID = newID(r.CreatedAt)
	v, err := json.Marshal(r)
	if err != nil {
		return EvalRun{}, err
	}
	err = db.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEvals)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		return b.Put(seqKey(seq), v)
	})
	if err != nil {
		return EvalRun{}, fmt.Errorf("add evaluation run %s: %w", key, err)
	}
	return r, nil
}

// LatestEvalRuns returns the newest run of each key, oldest key first.
func (db *DB) LatestEvalRuns() ([]EvalRun, error) {
	var order []string
	latest := map[string]EvalRun{}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketEvals).ForEach(func(k, v []byte) error {
			var r EvalRun
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("evaluation run %d: %w", decodeSeqKey(k), err)
			}
			if _, seen := latest[r.Key]; !seen {
				order = append(order, r.Key)
			}
			latest[r.Key] = r
			return nil
		})
	})
	out := make([]EvalRun, 0, len(order))
	for _, k := range order {
		out = append(out, latest[k])
	}
	return out, err
}
