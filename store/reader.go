package store

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// MaxRecordBytes bounds one record (one JSONL line, or one element of a
// JSON array). A longer one is reported as bad, never read into memory.
const MaxRecordBytes = 8 << 20

// rawRecord is one record as read, before parsing.
type rawRecord struct {
	line int    // the line the record starts on (1-based)
	data []byte // valid until the next call to next
	bad  string // why the record cannot be parsed at all (data is nil)
}

// recordReader splits an input stream into records without reading the
// whole stream: JSONL (one object per line) or a JSON array of objects,
// told apart by the first non-blank byte. Memory is bounded by
// MaxRecordBytes whatever the size of the input.
type recordReader struct {
	r     *bufio.Reader
	array bool
	line  int // lines consumed so far
	buf   []byte
	n     int64 // bytes consumed, for progress
	first bool  // in array mode: no element read yet
	done  bool
}

func newRecordReader(r io.Reader) (*recordReader, error) {
	rr := &recordReader{r: bufio.NewReaderSize(r, 64<<10), first: true}
	if bom, _ := rr.r.Peek(3); bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		rr.r.Discard(3)
		rr.n += 3
	}
	// Peek past leading blanks (without consuming them: line numbers are
	// counted as lines are read) to tell the two layouts apart.
	for size := 64; ; size *= 2 {
		b, err := rr.r.Peek(size)
		if i := bytes.IndexFunc(b, func(r rune) bool { return r != ' ' && r != '\t' && r != '\n' && r != '\r' }); i >= 0 {
			rr.array = b[i] == '['
			break
		}
		if err != nil { // blank input, or a read error that next will report
			break
		}
	}
	if rr.array {
		if err := rr.skipSpace(); err != nil {
			return nil, err
		}
		rr.r.ReadByte() // '['
		rr.n++
	}
	return rr, nil
}

// next returns the next record, io.EOF at the end, or another error when
// the input cannot be read further (a read error, or a JSON array whose
// structure is broken, after which no record boundary can be trusted).
func (rr *recordReader) next() (rawRecord, error) {
	if rr.done {
		return rawRecord{}, io.EOF
	}
	if rr.array {
		return rr.nextElement()
	}
	for {
		start := rr.line + 1
		line, tooLong, err := rr.readLine()
		if err != nil && !errors.Is(err, io.EOF) {
			return rawRecord{}, fmt.Errorf("line %d: %w", start, err)
		}
		if errors.Is(err, io.EOF) {
			rr.done = true
			if len(line) == 0 && !tooLong {
				return rawRecord{}, io.EOF
			}
		}
		if tooLong {
			return rawRecord{line: start, bad: "line is longer than 8 MiB"}, nil
		}
		if len(bytes.TrimSpace(line)) == 0 {
			if rr.done {
				return rawRecord{}, io.EOF
			}
			continue
		}
		return checkUTF8(rawRecord{line: start, data: line}), nil
	}
}

