// Package jsonscan is a small strict JSON reader for records: the
// importers read every input record with it, and the store reads label
// heads and the exporters stored answers with it. Import speed is measured
// against plain encoding/json decoding of the same file (README,
// Performance); reflection-based decoding plus re-encoding cannot meet
// that, so records are read member by member: strings are decoded once,
// straight into the values stored, and everything else is validated and
// kept as the raw bytes it was written as (for meta). It accepts exactly
// what encoding/json accepts (a fuzz test holds it to that), except that
// it rejects duplicate keys, which encoding/json silently resolves.
//
// It imports nothing of popi-tui: the store and every format package use it.
package jsonscan

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxJSONDepth matches encoding/json's nesting limit.
const maxJSONDepth = 10000

// SyntaxError is malformed JSON at a byte offset of the scanned text.
type SyntaxError struct {
	Msg string
	Off int
}

func (e *SyntaxError) Error() string { return e.Msg }

// Value is one value of an object or array.
type Value struct {
	Raw  []byte // exactly as written
	Str  string // decoded text, when Kind is '"'
	Kind byte   // '"' string, '{' object, '[' array, 'n' null, 't' true, 'f' false, '0' number
}

type scanner struct {
	data []byte
	pos  int
	buf  []byte // scratch for strings with escapes
	// rawStrings leaves the strings of member values undecoded (keys are
	// decoded): for callers that copy JSON text as it is.
	rawStrings bool
}

// fail reports malformed JSON at the current position.
func (s *scanner) fail(format string, args ...any) error {
	return &SyntaxError{Msg: "invalid JSON: " + fmt.Sprintf(format, args...), Off: s.pos}
}

// reject reports well-formed JSON that is still not a record: a duplicate
// field, or something other than an object.
func (s *scanner) reject(format string, args ...any) error {
	return &SyntaxError{Msg: fmt.Sprintf(format, args...), Off: s.pos}
}

func (s *scanner) unexpected() error {
	if s.pos >= len(s.data) {
		return s.fail("unexpected end of input")
	}
	r, _ := utf8.DecodeRune(s.data[s.pos:])
	return s.fail("unexpected %q", r)
}

func (s *scanner) skipSpace() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// Object reads data, which must be exactly one JSON object
// (surrounding whitespace allowed), calling fn for each member in order.
func Object(data []byte, fn func(key string, v Value) error) error {
	return (&scanner{data: data}).wholeObject(fn)
}

// ObjectRaw is Object leaving string values as they
// are written: v.Str is empty and v.Raw holds the quoted JSON text.
func ObjectRaw(data []byte, fn func(key string, v Value) error) error {
	return (&scanner{data: data, rawStrings: true}).wholeObject(fn)
}

