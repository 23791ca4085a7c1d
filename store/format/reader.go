package format

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
	col  int    // bytes before the record on that line (0 for a JSONL line)
	data []byte // valid until the next call to next
	bad  string // why the record cannot be parsed at all (data is nil)
}

// position is the line and (1-based, in bytes) column of byte off of the
// record, for messages.
func (rec rawRecord) position(off int) (line, col int) {
	before := rec.data[:off]
	if nl := bytes.Count(before, []byte("\n")); nl > 0 {
		return rec.line + nl, off - bytes.LastIndexByte(before, '\n')
	}
	return rec.line, rec.col + off + 1
}

// recordReader splits an input stream into records without reading the
// whole stream: JSONL (one object per line) or a JSON array of objects,
// told apart by the first non-blank byte. Memory is bounded by
// MaxRecordBytes whatever the size of the input.
type recordReader struct {
	r     *bufio.Reader
	array bool
	line  int // newlines consumed so far
	col   int // bytes consumed since the last newline
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
	// Leading blanks tell nothing; the first byte after them tells the
	// two layouts apart.
	switch err := rr.skipSpace(); {
	case errors.Is(err, io.EOF):
		rr.done = true
		return rr, nil
	case err != nil:
		return nil, err
	}
	if c, _ := rr.peekByte(); c == '[' {
		rr.array = true
		rr.readByte()
	}
	return rr, nil
}

// readByte consumes one byte, keeping count of lines and columns.
func (rr *recordReader) readByte() (byte, error) {
	c, err := rr.r.ReadByte()
	if err != nil {
		return 0, err
	}
	rr.n++
	if c == '\n' {
		rr.line++
		rr.col = 0
	} else {
		rr.col++
	}
	return c, nil
}

func (rr *recordReader) peekByte() (byte, error) {
	b, err := rr.r.Peek(1)
	if err != nil {
		return 0, err
	}
	return b[0], nil
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// isBlank reports whether a line holds only JSON whitespace (other Unicode
// spaces are content, and make the line a bad record).
func isBlank(line []byte) bool {
	for _, c := range line {
		if !isJSONSpace(c) {
			return false
		}
	}
	return true
}

// skipSpace consumes JSON whitespace.
func (rr *recordReader) skipSpace() error {
	for {
		c, err := rr.peekByte()
		if err != nil {
			return err
		}
		if !isJSONSpace(c) {
			return nil
		}
		rr.readByte()
	}
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
		start, col := rr.line+1, rr.col
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
			rr.done = true // the rest of the line is not read: see readLine
			return rawRecord{line: start, bad: "line is longer than 8 MiB"}, nil
		}
		if isBlank(line) {
			if rr.done {
				return rawRecord{}, io.EOF
			}
			continue
		}
		return checkUTF8(rawRecord{line: start, col: col, data: line}), nil
	}
}