// readLine reads one line without its line ending. A line longer than
// MaxRecordBytes is consumed but not kept.
func (rr *recordReader) readLine() (line []byte, tooLong bool, err error) {
	rr.line++
	rr.buf = rr.buf[:0]
	for {
		chunk, err := rr.r.ReadSlice('\n')
		rr.n += int64(len(chunk))
		if !tooLong {
			if len(rr.buf)+len(chunk) > MaxRecordBytes+2 { // +2: the line ending
				tooLong, rr.buf = true, rr.buf[:0]
			} else if err == nil && len(rr.buf) == 0 {
				line = chunk // the common case: no copy
			} else {
				rr.buf = append(rr.buf, chunk...)
				line = rr.buf
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if tooLong {
			return nil, true, err
		}
		line = bytes.TrimSuffix(line, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) > MaxRecordBytes {
			return nil, true, err
		}
		return line, false, err
	}
}

// checkUTF8 marks a record holding invalid UTF-8 as bad: encoding/json
// would quietly turn such bytes into U+FFFD, and text is kept as given.
func checkUTF8(rec rawRecord) rawRecord {
	if utf8.Valid(rec.data) {
		return rec
	}
	off := 0
	for off < len(rec.data) {
		r, size := utf8.DecodeRune(rec.data[off:])
		if r == utf8.RuneError && size == 1 {
			break
		}
		off += size
	}
	line := rec.line + bytes.Count(rec.data[:off], []byte("\n"))
	col := off - bytes.LastIndexByte(rec.data[:off], '\n')
	return rawRecord{line: line, bad: fmt.Sprintf("invalid UTF-8 at column %d", col)}
}

// skipSpace consumes blanks, counting lines.
func (rr *recordReader) skipSpace() error {
	for {
		c, err := rr.r.ReadByte()
		if err != nil {
			return err
		}
		switch c {
		case '\n':
			rr.line++
		case ' ', '\t', '\r':
		default:
			rr.r.UnreadByte()
			return nil
		}
		rr.n++
	}
}

// arrayError is a broken JSON array: the records after it cannot be found.
func (rr *recordReader) arrayError(format string, args ...any) error {
	return &ArrayError{Line: rr.line + 1, Reason: fmt.Sprintf(format, args...)}
}

// ArrayError is a JSON array input whose structure is broken at Line.
type ArrayError struct {
	Line   int
	Reason string
}

func (e *ArrayError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Reason) }

func (rr *recordReader) nextElement() (rawRecord, error) {
	if err := rr.skipSpace(); err != nil {
		return rawRecord{}, rr.arrayEOF(err)
	}
	c, _ := rr.r.ReadByte()
	rr.n++
	switch {
	case c == ']':
		rr.done = true
		if err := rr.skipSpace(); !errors.Is(err, io.EOF) {
			if err != nil {
				return rawRecord{}, err
			}
			return rawRecord{}, rr.arrayError("invalid JSON: unexpected data after the closing ]")
		}
		return rawRecord{}, io.EOF
	case c == ',' && !rr.first:
		if err := rr.skipSpace(); err != nil {
			return rawRecord{}, rr.arrayEOF(err)
		}
	case rr.first:
		rr.r.UnreadByte()
		rr.n--
	default:
		return rawRecord{}, rr.arrayError("invalid JSON: expected , or ] between records, found %q", c)
	}
	rr.first = false
	start := rr.line + 1
	data, tooLong, err := rr.readValue()
	if err != nil {
		return rawRecord{}, err
	}
	if tooLong {
		return rawRecord{line: start, bad: "record is longer than 8 MiB"}, nil
	}
	return checkUTF8(rawRecord{line: start, data: data}), nil
}

func (rr *recordReader) arrayEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return rr.arrayError("invalid JSON: the input ends before the closing ]")
	}
	return err
}

// readValue reads one JSON value, tracking strings and nesting only far
// enough to find where it ends; the record parser checks the rest.
func (rr *recordReader) readValue() (data []byte, tooLong bool, err error) {
	rr.buf = rr.buf[:0]
	depth, inString, escaped, started := 0, false, false, false
	for {
		c, err := rr.r.ReadByte()
		if err != nil {
			return nil, false, rr.arrayEOF(err)
		}
		if !inString && depth == 0 && started && isValueEnd(c) {
			rr.r.UnreadByte() // a bare scalar ends at a delimiter
			return rr.buf, false, nil
		}
		rr.n++
		started = true
		if c == '\n' {
			rr.line++
		}
		if !tooLong {
			if len(rr.buf) >= MaxRecordBytes {
				tooLong, rr.buf = true, rr.buf[:0]
			} else {
				rr.buf = append(rr.buf, c)
			}
		}
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
				if depth == 0 {
					return rr.buf, tooLong, nil
				}
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
			if depth == 0 {
				return rr.buf, tooLong, nil
			}
			if depth < 0 {
				return nil, false, rr.arrayError("invalid JSON: unexpected %q", c)
			}
		}
	}
}

func isValueEnd(c byte) bool {
	return c == ',' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r'
}
