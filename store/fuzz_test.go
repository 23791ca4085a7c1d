package store

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func addDemoSeeds(f *testing.F) {
	sc := bufio.NewScanner(bytes.NewReader(demoData))
	sc.Buffer(nil, MaxRecordBytes)
	for i := 0; sc.Scan() && i < 12; i++ {
		f.Add(append([]byte(nil), sc.Bytes()...))
	}
}

// FuzzPopiRecord: the popi record parser never panics, accepts only
// records that satisfy the format's rules, and what it accepts survives
// being written back out as popi JSONL and parsed again.
func FuzzPopiRecord(f *testing.F) {
	addDemoSeeds(f)
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
		s, err := parsePopiRecord(data)
		if err != nil {
			return
		}
		checkSignalInvariants(t, &s)
		line := appendPopiRecord(nil, &s)
		back, err := parsePopiRecord(bytes.TrimSuffix(line, []byte("\n")))
		if err != nil {
			t.Fatalf("written back %q, it no longer parses: %v", line, err)
		}
		if !back.sameContent(s) {
			t.Fatalf("round trip changed the record:\n%+v\n%+v", s, back)
		}
	})
}

func checkSignalInvariants(t *testing.T, s *Signal) {
	t.Helper()
	if why := validID(s.User); why != "" {
		t.Fatalf("accepted user %q that %s", s.User, why)
	}
	if why := validID(s.ID); why != "" {
		t.Fatalf("accepted id %q that %s", s.ID, why)
	}
	if s.Kind < KindPair || s.Kind > KindTask {
		t.Fatalf("accepted kind %d", s.Kind)
	}
	if err := validateSignal(s); err != nil {
		t.Fatalf("accepted a record that fails validation: %v", err)
	}
	if s.Meta != nil {
		var m map[string]any
		if err := json.Unmarshal(s.Meta, &m); err != nil {
			t.Fatalf("meta %q is not a JSON object: %v", s.Meta, err)
		}
		if bytes.ContainsAny(s.Meta, "\n\r") {
			t.Fatalf("meta %q spans lines", s.Meta)
		}
	}
}

// FuzzAlignXRecord: the AlignX parser never panics; what it accepts is a
// user with exactly one held-out pair and valid signals, named the same
// way every time.
func FuzzAlignXRecord(f *testing.F) {
	for _, s := range []string{
		`{"prompt":"p","chosen":"c","rejected":"r","ground_truth_persona":"g","profile":"pr","Pair-wise Comparative Feedback":[{"prompt":"a","chosen":"b","rejected":"c"},{"prompt":"a","chosen":"b","rejected":"c"}]}`,
		`{"prompt":"p","chosen":"c","rejected":"r","Demographic Information":"d","User-Generated Content":[{"prompt":"q","comment":"w","Preference Direction":[0,0.5,1]},"bare"],"Preference Direction":[1]}`,
		`{"prompt":"p","chosen":"c","rejected":"r","user_id":42}`,
		`{"prompt":"p","chosen":"c"}`,
		`{"prompt":"p","chosen":"c","rejected":"r","Pair-wise Comparative Feedback":null,"profile":null}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		u, err := parseAlignXRecord(data)
		if err != nil {
			return
		}
		if why := validID(u.id); why != "" {
			t.Fatalf("user id %q %s", u.id, why)
		}
		held, ids := 0, map[string]bool{}
		for i := range u.signals {
			s := &u.signals[i]
			if s.User != u.id {
				t.Fatalf("signal of user %q in user %q", s.User, u.id)
			}
			if ids[s.ID] {
				t.Fatalf("two signals with id %q", s.ID)
			}
			ids[s.ID] = true
			checkSignalInvariants(t, s)
			if s.Kind == KindPair && s.Split == SplitHeldout {
				held++
			}
		}
		if held != 1 {
			t.Fatalf("%d held-out pairs, want 1", held)
		}
		again, err := parseAlignXRecord(data)
		if err != nil || again.id != u.id {
			t.Fatalf("parsing twice gave %q then %q (%v)", u.id, again.id, err)
		}
	})
}

// FuzzScanObjectMatchesEncodingJSON holds the hand-written JSON reader to
// encoding/json: the same inputs accepted (but for duplicate keys, which
// it refuses), and the same values decoded. Numbers are compared as
// json.Number: the importer keeps them as written and never converts them,
// so a number beyond float64's range ({"a":1e700}) is valid JSON to both.
func FuzzScanObjectMatchesEncodingJSON(f *testing.F) {
	addDemoSeeds(f)
	for _, s := range []string{
		`{}`, `{"a":1}`, `{"a":-0.5e+10,"b":[true,false,null],"c":{"d":"\u00e9\"\\\/\b\f\n\r\t"}}`,
		`{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":"\x"}`, `{"a":"\u12"}`, `{"a" 1}`, `{"a":1,}`, `{,}`,
		`{"a":"\ud83d\ude00","b":"\udc00\ud800"}`, `{"a":tru}`, `{"a":1}x`, `[1]`, `"s"`, ``, `{"a":[1,]}`,
		`{"a":"b","a":"c"}`, "{\"a\":\"\t\"}", `{"a":-}`, `{"a":1e}`, `{"a":[[[[[]]]]]}`,
		`{"":1e700}`, `{"a":[-1e-400,123456789012345678901234567890]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !utf8.Valid(data) {
			return // the importer rejects invalid UTF-8 before parsing
		}
		got := map[string]jsonValue{}
		err := scanObjectMembers(data, func(key string, v jsonValue) error {
			got[key] = v
			return nil
		})
		var want map[string]any
		wantErr := unmarshalNumbers(data, &want)
		isObject := wantErr == nil && want != nil
		if !json.Valid(data) {
			if err == nil {
				t.Fatalf("accepted invalid JSON %q", data)
			}
			return
		}
		if !isObject {
			if err == nil {
				t.Fatalf("accepted %q, which is not an object", data)
			}
			return
		}
		if err != nil {
			var se *jsonSyntaxError
			if errors.As(err, &se) && strings.HasPrefix(se.msg, "duplicate field") {
				return
			}
			t.Fatalf("rejected valid object %q: %v", data, err)
		}
		if len(got) != len(want) {
			t.Fatalf("%d members, encoding/json found %d", len(got), len(want))
		}
		for k, v := range got {
			var decoded any
			if err := unmarshalNumbers(v.raw, &decoded); err != nil {
				t.Fatalf("raw value of %q, %q, does not parse: %v", k, v.raw, err)
			}
			if !reflect.DeepEqual(decoded, want[k]) {
				t.Fatalf("member %q: raw %q decodes to %v, encoding/json says %v", k, v.raw, decoded, want[k])
			}
			if v.kind == '"' && v.str != want[k] {
				t.Fatalf("member %q: decoded %q, encoding/json %q", k, v.str, want[k])
			}
		}
	})
}

// unmarshalNumbers is json.Unmarshal keeping numbers as json.Number, for
// input json.Valid has already accepted as one whole value.
func unmarshalNumbers(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(v)
}

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
