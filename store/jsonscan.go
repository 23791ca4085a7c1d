package store

import (
	"encoding/binary"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// A small strict JSON reader for the importers. Import speed is measured
// against plain encoding/json decoding of the same file (README,
// Performance); reflection-based decoding plus re-encoding cannot meet that,
// so records are read member by member: strings are decoded once, straight
// into the values stored, and everything else is validated and kept as the
// raw bytes it was written as (for meta). It accepts exactly what
// encoding/json accepts (a fuzz test holds it to that), except that it
// rejects duplicate keys, which encoding/json silently resolves.

// maxJSONDepth matches encoding/json's nesting limit.
const maxJSONDepth = 10000

// jsonSyntaxError is malformed JSON at a byte offset of the scanned text.
type jsonSyntaxError struct {
	msg string
	off int
}

func (e *jsonSyntaxError) Error() string { return e.msg }

// jsonValue is one value of an object or array.
type jsonValue struct {
	raw  []byte // exactly as written
	str  string // decoded text, when kind is '"'
	kind byte   // '"' string, '{' object, '[' array, 'n' null, 't' true, 'f' false, '0' number
}

type jsonScanner struct {
	data []byte
	pos  int
	buf  []byte // scratch for strings with escapes
	// rawStrings leaves the strings of member values undecoded (keys are
	// decoded): for callers that copy JSON text as it is.
	rawStrings bool
}

// fail reports malformed JSON at the current position.
func (s *jsonScanner) fail(format string, args ...any) error {
	return &jsonSyntaxError{msg: "invalid JSON: " + fmt.Sprintf(format, args...), off: s.pos}
}

// reject reports well-formed JSON that is still not a record: a duplicate
// field, or something other than an object.
func (s *jsonScanner) reject(format string, args ...any) error {
	return &jsonSyntaxError{msg: fmt.Sprintf(format, args...), off: s.pos}
}

func (s *jsonScanner) unexpected() error {
	if s.pos >= len(s.data) {
		return s.fail("unexpected end of input")
	}
	r, _ := utf8.DecodeRune(s.data[s.pos:])
	return s.fail("unexpected %q", r)
}

func (s *jsonScanner) skipSpace() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// scanObjectMembers reads data, which must be exactly one JSON object
// (surrounding whitespace allowed), calling fn for each member in order.
func scanObjectMembers(data []byte, fn func(key string, v jsonValue) error) error {
	return (&jsonScanner{data: data}).wholeObject(fn)
}

// scanObjectMembersRaw is scanObjectMembers leaving string values as they
// are written: v.str is empty and v.raw holds the quoted JSON text.
func scanObjectMembersRaw(data []byte, fn func(key string, v jsonValue) error) error {
	return (&jsonScanner{data: data, rawStrings: true}).wholeObject(fn)
}

// wholeObject reads s.data, which must be exactly one JSON object.
func (s *jsonScanner) wholeObject(fn func(key string, v jsonValue) error) error {
	data := s.data
	s.skipSpace()
	if s.pos >= len(data) || data[s.pos] != '{' {
		if s.pos >= len(data) {
			return s.fail("empty record")
		}
		if c := data[s.pos]; c == '"' || c == '[' || c == '-' || (c >= '0' && c <= '9') || c == 't' || c == 'f' || c == 'n' {
			return s.reject("a record must be a JSON object")
		}
		return s.unexpected()
	}
	if err := s.object(1, fn); err != nil {
		return err
	}
	s.skipSpace()
	if s.pos != len(data) {
		return s.fail("unexpected data after the record")
	}
	return nil
}

// scanArrayOfObjectsRaw reads raw, which must be a JSON array of objects,
// calling fn for each member of each element, string values left as
// written (as scanObjectMembersRaw): one pass over the array.
func scanArrayOfObjectsRaw(raw []byte, fn func(i int, key string, v jsonValue) error) error {
	s := jsonScanner{data: raw, rawStrings: true}
	s.skipSpace()
	if s.pos >= len(raw) || raw[s.pos] != '[' {
		return s.fail("not an array")
	}
	return s.elements(1, func(i int) error {
		if s.pos >= len(raw) || raw[s.pos] != '{' {
			return s.fail("not an object")
		}
		return s.object(2, func(key string, v jsonValue) error { return fn(i, key, v) })
	})
}

// unquoteJSON decodes a JSON string written as raw (quotes included).
func unquoteJSON(raw []byte) (string, error) {
	s := jsonScanner{data: raw}
	if len(raw) == 0 || raw[0] != '"' {
		return "", s.fail("not a string")
	}
	return s.stringValue(true)
}

// scanArrayElements reads raw, which must be one JSON array, calling fn
// for each element.
func scanArrayElements(raw []byte, fn func(i int, v jsonValue) error) error {
	s := jsonScanner{data: raw}
	s.skipSpace()
	if s.pos >= len(raw) || raw[s.pos] != '[' {
		return s.fail("not an array")
	}
	return s.array(1, fn)
}

// object reads an object starting at '{'. fn may be nil (skip). Keys are
// checked for duplicates only when fn is set: records are checked, nested
// metadata is kept as written.
func (s *jsonScanner) object(depth int, fn func(key string, v jsonValue) error) error {
	if depth > maxJSONDepth {
		return s.fail("nested too deeply")
	}
	s.pos++ // '{'
	s.skipSpace()
	if s.pos < len(s.data) && s.data[s.pos] == '}' {
		s.pos++
		return nil
	}
	var seenBuf [16]string // records have a handful of fields: no allocation
	seen := seenBuf[:0]
	for {
		s.skipSpace()
		if s.pos >= len(s.data) || s.data[s.pos] != '"' {
			return s.unexpected()
		}
		keyStart := s.pos
		key, err := s.stringValue(fn != nil)
		if err != nil {
			return err
		}
		s.skipSpace()
		if s.pos >= len(s.data) || s.data[s.pos] != ':' {
			return s.unexpected()
		}
		s.pos++
		s.skipSpace()
		v, err := s.value(depth+1, fn != nil && !s.rawStrings)
		if err != nil {
			return err
		}
		if fn != nil {
			for _, k := range seen {
				if k == key {
					s.pos = keyStart
					return s.reject("duplicate field %q", key)
				}
			}
			seen = append(seen, key)
			if err := fn(key, v); err != nil {
				return err
			}
		}
		s.skipSpace()
		if s.pos >= len(s.data) {
			return s.unexpected()
		}
		switch s.data[s.pos] {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return nil
		default:
			return s.unexpected()
		}
	}
}

func (s *jsonScanner) array(depth int, fn func(i int, v jsonValue) error) error {
	return s.elements(depth, func(i int) error {
		v, err := s.value(depth+1, fn != nil)
		if err != nil || fn == nil {
			return err
		}
		return fn(i, v)
	})
}

// elements reads an array starting at '[', calling read to read each
// element at s.pos.
func (s *jsonScanner) elements(depth int, read func(i int) error) error {
	if depth > maxJSONDepth {
		return s.fail("nested too deeply")
	}
	s.pos++ // '['
	s.skipSpace()
	if s.pos < len(s.data) && s.data[s.pos] == ']' {
		s.pos++
		return nil
	}
	for i := 0; ; i++ {
		s.skipSpace()
		if err := read(i); err != nil {
			return err
		}
		s.skipSpace()
		if s.pos >= len(s.data) {
			return s.unexpected()
		}
		switch s.data[s.pos] {
		case ',':
			s.pos++
		case ']':
			s.pos++
			return nil
		default:
			return s.unexpected()
		}
	}
}

// value reads any value at s.pos. Strings are decoded only when decode is set.
func (s *jsonScanner) value(depth int, decode bool) (jsonValue, error) {
	start := s.pos
	if s.pos >= len(s.data) {
		return jsonValue{}, s.unexpected()
	}
	c := s.data[s.pos]
	var v jsonValue
	var err error
	switch {
	case c == '"':
		v.kind = '"'
		v.str, err = s.stringValue(decode)
	case c == '{':
		v.kind = '{'
		err = s.object(depth, nil)
	case c == '[':
		v.kind = '['
		err = s.array(depth, nil)
	case c == 't':
		v.kind = 't'
		err = s.literal("true")
	case c == 'f':
		v.kind = 'f'
		err = s.literal("false")
	case c == 'n':
		v.kind = 'n'
		err = s.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		v.kind = '0'
		err = s.number()
	default:
		err = s.unexpected()
	}
	if err != nil {
		return jsonValue{}, err
	}
	v.raw = s.data[start:s.pos]
	return v, nil
}

func (s *jsonScanner) literal(word string) error {
	if len(s.data)-s.pos < len(word) || string(s.data[s.pos:s.pos+len(word)]) != word {
		for i := 0; i < len(word); i++ { // point at the first wrong byte
			if s.pos >= len(s.data) || s.data[s.pos] != word[i] {
				return s.unexpected()
			}
			s.pos++
		}
	}
	s.pos += len(word)
	return nil
}

func (s *jsonScanner) digits() int {
	n := 0
	for s.pos < len(s.data) && s.data[s.pos] >= '0' && s.data[s.pos] <= '9' {
		s.pos++
		n++
	}
	return n
}

// number follows RFC 8259: -? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?
func (s *jsonScanner) number() error {
	if s.data[s.pos] == '-' {
		s.pos++
	}
	if s.pos < len(s.data) && s.data[s.pos] == '0' {
		s.pos++
	} else if s.digits() == 0 {
		return s.unexpected()
	}
	if s.pos < len(s.data) && s.data[s.pos] == '.' {
		s.pos++
		if s.digits() == 0 {
			return s.unexpected()
		}
	}
	if s.pos < len(s.data) && (s.data[s.pos] == 'e' || s.data[s.pos] == 'E') {
		s.pos++
		if s.pos < len(s.data) && (s.data[s.pos] == '+' || s.data[s.pos] == '-') {
			s.pos++
		}
		if s.digits() == 0 {
			return s.unexpected()
		}
	}
	return nil
}

// stringValue reads a string starting at '"'. Without decode it only
// validates, and returns "".
func (s *jsonScanner) stringValue(decode bool) (string, error) {
	if !decode {
		return "", s.skipString()
	}
	start := s.pos + 1
	i := start
	// Fast path: no escapes.
	for i < len(s.data) {
		c := s.data[i]
		if c == '"' {
			s.pos = i + 1
			if !decode {
				return "", nil
			}
			return string(s.data[start:i]), nil
		}
		if c == '\\' || c < 0x20 {
			break
		}
		i++
	}
	buf := append(s.buf[:0], s.data[start:i]...)
	for i < len(s.data) {
		c := s.data[i]
		switch {
		case c == '"':
			s.pos = i + 1
			s.buf = buf
			if !decode {
				return "", nil
			}
			return string(buf), nil
		case c < 0x20:
			s.pos = i
			return "", s.fail("control character %U in string (escape it)", rune(c))
		case c != '\\':
			buf = append(buf, c)
			i++
			continue
		}
		// An escape sequence.
		if i+1 >= len(s.data) {
			s.pos = len(s.data)
			return "", s.unexpected()
		}
		switch e := s.data[i+1]; e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := hex4(s.data[i+2:])
			if !ok {
				s.pos = i
				return "", s.fail("invalid \\u escape")
			}
			i += 6
			if utf16.IsSurrogate(r) {
				// A pair makes one rune; a lone half becomes U+FFFD, as in encoding/json.
				if r2, ok := hex4(s.data[min(i+2, len(s.data)):]); ok && i+1 < len(s.data) && s.data[i] == '\\' && s.data[i+1] == 'u' {
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						buf = utf8.AppendRune(buf, dec)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			buf = utf8.AppendRune(buf, r)
			continue
		default:
			s.pos = i
			return "", s.fail("invalid escape \\%c", e)
		}
		i += 2
	}
	s.pos = len(s.data)
	s.buf = buf
	return "", s.fail("unterminated string")
}

// skipString checks a string starting at '"' without decoding it: the
// same checks as stringValue, with no copy (a lone surrogate half is
// valid JSON; decoding turns it into U+FFFD).
func (s *jsonScanner) skipString() error {
	i := s.pos + 1
	for {
		for i+8 <= len(s.data) && !stringSpecial(binary.LittleEndian.Uint64(s.data[i:])) {
			i += 8 // eight bytes of plain text at a time
		}
		if i >= len(s.data) {
			s.pos = len(s.data)
			return s.fail("unterminated string")
		}
		switch c := s.data[i]; {
		case c == '"':
			s.pos = i + 1
			return nil
		case c < 0x20:
			s.pos = i
			return s.fail("control character %U in string (escape it)", rune(c))
		case c != '\\':
			i++
			continue
		}
		if i+1 >= len(s.data) {
			s.pos = len(s.data)
			return s.unexpected()
		}
		switch e := s.data[i+1]; e {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			i += 2
		case 'u':
			if _, ok := hex4(s.data[i+2:]); !ok {
				s.pos = i
				return s.fail("invalid \\u escape")
			}
			i += 6
		default:
			s.pos = i
			return s.fail("invalid escape \\%c", e)
		}
	}
}

// Word-at-a-time tests on eight bytes (the classic bit tricks: each is
// exact about whether such a byte is there).
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// hasZeroByte reports whether a byte of w is 0.
func hasZeroByte(w uint64) bool { return (w-ones)&^w&highs != 0 }

// hasByteBelow reports whether a byte of w is below n (n ≤ 128).
func hasByteBelow(w uint64, n uint64) bool { return (w-ones*n)&^w&highs != 0 }

// stringSpecial reports whether any of eight bytes ends or escapes a
// string, or is a control character: '"', '\\' or below 0x20.
func stringSpecial(w uint64) bool {
	return hasZeroByte(w^(ones*'"')) || hasZeroByte(w^(ones*'\\')) || hasByteBelow(w, 0x20)
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
