package store

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/store/format"
)

// endless is a stream that never ends: prefix, then filler for ever. It
// counts what was read from it.
type endless struct {
	prefix string
	filler byte
	n      int64
}

func (e *endless) Read(p []byte) (int, error) {
	k := 0
	for ; k < len(p) && e.n < int64(len(e.prefix)); k++ {
		p[k] = e.prefix[e.n]
		e.n++
	}
	for ; k < len(p); k++ {
		p[k] = e.filler
	}
	e.n += int64(len(p))
	return len(p), nil
}

// A record that never ends (an endless stream without a newline,
// /dev/zero) is reported as too long once it passes the limit, and the
// reading stops there: it used to read for ever.
func TestImportStopsAtAnEndlessRecord(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   *endless
		want string
	}{
		{"endless line", &endless{filler: 'a'}, "in:1: line is longer than 8 MiB"},
		{"endless NULs after good lines", &endless{prefix: goodPopi, filler: 0}, "in:9: line is longer than 8 MiB"},
		{"endless array element", &endless{prefix: `[{"user":"u","kind":"text","text":"`, filler: 'b'}, "in:1: record is longer than 8 MiB"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			db := openTestDB(t)
			type result struct {
				rep ImportReport
				err error
			}
			done := make(chan result, 1)
			go func() {
				rep, err := db.Import(context.Background(), "in", io.Reader(tt.in), ImportOptions{Format: FormatPopi})
				done <- result{rep, err}
			}()
			var r result
			select {
			case r = <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("the import is still reading after 20 s")
			}
			if !errors.Is(r.err, ErrRejected) || len(r.rep.Errors) != 1 || r.rep.Errors[0].Error() != tt.want {
				t.Fatalf("err %v, errors %v; want the one error %q", r.err, r.rep.Errors, tt.want)
			}
			if limit := int64(format.MaxRecordBytes + 1<<20); tt.in.n > limit {
				t.Errorf("read %d bytes, want at most %d", tt.in.n, limit)
			}
			if st, _ := db.Stats(); st.Users != 0 {
				t.Errorf("a rejected import left %+v", st)
			}
		})
	}
}
