package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// fxScanDB holds n users (ids that are prefixes of each other among
// them: u1, u10, u100 …), every third with a held-out pair, each with a
// history pair; u1 has two summary versions with the first pinned (as a
// merge leaves it), u2 one version.
func fxScanDB(t *testing.T, n int) *DB {
	t.Helper()
	db := openTestDB(t)
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"user":"u%d","id":"h","kind":"pair","prompt":"p%d","chosen":"c","rejected":"r"}`+"\n", i, i)
		if i%3 == 0 {
			fmt.Fprintf(&b, `{"user":"u%d","id":"o","kind":"pair","split":"heldout","prompt":"q%d","chosen":"c","rejected":"r"}`+"\n", i, i)
		}
	}
	if _, err := db.Import(context.Background(), "scan.jsonl", strings.NewReader(b.String()), ImportOptions{Dataset: "scan"}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []Summary{{User: "u1", Text: "first", Source: SourceHuman}, {User: "u1", Text: "second", Source: SourceHuman, Parent: 1},
		{User: "u2", Text: "only", Source: SourceHeuristic}} {
		if _, err := db.AddSummary(s); err != nil {
			t.Fatal(err)
		}
	}
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketCurrent).Put([]byte("u1"), binary.BigEndian.AppendUint32(nil, 1))
	})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// scanned is what a test keeps of a user ScanUsers read.
type scanned struct {
	id, dataset string
	signals     []Signal
	summary     Summary
	hasSummary  bool
}

func scanAll(t *testing.T, db *DB, scan UserScan) []scanned {
	t.Helper()
	var out []scanned
	build := func(u StoredUser) (scanned, error) {
		s := scanned{id: u.ID}
		var err error
		if s.dataset, err = u.Dataset(); err != nil {
			return s, err
		}
		s.signals, err = u.Signals()
		s.summary, s.hasSummary = u.CurrentSummary()
		return s, err
	}
	if err := ScanUsers(db, scan, build, func(s scanned) error { out = append(out, s); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// ScanUsers reads what Signals and CurrentSummary read, user by user, in
// id order, leaving out the users Only does not want.
func TestScanUsersReadsWhatTheUsersHold(t *testing.T) {
	db := fxScanDB(t, 40)
	ids, err := db.UserIDs()
	if err != nil {
		t.Fatal(err)
	}
	heldout := func(k Kind, sp Split) bool { return k == KindPair && sp == SplitHeldout }
	tests := []struct {
		name string
		scan UserScan
		want func(id string) bool
	}{
		{"every user, signals only", UserScan{}, func(string) bool { return true }},
		{"every user, with summaries", UserScan{Summary: true}, func(string) bool { return true }},
		{"users with a held-out pair", UserScan{Summary: true, Only: heldout}, func(id string) bool {
			var n int
			fmt.Sscanf(id, "u%d", &n)
			return n%3 == 0
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := scanAll(t, db, tt.scan)
			wantIDs := slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return !tt.want(id) })
			var gotIDs []string
			for _, s := range got {
				gotIDs = append(gotIDs, s.id)
				signals, err := db.Signals(s.id)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(s.signals, signals) || s.dataset != "scan" {
					t.Errorf("%s: signals %+v dataset %q; want %+v, scan", s.id, s.signals, s.dataset, signals)
				}
				sum, ok, _ := db.CurrentSummary(s.id)
				if !tt.scan.Summary {
					sum, ok = Summary{}, false
				}
				if s.hasSummary != ok || s.summary.ID != sum.ID || s.summary.Text != sum.Text {
					t.Errorf("%s: summary %q (%v), want %q (%v)", s.id, s.summary.Text, s.hasSummary, sum.Text, ok)
				}
			}
			if !slices.Equal(gotIDs, wantIDs) {
				t.Errorf("users %v\nwant %v", gotIDs, wantIDs)
			}
		})
	}
}

// A shuffled scan visits every user once, in an order the seed decides:
// pages of ScanPage users in a random order, each page shuffled.
func TestScanUsersShuffledBySeed(t *testing.T) {
	db := fxScanDB(t, 2*ScanPage+100)
	order := func(seed uint64) []string {
		var ids []string
		for _, s := range scanAll(t, db, UserScan{Shuffle: rand.New(rand.NewPCG(seed, 1)).Shuffle}) {
			ids = append(ids, s.id)
		}
		return ids
	}
	all, err := db.UserIDs()
	if err != nil {
		t.Fatal(err)
	}
	a, again, other := order(7), order(7), order(8)
	if !slices.Equal(a, again) {
		t.Error("the same seed gave two orders")
	}
	if slices.Equal(a, other) || slices.Equal(a, all) {
		t.Error("the order does not depend on the seed")
	}
	if !slices.Equal(slices.Sorted(slices.Values(a)), all) {
		t.Errorf("a shuffled scan read %d users, want each of %d once", len(a), len(all))
	}
}

// forwardCursor finds what a seek finds, however the targets come.
func TestForwardCursorFindsWhatSeekFinds(t *testing.T) {
	db := fxScanDB(t, 300)
	r := rand.New(rand.NewPCG(1, 2))
	err := db.bolt.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSignals)
		for _, name := range []string{"in order", "mostly in order", "any order"} {
			f := newForwardCursor(b)
			for i := range 2000 {
				n := i / 6
				switch name {
				case "mostly in order":
					if r.IntN(10) == 0 {
						n = r.IntN(300)
					}
				case "any order":
					n = r.IntN(300)
				}
				target := userPrefix(fmt.Sprintf("u%d", n))
				if r.IntN(4) == 0 {
					f.next()
				}
				f.seek(target)
				k, _ := b.Cursor().Seek(target)
				if string(f.k) != string(k) {
					t.Fatalf("%s: seek %q found %q, want %q", name, target, f.k, k)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
