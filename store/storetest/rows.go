package storetest

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// Rows parses every line of a JSONL export, checking that there are n of
// them, each one JSON object on one line.
func Rows(t testing.TB, out []byte, n int) []map[string]any {
	t.Helper()
	if len(out) == 0 {
		if n != 0 {
			t.Fatalf("empty export, but %d rows reported", n)
		}
		return nil
	}
	if out[len(out)-1] != '\n' {
		t.Fatalf("export does not end with a newline: %q", out)
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != n {
		t.Fatalf("export has %d lines, %d rows reported:\n%s", len(lines), n, out)
	}
	rows := make([]map[string]any, len(lines))
	for i, line := range lines {
		if err := json.Unmarshal([]byte(line), &rows[i]); err != nil {
			t.Fatalf("line %d is not a JSON object: %v\n%s", i+1, err, line)
		}
	}
	return rows
}

// Keys is the sorted set of a row's field names.
func Keys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// CheckRow compares a parsed row with the expected one: first its field
// names, then every value.
func CheckRow(t testing.TB, what string, got, want map[string]any) {
	t.Helper()
	if gk, wk := Keys(got), Keys(want); !slices.Equal(gk, wk) {
		t.Errorf("%s: fields %q, want %q", what, gk, wk)
		return
	}
	for _, k := range Keys(want) {
		if !reflect.DeepEqual(got[k], want[k]) {
			t.Errorf("%s: %s = %#v, want %#v", what, k, got[k], want[k])
		}
	}
}

// Sorted is keys, sorted: a row's expected field names.
func Sorted(keys ...string) []string {
	out := slices.Clone(keys)
	slices.Sort(out)
	return out
}
