package store

import (
	bolt "go.etcd.io/bbolt"

	"github.com/popi-tui/popi-tui/store/signal"
)

// migrateLiftedFields (schema 4 → 5): a text's post and a profile's
// source were kept in the signal's meta (AlignX's user-generated content
// kept the post it answered as "prompt"); they have fields of their own
// now, and a profile with the id "demographics" is marked as
// demographics (signal.Lift). Each signal it changes is written again
// where it was, as the importer now writes it, so that importing the same
// file again still finds every record already here.
func migrateLiftedFields(tx *bolt.Tx) error {
	return rewriteValues(tx.Bucket(bucketBodies), func(k, v []byte) ([]byte, error) {
		if len(v) < 2 || (Kind(v[1]) != KindText && Kind(v[1]) != KindProfile) {
			return nil, nil
		}
		s, err := decodeSignal(v, decodeSeqKey(k))
		if err != nil || !signal.Lift(&s) {
			return nil, err
		}
		return encodeSignal(make([]byte, 0, encodedSignalSize(&s)), &s), nil
	})
}
