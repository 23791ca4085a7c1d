package store

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestUserIndexMatchesAsStringsDo(t *testing.T) {
	db, err := Open(t.TempDir() + "/x.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ids := []string{"alice", "Bob", "bobby", "ÉCOLE-é", "İstanbul", "zed-1", "zed-10", "z"}
	var in strings.Builder
	for _, id := range ids {
		fmt.Fprintf(&in, `{"user":%q,"kind":"task","prompt":"p"}`+"\n", id)
	}
	if _, err := db.Import(context.Background(), "t.jsonl", strings.NewReader(in.String()), ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	x, err := db.UserIndex()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(ids)
	if x.Len() != len(ids) {
		t.Fatalf("len %d, want %d", x.Len(), len(ids))
	}
	for i, id := range ids {
		if x.ID(i) != id || x.Find(id) != i {
			t.Errorf("%d: %q (find %d), want %q", i, x.ID(i), x.Find(id), id)
		}
	}
	if x.Find("bo") != -1 || x.Find("zzz") != -1 {
		t.Error("found an id that is not there")
	}
	for _, q := range []string{"", "b", "bo", "bob", "é", "école", "zed-1", "1", "istanbul", "i̇stanbul", "\x00", "nobody"} {
		var want []int32
		for i, id := range ids {
			if strings.Contains(strings.ToLower(id), q) {
				want = append(want, int32(i))
			}
		}
		got := x.Match(q, nil)
		if got == nil || !slices.Equal(got, want) && len(want)+len(got) > 0 {
			t.Errorf("Match(%q) = %v, want %v", q, got, want)
		}
		if narrowed := x.Match(q, x.Match("", nil)); !slices.Equal(narrowed, got) {
			t.Errorf("Match(%q) narrowed from all = %v, want %v", q, narrowed, got)
		}
	}
}

func TestUserIndexOfAnEmptyDatabase(t *testing.T) {
	db, err := Open(t.TempDir() + "/x.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	x, err := db.UserIndex()
	if err != nil {
		t.Fatal(err)
	}
	if x.Len() != 0 || x.Find("a") != -1 || len(x.Match("a", nil)) != 0 || len(x.Match("", nil)) != 0 {
		t.Errorf("empty index: len %d", x.Len())
	}
	var none *UserIndex // what a screen holds when the ids failed to load
	if none.Len() != 0 || none.Find("a") != -1 || none.Match("a", nil) == nil || len(none.Match("", nil)) != 0 {
		t.Error("a nil index is not empty")
	}
}

// BenchmarkUserIndex reads the index of the database POPI_USERINDEX_DB
// names (made with a million users by the ui benchmarks' generator, or
// any other): go test ./store -run '^$' -bench UserIndex.
func BenchmarkUserIndex(b *testing.B) {
	path := os.Getenv("POPI_USERINDEX_DB")
	if path == "" {
		b.Skip("set POPI_USERINDEX_DB to a database")
	}
	db, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for i := 0; i < b.N; i++ {
		x, err := db.UserIndex()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(x.Len()), "ids")
	}
}
