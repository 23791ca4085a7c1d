// Package format reads the records of an input file in the formats
// popi-tui imports, popi JSONL and AlignX: it splits the input into records
// (reader.go), decides --format auto from the first record, and parses each
// record with its format's parser (packages popi and alignx). The store's
// import takes the parsed records from a Reader and writes them, all or
// nothing; nothing here touches a database.
package format

import (
	"errors"
	"fmt"
	"io"

	"github.com/popi-tui/popi-tui/store/format/alignx"
	"github.com/popi-tui/popi-tui/store/format/internal/parse"
	"github.com/popi-tui/popi-tui/store/format/jsonscan"
	"github.com/popi-tui/popi-tui/store/format/popi"
	"github.com/popi-tui/popi-tui/store/signal"
)

// Format is an input layout.
type Format string

const (
	Auto   Format = "auto"   // decided by the first record
	Popi   Format = "popi"   // popi JSONL: a signal per line (README: import)
	AlignX Format = "alignx" // AlignX: a user per record, JSONL or a JSON array
)

// Parse checks a --format value.
func Parse(s string) (Format, error) {
	switch f := Format(s); f {
	case Auto, Popi, AlignX:
		return f, nil
	}
	return "", fmt.Errorf("unknown format %q (want auto, popi or alignx)", s)
}

// Record is one input record, parsed: the signals it gives one user, or
// why it is bad.
type Record struct {
	Line     int    // where the record starts, or where what is wrong with it is
	Bad      string // why the record is bad, with its column when known; "" for a good one
	User     string
	UserMeta []byte // user-level fields of a record per user (AlignX)
	Signals  []signal.Signal
}

// Reader reads the records of one input, parsing each in its format.
// Memory is bounded by MaxRecordBytes whatever the size of the input.
type Reader struct {
	rr     *recordReader
	format Format
	done   bool
}

// NewReader starts reading r in format f (Auto: decided by the first
// record that is a JSON object).
func NewReader(r io.Reader, f Format) (*Reader, error) {
	rr, err := newRecordReader(r)
	if err != nil {
		return nil, err
	}
	return &Reader{rr: rr, format: f}, nil
}

// Format is the format being read: under Auto, popi until a record says
// otherwise.
func (r *Reader) Format() Format {
	if r.format == Auto {
		return Popi
	}
	return r.format
}

// BytesRead is how much of the input has been consumed, for progress.
func (r *Reader) BytesRead() int64 { return r.rr.n }

// Next returns the next record, io.EOF after the last, or another error
// when the input cannot be read further. A JSON array whose structure is
// broken is one bad record, the last: no record after it can be found.
func (r *Reader) Next() (Record, error) {
	if r.done {
		return Record{}, io.EOF
	}
	rec, err := r.rr.next()
	if err != nil {
		var ae *arrayError
		if errors.As(err, &ae) {
			r.done = true
			return Record{Line: ae.Line, Bad: ae.Reason}, nil
		}
		return Record{}, err
	}
	if rec.bad != "" {
		return Record{Line: rec.line, Bad: rec.bad}, nil
	}
	f := r.format
	if f == Auto {
		if sniffed, ok := sniff(rec.data); ok {
			r.format, f = sniffed, sniffed
		} else {
			f = Popi // not even an object: the same error in any format
		}
	}
	out := Record{Line: rec.line}
	if f == AlignX {
		u, err := alignx.Parse(rec.data)
		out.User, out.UserMeta, out.Signals = u.ID, u.Meta, u.Signals
		if err != nil {
			return placeError(rec, err), nil
		}
		return out, nil
	}
	s, err := popi.Parse(rec.data)
	if err != nil {
		return placeError(rec, err), nil
	}
	out.User, out.Signals = s.User, []signal.Signal{s}
	return out, nil
}

// sniff decides --format auto from the first record that is a JSON
// object (ok is false for one that is not: it is bad in either format,
// and the next one decides). popi records say their kind and user; AlignX
// records have neither, but a pair's fields or AlignX's own. Anything else
// is read as popi, whose messages then say what is missing.
func sniff(data []byte) (f Format, ok bool) {
	var kind, user, pair, own bool
	err := jsonscan.Object(data, func(key string, _ jsonscan.Value) error {
		switch key {
		case "kind":
			kind = true
		case "user":
			user = true
		case "prompt", "chosen", "rejected":
			pair = true
		default:
			own = own || alignx.OwnField(key)
		}
		return nil
	})
	switch {
	case err != nil:
		return Auto, false
	case kind:
		return Popi, true
	case own || (pair && !user):
		return AlignX, true
	}
	return Popi, true
}

// placeError makes a parse error a bad record on the line (and column)
// it is on.
func placeError(rec rawRecord, err error) Record {
	off, reason := -1, err.Error()
	var se *jsonscan.SyntaxError
	var pe *parse.Error
	switch {
	case errors.As(err, &se):
		off = se.Off
	case errors.As(err, &pe):
		off = pe.Off
	}
	line := rec.line
	if off >= 0 && off <= len(rec.data) {
		var col int
		line, col = rec.position(off)
		if se != nil {
			reason = fmt.Sprintf("%s (column %d)", reason, col)
		}
	}
	return Record{Line: line, Bad: reason}
}
