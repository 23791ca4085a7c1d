package store

import (
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// DatasetUserIDs lists, in id order, the users of a dataset (User.Dataset;
// "" for those imported without one), from one snapshot. As DatasetUsers,
// it decodes a user only when the JSON names a dataset.
func (db *DB) DatasetUserIDs(dataset string) ([]string, error) {
	var ids []string
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return eachUserDataset(tx, func(user, d string) {
			if d == dataset {
				ids = append(ids, user)
			}
		})
	})
	if err != nil {
		return nil, fmt.Errorf("dataset %q: %w", dataset, err)
	}
	return ids, nil
}

// EachSignalOf is EachSignal over some users: user by user in id order
// (whatever the order given), in import order within a user, from one
// snapshot. Ids given twice count once; unknown ids have no signals.
func (db *DB) EachSignalOf(users []string, fn func(Signal) error) error {
	users = slices.Compact(slices.Sorted(slices.Values(users)))
	return db.bolt.View(func(tx *bolt.Tx) error {
		for _, u := range users {
			if err := eachSignalOf(tx, u, fn); err != nil {
				return err
			}
		}
		return nil
	})
}
