package store

import (
	"bytes"

	bolt "go.etcd.io/bbolt"
)

// forwardCursor finds keys in a bucket for targets that mostly come in
// key order (a scan's users, one after another): it steps from where it is
// to a target a few keys ahead, and seeks only when the target is behind
// it or further ahead. A user's records then cost a step or two through a
// page already read, not a search from the bucket's root.
type forwardCursor struct {
	c    *bolt.Cursor
	k, v []byte // the first key ≥ from, or nil when there is none
	from []byte // the target last sought; nil before the first
}

// steps is how far forwardCursor steps before it seeks instead.
const steps = 8

func newForwardCursor(b *bolt.Bucket) *forwardCursor { return &forwardCursor{c: b.Cursor()} }

// seek moves to the first key ≥ target. When target is not before the
// last target, no key lies between that one and the cursor's key, so
// stepping on from the cursor finds the same key as a seek.
func (f *forwardCursor) seek(target []byte) {
	if f.from != nil && bytes.Compare(target, f.from) >= 0 {
		for i := 0; i < steps && f.k != nil && bytes.Compare(f.k, target) < 0; i++ {
			f.k, f.v = f.c.Next()
		}
		if f.k == nil || bytes.Compare(f.k, target) >= 0 {
			f.from = append(f.from[:0], target...)
			return
		}
	}
	f.k, f.v = f.c.Seek(target)
	f.from = append(f.from[:0], target...)
}

// next steps to the key after the cursor's, which is then the first key ≥
// itself: from follows, so that no key lies between from and the cursor.
// Past the last key, the next seek seeks.
func (f *forwardCursor) next() {
	if f.k, f.v = f.c.Next(); f.k != nil {
		f.from = append(f.from[:0], f.k...)
	} else {
		f.from = nil
	}
}
