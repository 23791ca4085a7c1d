// Package printsafe writes JSON text that is safe to print: every export
// and every report that echoes names from the data goes through it.
package printsafe

import (
	"encoding/binary"
	"io"
	"unicode/utf8"
)

// Writer passes JSON text through, writing the characters that a
// terminal or an editor may act on as \u escapes: DEL, the C1 controls
// (U+0080–U+009F; some terminals take a raw U+009B as CSI), the bidi
// marks, embeddings, overrides and isolates (they reorder what is
// displayed, hiding what a line holds), and the line and paragraph
// separators. In valid JSON these can only appear inside strings, where
// the escape is the same string: the file decodes to the same values, and
// printing it with cat or less is safe.
//
// A character split between two writes is held back until the next one;
// Close writes out what is held back.
type Writer struct {
	w       io.Writer
	buf     []byte // escaped output
	joined  []byte // a held-back character followed by the next write
	pending [utf8.UTFMax]byte
	npend   int
}

// NewWriter returns a Writer passing JSON text on to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// escapedRune reports whether r is written as a \u escape.
func escapedRune(r rune) bool {
	switch {
	case r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	case r == 0x2028, r == 0x2029:
		return true
	}
	return false
}

// mayStartEscaped is true for the bytes that begin an escaped character:
// DEL, and the lead bytes of the two- and three-byte encodings above.
func mayStartEscaped(c byte) bool { return c == 0x7f || c == 0xc2 || c == 0xd8 || c == 0xe2 }

func (s *Writer) Write(p []byte) (int, error) {
	n := len(p)
	if s.npend > 0 {
		s.joined = append(append(s.joined[:0], s.pending[:s.npend]...), p...)
		p, s.npend = s.joined, 0
	}
	// Hold back a character cut at the end of p.
	cut := len(p)
	for i := len(p) - 1; i >= 0 && i > len(p)-utf8.UTFMax; i-- {
		if utf8.RuneStart(p[i]) {
			if !utf8.FullRune(p[i:]) {
				cut = i
			}
			break
		}
	}
	s.npend = copy(s.pending[:], p[cut:])
	p = p[:cut]
	out := p
	if !plainASCII(p) {
		s.buf = appendPrintSafe(s.buf[:0], p)
		out = s.buf
	}
	if _, err := s.w.Write(out); err != nil {
		return 0, err
	}
	return n, nil
}

// plainASCII reports whether p is all below DEL: nothing to escape. It
// reads eight bytes at a time: exports are hundreds of megabytes.
func plainASCII(p []byte) bool {
	i := 0
	for ; i+8 <= len(p); i += 8 {
		if hasByteAbove7E(binary.LittleEndian.Uint64(p[i:])) {
			return false
		}
	}
	for ; i < len(p); i++ {
		if p[i] >= 0x7f {
			return false
		}
	}
	return true
}

// hasByteAbove7E reports whether a byte of w is DEL or above: adding 1
// to each byte sets its high bit exactly then (a byte of 0xff already
// has it, so the carry it makes changes nothing).
func hasByteAbove7E(w uint64) bool { return (w|(w+ones))&highs != 0 }

// Word-at-a-time constants: a 1 and a high bit in every byte of eight.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// Close writes out a character held back (an incomplete one, as it is).
func (s *Writer) Close() error {
	if s.npend == 0 {
		return nil
	}
	_, err := s.w.Write(s.pending[:s.npend])
	s.npend = 0
	return err
}

// JSON returns JSON text with the characters Writer escapes written
// as \u escapes: the same JSON, safe to print.
func JSON(p []byte) []byte { return appendPrintSafe(nil, p) }

// appendPrintSafe appends p with every escaped character written as \uXXXX.
func appendPrintSafe(dst, p []byte) []byte {
	const hexDigits = "0123456789abcdef"
	start := 0
	for i := 0; i < len(p); {
		c := p[i]
		if !mayStartEscaped(c) {
			i++
			continue
		}
		r, size := utf8.DecodeRune(p[i:])
		if c == 0x7f {
			r, size = 0x7f, 1
		}
		if !escapedRune(r) {
			i += size
			continue
		}
		dst = append(dst, p[start:i]...)
		dst = append(dst, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
		i += size
		start = i
	}
	return append(dst, p[start:]...)
}
