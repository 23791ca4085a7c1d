package store

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// The users of each dataset (the tag of the import that created them) are
// counted in the meta bucket beside the counters, in the transaction that
// creates them (an import's commit point, a merge), so that stats reads
// one key instead of every user's record: 0.7 s at 1,000,000 users.

var keyDatasetUsers = []byte("dataset_users")

// readDatasetUsers reads the users of each dataset ("" for untagged).
func readDatasetUsers(tx *bolt.Tx) (map[string]int, error) {
	counts := map[string]int{}
	if v := tx.Bucket(bucketMeta).Get(keyDatasetUsers); v != nil {
		if err := json.Unmarshal(v, &counts); err != nil {
			return nil, fmt.Errorf("dataset users: %w", err)
		}
	}
	return counts, nil
}

// addDatasetUsers adds n users to each dataset of add, in tx.
func addDatasetUsers(tx *bolt.Tx, add map[string]int) error {
	if len(add) == 0 {
		return nil
	}
	counts, err := readDatasetUsers(tx)
	if err != nil {
		return err
	}
	for d, n := range add {
		counts[d] += n
	}
	return writeDatasetUsers(tx, counts)
}

func writeDatasetUsers(tx *bolt.Tx, counts map[string]int) error {
	v, err := json.Marshal(counts)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketMeta).Put(keyDatasetUsers, v)
}

// scanDatasetUsers counts the users of each dataset from their records.
func scanDatasetUsers(tx *bolt.Tx) (map[string]int, error) {
	counts := map[string]int{}
	err := eachUserDataset(tx, func(_, dataset string) { counts[dataset]++ })
	return counts, err
}

// migrateDatasetUsers (schema 8 → 9): the users of each dataset are
// counted once, from their records.
func migrateDatasetUsers(tx *bolt.Tx) error {
	counts, err := scanDatasetUsers(tx)
	if err != nil {
		return err
	}
	return writeDatasetUsers(tx, counts)
}