// readLine reads the rest of a line without its line ending. A line longer
// than MaxRecordBytes is read only that far and reported as too long: the
// reading ends there, since the end of the line may never come (an endless
// stream without a newline, /dev/zero).
func (rr *recordReader) readLine() (line []byte, tooLong bool, err error) {
	rr.buf = rr.buf[:0]
	for {
		chunk, err := rr.r.ReadSlice('\n')
		rr.n += int64(len(chunk))
		if len(rr.buf)+len(chunk) > MaxRecordBytes+2 { // +2: the line ending
			rr.buf = rr.buf[:0]
			return nil, true, nil
		}
		if err == nil && len(rr.buf) == 0 {
			line = chunk // the common case: no copy
		} else {
			rr.buf = append(rr.buf, chunk...)
			line = rr.buf
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			rr.col += len(chunk)
			continue
		}
		if err == nil {
			rr.line++
			rr.col = 0
		} else {
			rr.col += len(chunk)
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
	line, col := rec.position(off)
	return rawRecord{line: line, bad: fmt.Sprintf("invalid UTF-8 at column %d", col)}
}

// brokenArray is a broken JSON array: the records after it cannot be found.
func (rr *recordReader) brokenArray(format string, args ...any) error {
	return &arrayError{Line: rr.line + 1, Reason: fmt.Sprintf(format, args...)}
}

// arrayError is a JSON array input whose structure is broken at Line.
type arrayError struct {
	Line   int
	Reason string
}

func (e *arrayError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Reason) }

func (rr *recordReader) nextElement() (rawRecord, error) {
	if err := rr.skipSpace(); err != nil {
		return rawRecord{}, rr.arrayEOF(err)
	}
	c, _ := rr.peekByte()
	switch {
	case c == ']':
		rr.readByte()
		rr.done = true
		if err := rr.skipSpace(); !errors.Is(err, io.EOF) {
			if err != nil {
				return rawRecord{}, err
			}
			return rawRecord{}, rr.brokenArray("invalid JSON: unexpected data after the closing ]")
		}
		return rawRecord{}, io.EOF
	case c == ',' && !rr.first:
		rr.readByte()
		if err := rr.skipSpace(); err != nil {
			return rawRecord{}, rr.arrayEOF(err)
		}
	case rr.first:
	default:
		return rawRecord{}, rr.brokenArray("invalid JSON: expected , or ] between records, found %q", c)
	}
	rr.first = false
	start, col := rr.line+1, rr.col
	data, tooLong, err := rr.readValue()
	if err != nil {
		return rawRecord{}, err
	}
	if tooLong {
		rr.done = true // the rest of the record is not read: see readValue
		return rawRecord{line: start, bad: "record is longer than 8 MiB"}, nil
	}
	return checkUTF8(rawRecord{line: start, col: col, data: data}), nil
}

func (rr *recordReader) arrayEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return rr.brokenArray("invalid JSON: the input ends before the closing ]")
	}
	return err
}

// readValue reads one JSON value, tracking strings and nesting only far
// enough to find where it ends; the record parser checks the rest. It
// scans what the reader has buffered a chunk at a time. A value longer than
// MaxRecordBytes is read only that far and reported as too long (its end
// may never come).
func (rr *recordReader) readValue() (data []byte, tooLong bool, err error) {
	rr.buf = rr.buf[:0]
	depth, inString, escaped, started := 0, false, false, false
	for {
		if _, err := rr.r.Peek(1); err != nil {
			return nil, false, rr.arrayEOF(err)
		}
		chunk, _ := rr.r.Peek(rr.r.Buffered())
		i, end := 0, false
	scan:
		for ; i < len(chunk); i++ {
			c := chunk[i]
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
						i++
						end = true
						break scan
					}
				}
			case depth == 0 && started && isValueEnd(c):
				end = true // a bare scalar ends at a delimiter, which stays unread
				break scan
			case c == '"':
				inString = true
			case c == '{' || c == '[':
				depth++
			case c == '}' || c == ']':
				depth--
				if depth == 0 {
					i++
					end = true
					break scan
				}
				if depth < 0 {
					rr.consume(chunk[:i])
					return nil, false, rr.brokenArray("invalid JSON: unexpected %q", c)
				}
			}
			started = true
		}
		if len(rr.buf)+i > MaxRecordBytes {
			rr.buf = rr.buf[:0]
			return nil, true, nil
		}
		rr.buf = append(rr.buf, chunk[:i]...)
		rr.consume(chunk[:i])
		if end {
			return rr.buf, tooLong, nil
		}
	}
}

// consume discards bytes already looked at, keeping count of lines and
// columns.
func (rr *recordReader) consume(b []byte) {
	if nl := bytes.Count(b, []byte("\n")); nl > 0 {
		rr.line += nl
		rr.col = len(b) - 1 - bytes.LastIndexByte(b, '\n')
	} else {
		rr.col += len(b)
	}
	rr.n += int64(len(b))
	rr.r.Discard(len(b))
}

func isValueEnd(c byte) bool { return c == ',' || c == ']' || isJSONSpace(c) }
