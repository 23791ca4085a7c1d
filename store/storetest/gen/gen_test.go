package gen

import (
	"bufio"
	"bytes"
	"encoding/json"
	"testing"
)

// The same options write the same bytes; every line is a JSON object of
// a user, and each user's records are spread through the file.
func TestWriteIsSeededValidAndScattered(t *testing.T) {
	var a, b bytes.Buffer
	opt := Options{Users: 100}
	if err := Write(&a, opt); err != nil {
		t.Fatal(err)
	}
	if err := Write(&b, opt); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("the same options wrote different files")
	}
	first, last := map[string]int{}, map[string]int{}
	sc := bufio.NewScanner(&a)
	sc.Buffer(nil, 1<<20)
	n := 0
	for ; sc.Scan(); n++ {
		var r struct{ User, Kind string }
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil || r.User == "" || r.Kind == "" {
			t.Fatalf("line %d: %v: %s", n+1, err, sc.Bytes())
		}
		if _, ok := first[r.User]; !ok {
			first[r.User] = n
		}
		last[r.User] = n
	}
	if n != 300 || len(first) != 100 {
		t.Fatalf("%d records of %d users, want 300 of 100", n, len(first))
	}
	spread := 0
	for u := range first {
		spread += last[u] - first[u]
	}
	if avg := spread / len(first); avg < n/3 {
		t.Errorf("a user's records span %d lines on average, want them spread (over %d)", avg, n/3)
	}
}
