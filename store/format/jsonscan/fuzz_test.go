package jsonscan_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/popi-tui/popi-tui/store/format/formattest"
	"github.com/popi-tui/popi-tui/store/format/jsonscan"
)

// FuzzScanObjectMatchesEncodingJSON holds the hand-written JSON reader to
// encoding/json: the same inputs accepted (but for duplicate keys, which
// it refuses), and the same values decoded. Numbers are compared as
// json.Number: the importer keeps them as written and never converts them,
// so a number beyond float64's range ({"a":1e700}) is valid JSON to both.
func FuzzScanObjectMatchesEncodingJSON(f *testing.F) {
	formattest.AddDemoSeeds(f)
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
		got := map[string]jsonscan.Value{}
		err := jsonscan.Object(data, func(key string, v jsonscan.Value) error {
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
			var se *jsonscan.SyntaxError
			if errors.As(err, &se) && strings.HasPrefix(se.Msg, "duplicate field") {
				return
			}
			t.Fatalf("rejected valid object %q: %v", data, err)
		}
		if len(got) != len(want) {
			t.Fatalf("%d members, encoding/json found %d", len(got), len(want))
		}
		for k, v := range got {
			var decoded any
			if err := unmarshalNumbers(v.Raw, &decoded); err != nil {
				t.Fatalf("raw value of %q, %q, does not parse: %v", k, v.Raw, err)
			}
			if !reflect.DeepEqual(decoded, want[k]) {
				t.Fatalf("member %q: raw %q decodes to %v, encoding/json says %v", k, v.Raw, decoded, want[k])
			}
			if v.Kind == '"' && v.Str != want[k] {
				t.Fatalf("member %q: decoded %q, encoding/json %q", k, v.Str, want[k])
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