// wholeObject reads s.data, which must be exactly one JSON object.
func (s *scanner) wholeObject(fn func(key string, v Value) error) error {
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

// ArrayOfObjectsRaw reads raw, which must be a JSON array of objects,
// calling fn for each member of each element, string values left as
// written (as ObjectRaw): one pass over the array.
func ArrayOfObjectsRaw(raw []byte, fn func(i int, key string, v Value) error) error {
	s := scanner{data: raw, rawStrings: true}
	s.skipSpace()
	if s.pos >= len(raw) || raw[s.pos] != '[' {
		return s.fail("not an array")
	}
	return s.elements(1, func(i int) error {
		if s.pos >= len(raw) || raw[s.pos] != '{' {
			return s.fail("not an object")
		}
		return s.object(2, func(key string, v Value) error { return fn(i, key, v) })
	})
}

// Unquote decodes a JSON string written as raw (quotes included).
func Unquote(raw []byte) (string, error) {
	s := scanner{data: raw}
	if len(raw) == 0 || raw[0] != '"' {
		return "", s.fail("not a string")
	}
	return s.stringValue(true)
}

// Array reads raw, which must be one JSON array, calling fn
// for each element.
func Array(raw []byte, fn func(i int, v Value) error) error {
	s := scanner{data: raw}
	s.skipSpace()
	if s.pos >= len(raw) || raw[s.pos] != '[' {
		return s.fail("not an array")
	}
	return s.array(1, fn)
}

// object reads an object starting at '{'. fn may be nil (skip). Keys are
// checked for duplicates only when fn is set: records are checked, nested
// metadata is kept as written.
func (s *scanner) object(depth int, fn func(key string, v Value) error) error {
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

func (s *scanner) array(depth int, fn func(i int, v Value) error) error {
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
func (s *scanner) elements(depth int, read func(i int) error) error {
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
func (s *scanner) value(depth int, decode bool) (Value, error) {
	start := s.pos
	if s.pos >= len(s.data) {
		return Value{}, s.unexpected()
	}
	c := s.data[s.pos]
	var v Value
	var err error
	switch {
	case c == '"':
		v.Kind = '"'
		v.Str, err = s.stringValue(decode)
	case c == '{':
		v.Kind = '{'
		err = s.object(depth, nil)
	case c == '[':
		v.Kind = '['
		err = s.array(depth, nil)
	case c == 't':
		v.Kind = 't'
		err = s.literal("true")
	case c == 'f':
		v.Kind = 'f'
		err = s.literal("false")
	case c == 'n':
		v.Kind = 'n'
		err = s.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		v.Kind = '0'
		err = s.number()
	default:
		err = s.unexpected()
	}
	if err != nil {
		return Value{}, err
	}
	v.Raw = s.data[start:s.pos]
	return v, nil
}

func (s *scanner) literal(word string) error {
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

func (s *scanner) digits() int {
	n := 0
	for s.pos < len(s.data) && s.data[s.pos] >= '0' && s.data[s.pos] <= '9' {
		s.pos++
		n++
	}
	return n
}

// number follows RFC 8259: -? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?
func (s *scanner) number() error {
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
func (s *scanner) stringValue(decode bool) (string, error) {
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
			return string(buf), nil
		case c < 0x20:
			s.pos = i
			return "", s.fail("control character %U in string (escape it)", rune(c))
		case c != '\\':
			buf = append(buf, c)
			i++
			continue
		}
		var err error
		if buf, i, err = s.unescape(buf, i); err != nil {
			return "", err
		}
	}
	s.pos = len(s.data)
	s.buf = buf
	return "", s.fail("unterminated string")
}

// unescape decodes the escape sequence at data[i] onto buf, and returns
// where the text after it starts.
func (s *scanner) unescape(buf []byte, i int) ([]byte, int, error) {
	if i+1 >= len(s.data) {
		s.pos = len(s.data)
		return buf, i, s.unexpected()
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
			return buf, i, s.fail("invalid \\u escape")
		}
		i += 6
		if utf16.IsSurrogate(r) {
			// A pair makes one rune; a lone half becomes U+FFFD, as in encoding/json.
			if r2, ok := hex4(s.data[min(i+2, len(s.data)):]); ok && i+1 < len(s.data) && s.data[i] == '\\' && s.data[i+1] == 'u' {
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					return utf8.AppendRune(buf, dec), i + 6, nil
				}
			}
			r = utf8.RuneError
		}
		return utf8.AppendRune(buf, r), i, nil
	default:
		s.pos = i
		return buf, i, s.fail("invalid escape \\%c", e)
	}
	return buf, i + 2, nil
}

// skipString checks a string starting at '"' without decoding it: the
// same checks as stringValue, with no copy (a lone surrogate half is
// valid JSON; decoding turns it into U+FFFD).
func (s *scanner) skipString() error {
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

// Text is a string member's value ("" for null, as encoding/json leaves it).
func (v Value) Text(key string) (string, error) {
	switch v.Kind {
	case '"':
		return v.Str, nil
	case 'n':
		return "", nil
	}
	return "", fmt.Errorf("%s: not a string", key)
}

// Int is a number member's value as an int (0 for null).
func (v Value) Int(key string) (int, error) {
	switch v.Kind {
	case '0':
		n, err := strconv.Atoi(string(v.Raw))
		if err != nil {
			return 0, fmt.Errorf("%s: %w", key, err)
		}
		return n, nil
	case 'n':
		return 0, nil
	}
	return 0, fmt.Errorf("%s: not a number", key)
}

// Elements calls fn for each element of an array member (none for null).
func (v Value) Elements(key string, fn func(Value) error) error {
	switch v.Kind {
	case '[':
		return Array(v.Raw, func(_ int, e Value) error { return fn(e) })
	case 'n':
		return nil
	}
	return fmt.Errorf("%s: not an array", key)
}

// AppendQuote appends s as a JSON string literal: the writers' side of
// Unquote.
func AppendQuote(dst []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}
