package store

import (
	"bytes"
	"fmt"
	"math"
	"sort"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// UserIndex is every user id in key order, packed: one byte slice of the
// ids, each followed by NUL (which no id contains), and where each starts.
// A million ids of 11 bytes cost 16 MB here, against about 60 MB as
// strings (a header and an allocation each), and filtering them is one
// bytes.Index over the slice rather than a million calls. It is a
// snapshot: it does not follow the database.
type UserIndex struct {
	ids    []byte
	starts []uint32 // id i is ids[starts[i] : starts[i+1]-1]; len n+1
	// lower and lowerStarts are the ids in lower case, for filtering; they
	// are ids and starts themselves when no id has an upper-case or
	// non-ASCII byte (lower case can change a UTF-8 id's length).
	lower       []byte
	lowerStarts []uint32
}

// UserIndex reads every user id (keys alone, no user decoded) into a
// UserIndex, from one snapshot.
func (db *DB) UserIndex() (*UserIndex, error) {
	x := &UserIndex{}
	folded := false
	err := db.bolt.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketUsers).Cursor()
		// Walking the keys twice, to size the slices first, is quicker than
		// growing them: a million keys take 13 ms to walk, and growing 16 MB
		// by appending copied and faulted in 80 MB (77 ms against 35 ms).
		n, size := 0, 0
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			n, size = n+1, size+len(k)+1
		}
		if size > math.MaxUint32 {
			return fmt.Errorf("user index: ids longer than %d bytes in all", uint32(math.MaxUint32))
		}
		x.ids, x.starts = make([]byte, 0, size), make([]uint32, 1, n+1)
		for k, _ := c.First(); k != nil && len(x.ids)+len(k)+1 <= size; k, _ = c.Next() {
			x.ids = append(append(x.ids, k...), 0)
			x.starts = append(x.starts, uint32(len(x.ids)))
			folded = folded || needsFolding(k)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	x.lower, x.lowerStarts = x.ids, x.starts
	if folded {
		x.fold()
	}
	return x, nil
}

// needsFolding says whether an id may change in lower case.
func needsFolding(k []byte) bool {
	for _, c := range k {
		if c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			return true
		}
	}
	return false
}

// fold makes the lower-case copy of the ids.
func (x *UserIndex) fold() {
	x.lower = make([]byte, 0, len(x.ids))
	x.lowerStarts = make([]uint32, 1, len(x.starts))
	for i := 0; i < x.Len(); i++ {
		x.lower = append(append(x.lower, bytes.ToLower(x.id(i))...), 0)
		x.lowerStarts = append(x.lowerStarts, uint32(len(x.lower)))
	}
}

// Len is how many ids the index holds.
func (x *UserIndex) Len() int {
	if x == nil {
		return 0
	}
	return len(x.starts) - 1
}

func (x *UserIndex) id(i int) []byte { return x.ids[x.starts[i] : x.starts[i+1]-1] }

// ID is the i-th id in key order.
func (x *UserIndex) ID(i int) string { return string(x.id(i)) }

// Find is the place of id in the index, or -1.
func (x *UserIndex) Find(id string) int {
	n := x.Len()
	i := sort.Search(n, func(i int) bool { return string(x.id(i)) >= id })
	if i < n && string(x.id(i)) == id {
		return i
	}
	return -1
}

// Match lists, in order, the places of the ids that contain lower (a
// lower-case text; "" matches every id). With from non-nil only the places
// in from are tried: a filter that extends the last one narrows its result.
func (x *UserIndex) Match(lower string, from []int32) []int32 {
	if x.Len() == 0 || bytes.IndexByte([]byte(lower), 0) >= 0 {
		return []int32{} // no ids (a nil index: they failed to load), or no id contains NUL
	}
	q := []byte(lower)
	if from != nil {
		out := make([]int32, 0, len(from))
		for _, i := range from {
			if bytes.Contains(x.lower[x.lowerStarts[i]:x.lowerStarts[i+1]-1], q) {
				out = append(out, i)
			}
		}
		return out
	}
	n := x.Len()
	if len(q) == 0 {
		out := make([]int32, n)
		for i := range out {
			out[i] = int32(i)
		}
		return out
	}
	return x.scan(q)
}

// scan finds q in the lower-case ids as one byte slice. q holds no NUL, so
// a match never spans two ids; after one, the search goes on from the
// next id. Places advance with the matches, so the whole costs one pass.
func (x *UserIndex) scan(q []byte) []int32 {
	out := []int32{} // not nil: nil is "no result yet" to callers
	i, at := 0, 0
	for {
		j := bytes.Index(x.lower[at:], q)
		if j < 0 {
			return out
		}
		pos := uint32(at + j)
		for x.lowerStarts[i+1] <= pos {
			i++
		}
		out = append(out, int32(i))
		at = int(x.lowerStarts[i+1])
	}
}
