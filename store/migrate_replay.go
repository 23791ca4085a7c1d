package store

import (
	"encoding/json"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// migrateReplayMessages (schema 3 → 4): replayed answers were stored
// without the messages they answer, so their labels exported an empty
// prompt. A replayed answer answers the bare prompt: the messages an
// unpersonalized generator was sent when they were made (generator
// template 1 had no system turn), which this records.
func migrateReplayMessages(tx *bolt.Tx) error {
	return rewriteValues(tx.Bucket(bucketGenerations), func(k, v []byte) ([]byte, error) {
		var g Generation
		if err := json.Unmarshal(v, &g); err != nil {
			return nil, fmt.Errorf("generation %q: %w", k, err)
		}
		if !fillReplayMessages(&g) {
			return nil, nil
		}
		return json.Marshal(g)
	})
}

// rewriteValues gives every value of a bucket (which may not exist) to
// fix, and writes back those it returns anew (nil: leave it).
func rewriteValues(b *bolt.Bucket, fix func(k, v []byte) ([]byte, error)) error {
	if b == nil {
		return nil
	}
	type change struct{ key, v []byte }
	var changes []change
	err := b.ForEach(func(k, v []byte) error {
		nv, err := fix(k, v)
		if nv != nil {
			changes = append(changes, change{append([]byte(nil), k...), nv})
		}
		return err
	})
	if err != nil {
		return err
	}
	for _, c := range changes { // not while iterating: a Put may move the cursor's page
		if err := b.Put(c.key, c.v); err != nil {
			return err
		}
	}
	return nil
}

// fillReplayMessages gives a replayed answer stored without messages the
// one it answers, and reports whether it did. Merges apply it to what
// older databases bring in.
func fillReplayMessages(g *Generation) bool {
	if len(g.Messages) > 0 || !strings.HasPrefix(g.Condition, "replay:") || g.Prompt == "" {
		return false
	}
	g.Messages = []Message{{Role: "user", Content: g.Prompt}}
	return true
}
