package store

import (
	"bufio"
	"io"
)

// Users export formats.
const UsersPopi = "popi" // popi JSONL (DESIGN §3.1), whatever format the users came in

// UsersReport says what a users export wrote.
type UsersReport struct {
	Rows  int `json:"rows"`  // records
	Users int `json:"users"` // users they belong to
}

// ExportUsers writes every signal of every user as popi JSONL records, so a
// database (or an AlignX file imported into one) can be moved, diffed or
// re-imported: each record carries its id, so importing the output into a
// database that already holds it adds nothing. popi JSONL has records for
// signals only, so user-level metadata (AlignX's per-user "Preference
// Direction", say) stays behind.
func (db *DB) ExportUsers(w io.Writer) (UsersReport, error) {
	var rep UsersReport
	safe := newPrintSafeWriter(w)
	bw := bufio.NewWriterSize(safe, 64<<10)
	var line []byte
	last := ""
	err := db.EachSignal(func(s Signal) error {
		line = appendPopiRecord(line[:0], &s)
		rep.Rows++
		if s.User != last || rep.Users == 0 {
			rep.Users++
			last = s.User
		}
		_, err := bw.Write(line)
		return err
	})
	if err != nil {
		return rep, err
	}
	if err := bw.Flush(); err != nil {
		return rep, err
	}
	return rep, safe.Close()
}

// appendPopiRecord writes one signal as one popi JSONL line. Strings are
// written as stored and meta as imported (compacted), so the line parses
// back to the same signal.
func appendPopiRecord(dst []byte, s *Signal) []byte {
	field := func(name, v string) {
		dst = append(dst, ',')
		dst = appendJSONString(dst, name)
		dst = append(dst, ':')
		dst = appendJSONString(dst, v)
	}
	dst = append(dst, `{"user":`...)
	dst = appendJSONString(dst, s.User)
	field("kind", s.Kind.String())
	field("id", s.ID)
	switch s.Kind {
	case KindPair:
		field("split", s.Split.String())
		field("prompt", s.Prompt)
		field("chosen", s.Chosen)
		field("rejected", s.Rejected)
	case KindTask:
		field("prompt", s.Prompt)
	case KindText:
		field("text", s.Text)
		if s.Source != "" {
			field("source", s.Source)
		}
	default:
		field("text", s.Text)
	}
	if len(s.Meta) > 0 {
		dst = append(dst, `,"meta":`...)
		dst = append(dst, s.Meta...)
	}
	return append(dst, '}', '\n')
}
