package store

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Signals are the bulk of a database (a million of them is an ordinary
// benchmark), so they are stored in a compact binary form instead of JSON:
// encoding is a few appends, decoding a few slices. Everything else is JSON.
//
//	version byte (1) | kind byte | split byte | 8 × (uvarint length, bytes)
//	version byte (2) | kind byte | split byte | 9 × (uvarint length, bytes)
//
// The eight strings are user, id, prompt, chosen, rejected, text, source,
// meta; version 2 (schema 5) adds a ninth, a text's post. A signal without
// a post is written in version 1, so that its bytes are what they always
// were: an import compares a record with the one stored under its id byte
// for byte.
const (
	signalCodecVersion     = 1
	signalCodecVersionPost = 2
)

func encodeSignal(dst []byte, s *Signal) []byte {
	version := byte(signalCodecVersion)
	if s.Post != "" {
		version = signalCodecVersionPost
	}
	dst = append(dst, version, byte(s.Kind), byte(s.Split))
	for _, f := range [...]string{s.User, s.ID, s.Prompt, s.Chosen, s.Rejected, s.Text, s.Source} {
		dst = binary.AppendUvarint(dst, uint64(len(f)))
		dst = append(dst, f...)
	}
	dst = binary.AppendUvarint(dst, uint64(len(s.Meta)))
	dst = append(dst, s.Meta...)
	if version == signalCodecVersionPost {
		dst = binary.AppendUvarint(dst, uint64(len(s.Post)))
		dst = append(dst, s.Post...)
	}
	return dst
}

// encodedSignalSize is the length of encodeSignal's output.
func encodedSignalSize(s *Signal) int {
	n := 3
	for _, l := range [...]int{len(s.User), len(s.ID), len(s.Prompt), len(s.Chosen), len(s.Rejected), len(s.Text), len(s.Source), len(s.Meta)} {
		n += uvarintLen(uint64(l)) + l
	}
	if s.Post != "" {
		n += uvarintLen(uint64(len(s.Post))) + len(s.Post)
	}
	return n
}

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

// byteArena hands out slices of large chunks. bbolt keeps every key and
// value passed to Put until the transaction commits; carving them out of a
// few chunks per batch, instead of allocating each, keeps the garbage
// collector out of an import's way.
type byteArena struct{ chunk []byte }

const arenaChunk = 1 << 20

// alloc returns a zero-length slice with capacity n.
func (a *byteArena) alloc(n int) []byte {
	if n > arenaChunk/4 {
		return make([]byte, 0, n)
	}
	if cap(a.chunk)-len(a.chunk) < n {
		a.chunk = make([]byte, 0, arenaChunk)
	}
	start := len(a.chunk)
	a.chunk = a.chunk[:start+n]
	return a.chunk[start : start : start+n]
}

var errCorruptSignal = errors.New("corrupt signal record")

func decodeSignal(b []byte, seq uint64) (Signal, error) {
	if len(b) < 3 || (b[0] != signalCodecVersion && b[0] != signalCodecVersionPost) {
		return Signal{}, fmt.Errorf("signal %d: %w (codec version)", seq, errCorruptSignal)
	}
	s := Signal{Kind: Kind(b[1]), Split: Split(b[2]), Seq: seq}
	count := 8
	if b[0] == signalCodecVersionPost {
		count = 9
	}
	b = b[3:]
	var fields [9][]byte
	for i := range fields[:count] {
		n, w := binary.Uvarint(b)
		if w <= 0 || uint64(len(b)-w) < n {
			return Signal{}, fmt.Errorf("signal %d: %w (field %d)", seq, errCorruptSignal, i)
		}
		fields[i] = b[w : w+int(n)]
		b = b[w+int(n):]
	}
	s.User, s.ID, s.Prompt, s.Chosen = string(fields[0]), string(fields[1]), string(fields[2]), string(fields[3])
	s.Rejected, s.Text, s.Source = string(fields[4]), string(fields[5]), string(fields[6])
	if len(fields[7]) > 0 {
		s.Meta = append([]byte(nil), fields[7]...)
	}
	s.Post = string(fields[8])
	return s, nil
}

// Keys. Users and signal ids cannot contain NUL (the importer rejects it),
// so NUL separates the parts of a composite key and a user's keys form one
// contiguous range that no other user's keys interleave with.

func userPrefix(user string) []byte {
	k := make([]byte, 0, len(user)+1)
	k = append(k, user...)
	return append(k, 0)
}

func signalKey(user, id string) []byte {
	k := make([]byte, 0, len(user)+1+len(id))
	k = append(k, user...)
	k = append(k, 0)
	return append(k, id...)
}

func seqKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), seq)
}

// The signal index maps (user, id) to where the signal's body is stored and
// enough about it (kind, split) to count a user's signals without reading
// the bodies.
func encodeIndexEntry(seq uint64, k Kind, sp Split) []byte {
	v := binary.BigEndian.AppendUint64(make([]byte, 0, 10), seq)
	return append(v, byte(k), byte(sp))
}

func decodeIndexEntry(v []byte) (seq uint64, k Kind, sp Split, ok bool) {
	if len(v) != 10 {
		return 0, 0, 0, false
	}
	return binary.BigEndian.Uint64(v), Kind(v[8]), Split(v[9]), true
}

func decodeSeqKey(k []byte) uint64 {
	if len(k) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(k)
}
