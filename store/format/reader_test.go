package format

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// FuzzRecordReader: splitting any input into records never panics, never
// returns a record over the limit, and numbers lines in order.
func FuzzRecordReader(f *testing.F) {
	f.Add([]byte("{\"a\":1}\n\n{\"b\":2}\r\n"))
	f.Add([]byte("[\n{\"a\":\"]\"},\n {\"b\":[1,2]}\n]\n"))
	f.Add([]byte("[1, \"x\", {\"a\":{}}]"))
	f.Add([]byte("\xef\xbb\xbf[ ]"))
	f.Add([]byte("[{\"a\":1} {\"b\":2}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rr, err := newRecordReader(bytes.NewReader(data))
		if err != nil {
			return
		}
		// A valid JSON array must split into exactly its elements.
		var elems []json.RawMessage
		isArray := utf8.Valid(data) && json.Unmarshal(data, &elems) == nil && elems != nil
		var got [][]byte
		last := 0
		for i := 0; i < len(data)+2; i++ {
			rec, err := rr.next()
			if err != nil {
				if isArray {
					if len(got) != len(elems) {
						t.Fatalf("%d records from an array of %d (%v)", len(got), len(elems), err)
					}
					for j := range elems {
						if !bytes.Equal(got[j], elems[j]) {
							t.Fatalf("record %d = %q, element %q", j, got[j], elems[j])
						}
					}
				}
				return
			}
			got = append(got, append([]byte(nil), rec.data...))
			if rec.line < last || rec.line < 1 {
				t.Fatalf("record on line %d after line %d", rec.line, last)
			}
			last = rec.line
			if len(rec.data) > MaxRecordBytes {
				t.Fatal("record over the limit")
			}
			if rec.bad == "" && !utf8.Valid(rec.data) {
				t.Fatal("invalid UTF-8 passed through")
			}
		}
		t.Fatal("the reader did not end")
	})
}
