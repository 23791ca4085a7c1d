// Package parse holds what the popi and AlignX parsers share: errors
// placed in a record, ids, and folding unknown fields into meta.
package parse

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/popi-tui/popi-tui/store/format/jsonscan"
	"github.com/popi-tui/popi-tui/store/signal"
)

// Error is a bad record: why, and where in the record (a byte offset, or
// -1 when the record as a whole is at fault).
type Error struct {
	Msg string
	Off int
}

func (e *Error) Error() string { return e.Msg }

// Bad is an Error about the record as a whole.
func Bad(format string, args ...any) error {
	return &Error{Msg: fmt.Sprintf(format, args...), Off: -1}
}

// At is an Error at byte off of the record.
func At(off int, format string, args ...any) error {
	return &Error{Msg: fmt.Sprintf(format, args...), Off: off}
}

// OffsetIn is where sub, a slice of data's bytes, starts within data.
// Nested values are parsed from slices of the record, so this places an
// error inside a nested pair on its own line.
func OffsetIn(data, sub []byte) int { return cap(data) - cap(sub) }

// Member is a field of a record kept as written, for meta.
type Member struct {
	Key string
	Raw []byte
}

// ID reads a user or record id: a string, or a number kept as written.
func ID(key string, v jsonscan.Value) (string, error) {
	var s string
	switch v.Kind {
	case '"':
		s = v.Str
	case '0':
		s = string(v.Raw)
	default:
		return "", Bad("%q must be a string", key)
	}
	if why := signal.CheckID(s); why != "" {
		return "", Bad("%q %s", key, why)
	}
	return s, nil
}

// MergeMeta folds a record's unknown fields into its meta object, keeping
// every value as written but for insignificant whitespace (so that a record
// written back out stays on one line). A field both at the top level and in
// meta would lose one of the two, so it is an error.
func MergeMeta(meta []byte, extra []Member) ([]byte, error) {
	if len(meta) == 0 && len(extra) == 0 {
		return nil, nil
	}
	out := []byte{'{'}
	seen := make(map[string]bool, len(extra))
	add := func(key string, raw []byte) {
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = jsonscan.AppendQuote(out, key)
		out = append(out, ':')
		out = append(out, raw...)
	}
	if len(meta) > 0 {
		err := jsonscan.Object(meta, func(key string, v jsonscan.Value) error {
			seen[key] = true
			add(key, v.Raw)
			return nil
		})
		if err != nil {
			return nil, Bad(`"meta": %v`, err)
		}
	}
	for _, m := range extra {
		if seen[m.Key] {
			return nil, Bad("field %q appears both at the top level and in \"meta\"", m.Key)
		}
		add(m.Key, m.Raw)
	}
	out = append(out, '}')
	if len(out) == 2 {
		return nil, nil // "meta": {} says nothing, and must not make a record differ
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, out); err != nil {
		return nil, Bad("meta: %v", err) // cannot happen: every part was checked
	}
	return compact.Bytes(), nil
}
