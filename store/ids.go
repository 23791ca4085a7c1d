package store

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"strings"
	"sync"
	"time"
)

// contentID names a record that came without an id by what it says, so
// that importing the same file twice adds nothing. Fields are length-
// prefixed so that moving text from one field to the next changes the id.
func contentID(s *Signal) string {
	// One Sum256 over a reused buffer: hashing every record of an import
	// field by field through hash.Hash copied each string once more.
	bp := hashBuffers.Get().(*[]byte)
	b := append((*bp)[:0], byte(s.Kind), byte(s.Split))
	for _, f := range [...]string{s.Prompt, s.Chosen, s.Rejected, s.Text, s.Source, string(s.Meta)} {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	sum := sha256.Sum256(b)
	*bp = b
	hashBuffers.Put(bp)
	return "c-" + hex.EncodeToString(sum[:12])
}

var hashBuffers = sync.Pool{New: func() any { return new([]byte) }}

func writeField(h hash.Hash, f string) {
	var n [binary.MaxVarintLen64]byte
	h.Write(n[:binary.PutUvarint(n[:], uint64(len(f)))])
	h.Write([]byte(f))
}

// newID returns a unique id that sorts by creation time: 48 bits of
// milliseconds and 80 random bits, as 32 hex digits. Ids of summaries,
// generations and labels are kept when databases are merged, so they must
// not depend on the database they were made in.
func newID(now time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixMilli())<<16)
	rand.Read(b[6:]) // never fails (crypto/rand, Go 1.24+)
	return hex.EncodeToString(b[:])
}

// TextHash identifies a text (a summary, say) by content, for records that
// must show which exact text they were made against.
func TextHash(text string) string {
	sum := sha256.Sum256([]byte(text))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// validID reports why an id (of a user or record) cannot be used, or "".
func validID(id string) string {
	switch {
	case strings.TrimSpace(id) == "":
		return "is empty"
	case len(id) > maxIDLen:
		return "is longer than 512 bytes"
	case strings.IndexByte(id, 0) >= 0:
		return "contains a NUL byte"
	}
	return ""
}

const maxIDLen = 512
