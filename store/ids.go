package store

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"time"
)

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
