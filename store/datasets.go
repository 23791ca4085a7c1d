package store

import (
	"bytes"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// DatasetUsers counts the users of each dataset (User.Dataset); users
// imported without one count under "". The counts are kept in the
// database (dataset_counts.go).
func (db *DB) DatasetUsers() (map[string]int, error) {
	var counts map[string]int
	err := db.bolt.View(func(tx *bolt.Tx) (err error) {
		counts, err = readDatasetUsers(tx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("datasets: %w", err)
	}
	return counts, nil
}

// eachUserDataset calls fn with every user's id and dataset, in id order.
func eachUserDataset(tx *bolt.Tx, fn func(user, dataset string)) error {
	return tx.Bucket(bucketUsers).ForEach(func(k, v []byte) error {
		d, err := userDataset(k, v)
		if err != nil {
			return err
		}
		fn(string(k), d)
		return nil
	})
}

// userDataset is the dataset of the user record v of user k. The record
// is decoded only when it names one.
func userDataset(k, v []byte) (string, error) {
	var u struct {
		Dataset string `json:"dataset"`
	}
	if bytes.Contains(v, []byte(`"dataset"`)) {
		if err := json.Unmarshal(v, &u); err != nil {
			return "", fmt.Errorf("user %q: %w", k, err)
		}
	}
	return u.Dataset, nil
}
