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
	b := tx.Bucket(bucketGenerations)
	if b == nil {
		return nil
	}
	type fix struct {
		key []byte
		v   []byte
	}
	var fixes []fix
	err := b.ForEach(func(k, v []byte) error {
		var g Generation
		if err := json.Unmarshal(v, &g); err != nil {
			return fmt.Errorf("generation %q: %w", k, err)
		}
		if !fillReplayMessages(&g) {
			return nil
		}
		nv, err := json.Marshal(g)
		if err != nil {
			return err
		}
		fixes = append(fixes, fix{append([]byte(nil), k...), nv})
		return nil
	})
	if err != nil {
		return err
	}
	for _, f := range fixes { // not while iterating: a Put may move the cursor's page
		if err := b.Put(f.key, f.v); err != nil {
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
