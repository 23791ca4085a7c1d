package store

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestDatasetUserIDsAndEachSignalOf(t *testing.T) {
	ctx := context.Background()
	db, err := Open(filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	pair := func(user, id string) string {
		return `{"user":"` + user + `","id":"` + id + `","kind":"pair","prompt":"q` + id + `","chosen":"a","rejected":"b"}` + "\n"
	}
	for _, imp := range []struct{ dataset, jsonl string }{
		{"", pair("old", "1")},
		{"elix", pair("cy", "1") + pair("ann", "2") + pair("ann", "1")},
		{"review", pair("bob", "3")},
	} {
		if _, err := db.Import(ctx, "f.jsonl", strings.NewReader(imp.jsonl), ImportOptions{Dataset: imp.dataset}); err != nil {
			t.Fatal(err)
		}
	}
	for dataset, want := range map[string][]string{"elix": {"ann", "cy"}, "review": {"bob"}, "": {"old"}, "nope": nil} {
		if got, err := db.DatasetUserIDs(dataset); err != nil || !slices.Equal(got, want) {
			t.Errorf("DatasetUserIDs(%q) = %v, %v; want %v", dataset, got, err, want)
		}
	}
	var got []string
	err = db.EachSignalOf([]string{"cy", "zed", "ann", "cy"}, func(s Signal) error {
		got = append(got, s.User+"/"+s.ID)
		return nil
	})
	// Users in id order, each once, signals in import order; zed is unknown.
	if want := []string{"ann/2", "ann/1", "cy/1"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("EachSignalOf = %v, %v; want %v", got, err, want)
	}
	stop := errors.New("stop")
	if err := db.EachSignalOf([]string{"ann"}, func(Signal) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("the callback's error: %v", err)
	}
}
