package labels

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/popi-tui/popi-tui/store"
)

// addHumanSummaries gives every every-th user with a summary (user-0,
// user-every, …) a version written by a person over their newest one
// (its parent), as the Edit screen stores one: what the summaries export
// writes. It reports how many it added.
func addHumanSummaries(db *bolt.DB, opt Options, r *rand.Rand, at time.Time) (int, error) {
	added := 0
	for start := 0; start < opt.Users; start += batch * opt.HumanEvery {
		err := db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte("summaries"))
			for u := start; u < min(opt.Users, start+batch*opt.HumanEvery); u += opt.HumanEvery {
				user := fmt.Sprintf("user-%d", u)
				last := newestVersion(b, user)
				if last == 0 {
					continue // no summary to edit (a user with no history)
				}
				s := store.Summary{ID: fmt.Sprintf("human-%09d", u), User: user, Version: last + 1, Parent: last,
					Text: "Edited by a person: " + words(r, 30+r.Intn(60)), Source: store.SourceHuman, CreatedAt: at}
				v, err := json.Marshal(s)
				if err != nil {
					return err
				}
				if err := b.Put(binary.BigEndian.AppendUint32([]byte(user+"\x00"), uint32(s.Version)), v); err != nil {
					return err
				}
				// As the store lists a person's versions (store/summary_index.go).
				if err := tx.Bucket([]byte("human_summaries")).Put([]byte(user), nil); err != nil {
					return err
				}
				added++
			}
			return nil
		})
		if err != nil {
			return added, fmt.Errorf("human summaries from user-%d: %w", start, err)
		}
	}
	return added, nil
}

// newestVersion is the number of user's newest summary version; 0 when
// there is none. Keys are user NUL version (4 bytes, big-endian).
func newestVersion(b *bolt.Bucket, user string) int {
	prefix := []byte(user + "\x00")
	c := b.Cursor()
	k, _ := c.Seek(append(bytes.Clone(prefix), 0xff, 0xff, 0xff, 0xff, 0xff))
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	if k == nil || !bytes.HasPrefix(k, prefix) || len(k) != len(prefix)+4 {
		return 0
	}
	return int(binary.BigEndian.Uint32(k[len(prefix):]))
}
