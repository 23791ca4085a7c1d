package store

import bolt "go.etcd.io/bbolt"

// UserPage lists up to n user ids after after (exclusive; "" for the
// start), in order, reading keys alone: a bulk run over a million users
// walks them a page at a time instead of holding every id.
func (db *DB) UserPage(after string, n int) ([]string, error) {
	ids := make([]string, 0, n)
	err := db.bolt.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketUsers).Cursor()
		k, _ := c.First()
		if after != "" {
			if k, _ = c.Seek([]byte(after)); k != nil && string(k) == after {
				k, _ = c.Next()
			}
		}
		for ; k != nil && len(ids) < n; k, _ = c.Next() {
			ids = append(ids, string(k))
		}
		return nil
	})
	return ids, err
}

// UserCount is how many users the database holds, from its counters
// (counters.go): one key read, where the bucket's statistics walk every
// page of it.
func (db *DB) UserCount() (int, error) {
	var n int
	err := db.bolt.View(func(tx *bolt.Tx) error {
		c, err := readCounters(tx)
		n = c.Users
		return err
	})
	return n, err
}
