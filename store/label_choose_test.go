package store

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// fxLabelMix says what fxMixedLabels writes: decisions over a few users,
// prompts, comparisons and annotators, with times drawn from few enough
// seconds that many collide, and the records that take decisions back.
type fxLabelMix struct {
	labels, items, annotators, seconds int
	amend, retract                     int // one decision in N amended, taken back
	orphan                             int // one retraction in N names its decision without the candidates (another item)
	odd                                int // one label in N of a kind this version does not know, amending a decision
	replaced                           int // one decision in N replaced with another (ReplaceDecision's pair)
}

// fxMixedLabels makes the labels of mix, in storage order.
func fxMixedLabels(r *rand.Rand, mix fxLabelMix) []Label {
	comparisons := [][]Candidate{fxCands("x", "y"), fxCands("y", "x"), fxCands("x", "z", "y")}
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var out []Label
	for i := range mix.labels {
		item := r.IntN(mix.items)
		cands := comparisons[item%len(comparisons)]
		l := Label{ID: fmt.Sprintf("L%d", i), Kind: LabelDecision, User: fmt.Sprintf("u%d", item%7),
			PromptID: fmt.Sprintf("p%d", item/7), Candidates: cands, Annotator: fmt.Sprintf("a%d", r.IntN(mix.annotators)),
			DecidedAt: at.Add(time.Duration(r.IntN(mix.seconds))*time.Second + time.Duration(r.IntN(2))*time.Nanosecond)}
		switch v := r.IntN(6); {
		case v < len(cands):
			l.Verdict = PaneLetter(v)
		case v == 4:
			l.Verdict = VerdictSkip
		default:
			l.Verdict = VerdictTie
		}
		out = append(out, l)
		out = append(out, fxTakeBack(r, l, i, mix, at)...)
	}
	return out
}

// fxTakeBack makes the records that take l back or amend it, if any.
func fxTakeBack(r *rand.Rand, l Label, i int, mix fxLabelMix, at time.Time) []Label {
	var out []Label
	later := at.Add(time.Duration(r.IntN(mix.seconds)) * time.Second)
	if r.IntN(mix.amend) == 0 {
		a := l
		a.ID, a.Amends, a.DecidedAt = l.ID+"-amended", l.ID, later
		out = append(out, a)
	}
	if r.IntN(mix.retract) == 0 {
		rt := l.Retraction(later, "test")
		rt.ID = l.ID + "-retracted"
		if r.IntN(mix.orphan) == 0 {
			rt.Candidates = nil // as if written by a version that did not copy them
		}
		out = append(out, rt)
	}
	if r.IntN(mix.odd) == 0 {
		out = append(out, Label{ID: l.ID + "-odd", Kind: "note", Amends: l.ID, User: "elsewhere", PromptID: "p", DecidedAt: later})
	}
	if r.IntN(mix.replaced) == 0 {
		rt := l.Retraction(later, "test")
		n := l
		rt.ID, n.ID, n.DecidedAt, n.Verdict = l.ID+"-replaced", l.ID+"-new", later, VerdictSkip
		out = append(out, rt, n)
	}
	return out
}

func fxCands(names ...string) []Candidate {
	cands := make([]Candidate, len(names))
	for i, n := range names {
		cands[i] = Candidate{Pane: PaneLetter(i), Slot: (i + 1) % len(names), Backend: n, Condition: ConditionNone}
	}
	return cands
}

