package popi

import (
	"bufio"
	"io"

	"github.com/popi-tui/popi-tui/store/format/jsonscan"
	"github.com/popi-tui/popi-tui/store/format/printsafe"
	"github.com/popi-tui/popi-tui/store/signal"
)

// Report says what a users export wrote.
type Report struct {
	Rows  int `json:"rows"`  // records
	Users int `json:"users"` // users they belong to
}

// WriteUsers writes every signal of every user as popi JSONL records, so a
// database (or an AlignX file imported into one) can be moved, diffed or
// re-imported: each record carries its id, so importing the output into a
// database that already holds it adds nothing. popi JSONL has records for
// signals only, so user-level metadata (AlignX's per-user "Preference
// Direction", say) stays behind. signals calls its argument for every
// signal, user by user (the store's EachSignal).
func WriteUsers(w io.Writer, signals func(func(signal.Signal) error) error) (Report, error) {
	var rep Report
	safe := printsafe.NewWriter(w)
	bw := bufio.NewWriterSize(safe, 64<<10)
	var line []byte
	last := ""
	err := signals(func(s signal.Signal) error {
		line = Append(line[:0], &s)
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

// Append writes one signal as one popi JSONL line. Strings are
// written as stored and meta as imported (compacted), so the line parses
// back to the same signal.
func Append(dst []byte, s *signal.Signal) []byte {
	field := func(name, v string) {
		dst = append(dst, ',')
		dst = jsonscan.AppendQuote(dst, name)
		dst = append(dst, ':')
		dst = jsonscan.AppendQuote(dst, v)
	}
	dst = append(dst, `{"user":`...)
	dst = jsonscan.AppendQuote(dst, s.User)
	field("kind", s.Kind.String())
	field("id", s.ID)
	switch s.Kind {
	case signal.KindPair:
		field("split", s.Split.String())
		field("prompt", s.Prompt)
		field("chosen", s.Chosen)
		field("rejected", s.Rejected)
	case signal.KindTask:
		field("prompt", s.Prompt)
	case signal.KindText:
		field("text", s.Text)
		if s.Source != "" {
			field("source", s.Source)
		}
		if s.Post != "" {
			field("post", s.Post)
		}
	case signal.KindProfile:
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
