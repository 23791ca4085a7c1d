package store

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/popi-tui/popi-tui/store/signal"
)

// unlift writes a signal back as schema 4 stored it: a text's post in
// meta as "prompt" (first, as AlignX records write it), a demographics
// profile without its source.
func unlift(s *Signal) bool {
	switch {
	case s.Kind == KindText && s.Post != "":
		post, _ := json.Marshal(s.Post)
		meta := append([]byte(`{"prompt":`), post...)
		if len(s.Meta) > 0 {
			meta = append(append(meta, ','), s.Meta[1:]...)
		} else {
			meta = append(meta, '}')
		}
		s.Post, s.Meta = "", meta
		return true
	case s.Kind == KindProfile && s.Source == signal.SourceDemographics:
		s.Source = ""
		return true
	}
	return false
}

// A database from before schema 5 kept a comment's post in its meta and
// did not mark demographics; opening it moves them where the importer now
// puts them, so the same file imported again is all duplicates (no "id
// already taken"), and a merge of the old file does the same.
func TestMigrationLiftsPostsAndDemographics(t *testing.T) {
	path := filepath.Join(t.TempDir(), "popi.db")
	saved := migrations
	t.Cleanup(func() { migrations = saved })
	migrations = saved[:3]
	old, err := Open(path) // schema 4
	if err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile("../testdata/alignx-example.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Import(context.Background(), "alignx-example.json", bytes.NewReader(file), ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	// What schema 4's importer wrote: bodies of version 1, the post in meta.
	legacy := 0
	err = old.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketBodies)
		var keys, values [][]byte
		b.ForEach(func(k, v []byte) error {
			s, err := decodeSignal(v, decodeSeqKey(k))
			if err == nil && unlift(&s) {
				keys, values = append(keys, bytes.Clone(k)), append(values, encodeSignal(nil, &s))
			}
			return err
		})
		for i := range keys {
			if values[i][0] != signalCodecVersion {
				t.Errorf("a signal without a post is written in codec version %d", values[i][0])
			}
			if err := b.Put(keys[i], values[i]); err != nil {
				return err
			}
			legacy++
		}
		return nil
	})
	if err != nil || legacy != 2 {
		t.Fatalf("wrote %d legacy signals (want the comment and the demographics), %v", legacy, err)
	}
	user := ""
	old.EachUser("", func(u User) (bool, error) { user = u.ID; return false, nil })
	old.Close()
	oldCopy := filepath.Join(t.TempDir(), "old.db")
	fxCopyFile(t, path, oldCopy)

	migrations = saved
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	check := func(db *DB, when string) {
		t.Helper()
		signals, err := db.Signals(user)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range signals {
			switch {
			case s.Kind == KindText && (s.Post != "Tabs or spaces?" || string(s.Meta) != `{"Preference Direction":[1,0.5,0]}`):
				t.Errorf("%s: the comment is %+v", when, s)
			case s.Kind == KindProfile && s.Source != signal.SourceDemographics:
				t.Errorf("%s: the demographics are %+v", when, s)
			}
		}
	}
	check(db, "after the migration")
	rep, err := db.Import(context.Background(), "alignx-example.json", bytes.NewReader(file), ImportOptions{})
	if err != nil || rep.Users != 0 || rep.Added.Total() != 0 || rep.Duplicates != 6 {
		t.Errorf("importing the file again: %+v, %v; want nothing added", rep, err)
	}
	fresh := openTestDB(t)
	if _, err := fresh.Merge(context.Background(), oldCopy); err != nil {
		t.Fatal(err)
	}
	check(fresh, "merged from the old file")
}

// A signal with a post is written in codec version 2 and read back whole.
func TestCodecPost(t *testing.T) {
	s := Signal{User: "u", ID: "t1", Kind: KindText, Text: "c", Source: "comment", Post: "the post", Meta: []byte(`{"a":1}`)}
	b := encodeSignal(nil, &s)
	if b[0] != signalCodecVersionPost || len(b) != encodedSignalSize(&s) {
		t.Fatalf("version %d, %d bytes (size says %d)", b[0], len(b), encodedSignalSize(&s))
	}
	got, err := decodeSignal(b, 9)
	if err != nil || got.Post != "the post" || got.Text != "c" || string(got.Meta) != `{"a":1}` || got.Seq != 9 {
		t.Errorf("decoded %+v, %v", got, err)
	}
	if _, err := decodeSignal(b[:len(b)-3], 9); err == nil {
		t.Error("a cut body was read")
	}
}
