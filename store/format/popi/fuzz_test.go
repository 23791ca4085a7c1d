package popi_test

import (
	"bytes"
	"testing"

	"github.com/popi-tui/popi-tui/store/format/formattest"
	"github.com/popi-tui/popi-tui/store/format/popi"
	"github.com/popi-tui/popi-tui/store/signal"
)

// FuzzPopiRecord: the popi record parser never panics, accepts only
// records that satisfy the format's rules, and what it accepts survives
// being written back out as popi JSONL and parsed again.
func FuzzPopiRecord(f *testing.F) {
	formattest.AddDemoSeeds(f)
	for _, s := range []string{
		`{"user":"u","kind":"pair","prompt":"p","chosen":"a","rejected":"b","split":"heldout","meta":{"x":[1,{"y":null}]},"extra":true}`,
		`{"user":7,"id":1.5e3,"kind":"text","text":"\ud83d\ude00\u00e9\n","source":"review"}`,
		`{"user":"u","kind":"persona","text":"x","prompt":"moved to meta"}`,
		`{"user":"u","kind":"task","prompt":"\ud800 lone"}`,
		`{"user":"u","kind":"pair","prompt":"p","chosen":"a","rejected":"a "}`,
		` {"user":"u","kind":"profile","text":"t"} `,
		`{"user":"u","kind":"task","prompt":"p","meta":{"a":1,"a":2}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := popi.Parse(data)
		if err != nil {
			return
		}
		formattest.CheckSignal(t, &s)
		line := popi.Append(nil, &s)
		back, err := popi.Parse(bytes.TrimSuffix(line, []byte("\n")))
		if err != nil {
			t.Fatalf("written back %q, it no longer parses: %v", line, err)
		}
		if !sameContent(back, s) {
			t.Fatalf("round trip changed the record:\n%+v\n%+v", s, back)
		}
	})
}

// sameContent reports whether two signals of one user say the same thing;
// Seq is where they were stored, not what they say.
func sameContent(s, o signal.Signal) bool {
	return s.User == o.User && s.ID == o.ID && s.Kind == o.Kind && s.Split == o.Split &&
		s.Prompt == o.Prompt && s.Chosen == o.Chosen && s.Rejected == o.Rejected &&
		s.Text == o.Text && s.Source == o.Source && string(s.Meta) == string(o.Meta)
}