// fxStoreLabels opens a new database holding labels as stored, as they
// are: AddLabel would refuse some of them, which older versions wrote.
func fxStoreLabels(t *testing.T, labels []Label) *DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "labels.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	err = db.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketLabels)
		for _, l := range labels {
			v, err := json.Marshal(l)
			if err != nil {
				return err
			}
			seq, _ := b.NextSequence()
			if err := b.Put(seqKey(seq), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// The item-by-item rule over sorted runs (chooseDecisions) finds the
// current decisions labelMarks.current finds over every label in memory,
// however the entries are cut into runs; each item comes to Resolve whole,
// in storage order.
func TestChooseDecisionsMatchesTheMarks(t *testing.T) {
	mixes := map[string]fxLabelMix{
		"few items, many collisions": {labels: 300, items: 10, annotators: 3, seconds: 5, amend: 5, retract: 6, orphan: 3, odd: 20, replaced: 7},
		"many items":                 {labels: 2000, items: 900, annotators: 2, seconds: 1000, amend: 20, retract: 50, orphan: 10, odd: 200, replaced: 30},
		"no orphans":                 {labels: 500, items: 60, annotators: 4, seconds: 30, amend: 8, retract: 9, orphan: 1 << 30, odd: 1 << 30, replaced: 10},
		"one annotator":              {labels: 400, items: 50, annotators: 1, seconds: 3, amend: 4, retract: 4, orphan: 2, odd: 50, replaced: 5},
	}
	for name, mix := range mixes {
		for _, runSize := range []int{1, 7, 64, labelRunSize} {
			t.Run(fmt.Sprintf("%s/runs of %d", name, runSize), func(t *testing.T) {
				t.Setenv("TMPDIR", t.TempDir())
				labels := fxMixedLabels(rand.New(rand.NewPCG(uint64(len(name)), uint64(runSize))), mix)
				db := fxStoreLabels(t, labels)
				want, got := fxMarksCurrent(t, db), fxChosenByRuns(t, db, labels, runSize)
				if !slices.Equal(got, want) {
					t.Errorf("current decisions:\n got %v\nwant %v", got, want)
				}
				if left, _ := os.ReadDir(os.Getenv("TMPDIR")); len(left) != 0 {
					t.Errorf("left in the temporary directory: %v", left)
				}
			})
		}
	}
}

// currentMarks reads the head of every label (eachLabelHead), shows each
// decision to note (when not nil), and returns every label's storage
// order (seqs[i] is label i's) and the indexes of the current decisions,
// oldest first: the rule over a mark per label in memory, as exports
// worked it out before chooseDecisions, kept as the reference.
func currentMarks(tx *bolt.Tx, note func(int, *Decision)) (seqs []uint64, current []int, err error) {
	var m labelMarks
	err = eachLabelHead(tx, func(h *labelHead) {
		if note != nil && h.Kind == LabelDecision {
			note(len(seqs), &h.Decision)
		}
		m.add(h)
		seqs = append(seqs, h.seq)
	})
	if err != nil {
		return nil, nil, err
	}
	return seqs, m.current(), nil
}

// fxMarksCurrent is the reference: labelMarks over every head.
func fxMarksCurrent(t *testing.T, db *DB) []int {
	t.Helper()
	var current []int
	err := db.bolt.View(func(tx *bolt.Tx) (err error) {
		_, current, err = currentMarks(tx, nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return current
}

// fxChosenByRuns is chooseDecisions with every current decision chosen,
// checking each item Resolve is given.
func fxChosenByRuns(t *testing.T, db *DB, labels []Label, runSize int) []int {
	t.Helper()
	itemOf := func(i int) string {
		l := labels[i]
		return l.User + "\x00" + l.PromptID + "\x00" + Comparison(l.Candidates)
	}
	seen := map[string]bool{}
	scan := DecisionScan{
		Note: func(i int, d *Decision) uint64 { return uint64(i) + 1 },
		Resolve: func(item []CurrentDecision) {
			key := itemOf(item[0].Index)
			if seen[key] {
				t.Errorf("item %q given twice", key)
			}
			seen[key] = true
			for j, d := range item {
				if d.Note != uint64(d.Index)+1 || itemOf(d.Index) != key || (j > 0 && d.Index <= item[j-1].Index) {
					t.Errorf("item %q: decision %+v out of place", key, d)
				}
				d.Chosen = true
				item[j] = d
			}
		}}
	var chosen []int
	err := db.bolt.View(func(tx *bolt.Tx) error {
		set, err := chooseDecisions(tx, scan, runSize)
		for i := range labels {
			if err == nil && set.has(i) {
				chosen = append(chosen, i)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return chosen
}

// A run file damaged on disk is an error naming it, never a wrong export.
func TestLabelRunsDamagedFile(t *testing.T) {
	cases := map[string]func(path string) error{
		"truncated": func(path string) error { return os.Truncate(path, labelEntrySize+3) },
		"out of order": func(path string) error {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			first := slices.Clone(b[:labelEntrySize])
			copy(b, b[labelEntrySize:2*labelEntrySize])
			copy(b[labelEntrySize:], first)
			return os.WriteFile(path, b, 0o600)
		},
	}
	for name, damage := range cases {
		t.Run(name, func(t *testing.T) {
			t.Setenv("TMPDIR", t.TempDir())
			runs := newLabelRuns(4)
			defer runs.remove()
			for i := range 10 {
				e := labelEntry{group: hash128{uint64(i % 3), 0}, index: uint32(i), kind: markDecision}
				if err := runs.add(e); err != nil {
					t.Fatal(err)
				}
			}
			runs.finish()
			if err := damage(runs.files[0]); err != nil {
				t.Fatal(err)
			}
			err := runs.eachGroup(func([]labelEntry) error { return nil })
			if err == nil || !strings.Contains(err.Error(), runs.files[0]) {
				t.Errorf("eachGroup over a damaged run: %v, want an error naming %s", err, runs.files[0])
			}
			dir := runs.dir
			if err := runs.remove(); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("%s is still there: %v", dir, err)
			}
		})
	}
}

// An entry reads back as written.
func TestLabelEntryRoundTrip(t *testing.T) {
	e := labelEntry{group: hash128{1, 2}, id: hash128{3, 4}, target: hash128{5, 6}, annotator: 7, note: 8,
		sec: -62135596800, nsec: 999_999_999, index: 1<<32 - 1, kind: markRetraction}
	b := e.appendTo(nil)
	if len(b) != labelEntrySize {
		t.Fatalf("%d bytes, want %d", len(b), labelEntrySize)
	}
	var got labelEntry
	got.decode(b)
	if got != e {
		t.Errorf("decoded %+v, want %+v", got, e)
	}
}

// BenchmarkLabelRunsMerge reads 1,000,000 entries back through the merge
// of their 16 runs: what the first pass (orphans) costs an export of a
// million labels, and the second pass but for the rule and Resolve.
//
//	go test ./store -run '^$' -bench LabelRunsMerge -benchtime 5x
func BenchmarkLabelRunsMerge(b *testing.B) {
	b.Setenv("TMPDIR", b.TempDir())
	r := rand.New(rand.NewPCG(1, 2))
	runs := newLabelRuns(labelRunSize)
	defer runs.remove()
	for i := range 1_000_000 {
		group := hash128{r.Uint64N(500_000), 0} // two labels an item, as popigen writes them
		if err := runs.add(labelEntry{group: group, index: uint32(i), kind: markDecision}); err != nil {
			b.Fatal(err)
		}
	}
	runs.finish()
	for b.Loop() {
		n := 0
		if err := runs.eachGroup(func(g []labelEntry) error { n += len(g); return nil }); err != nil || n != 1_000_000 {
			b.Fatal(n, err)
		}
	}
}

// A label that cannot be read stops the export with an error naming the
// database and the label, and the runs spilled before it are removed.
func TestChooseDecisionsDamagedLabel(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	n := headChunk + 100 // the damaged label in the second chunk: runs spilled by then
	labels := fxMixedLabels(rand.New(rand.NewPCG(5, 5)), fxLabelMix{labels: n, items: 500, annotators: 2, seconds: 100,
		amend: 1 << 30, retract: 1 << 30, orphan: 1, odd: 1 << 30, replaced: 1 << 30})
	db := fxStoreLabels(t, labels)
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketLabels).Put(seqKey(uint64(n-10)), []byte(`{"id":"x","kind":"decision","candidates":[1]}`))
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.bolt.View(func(tx *bolt.Tx) error {
		_, err := chooseDecisions(tx, DecisionScan{}, 1000)
		return choiceError(tx.DB().Path(), err)
	})
	want := fmt.Sprintf("current decisions in %s: label %d: candidate: not an object", db.path, n-10)
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
	if left, _ := os.ReadDir(os.Getenv("TMPDIR")); len(left) != 0 {
		t.Errorf("left in the temporary directory: %v", left)
	}
}
