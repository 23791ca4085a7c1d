package trl

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	. "github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/format/printsafe"
	"github.com/popi-tui/popi-tui/store/storetest"
)

// The labels exports, worked out item by item over sorted runs, write
// byte for byte what the code before wrote: every decision noted in
// memory (refSelector, resolve_ref_test.go), the current ones found by
// the rule over every label (fxRefCurrent). The reference picks the
// decisions; the rows of those are read and built through the same
// ScanDecisions, which must have offered every one of them as current.
func TestExportLabelsMatchTheInMemoryPath(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	db := storetest.Open(t)
	fxMixedDecisions(t, db, rand.New(rand.NewPCG(13, 1)), 240)
	labels := fxAllLabels(t, db)
	annotators := [][]string{nil, {"a0"}, {"a1", "a2"}}
	for _, format := range []string{LabelsRaw, LabelsDPO, LabelsKTO, "dpo-plain"} {
		for _, resolve := range []string{ResolveAll, ResolveMajority, ResolveNewest, ResolveDrop} {
			for _, who := range annotators {
				opt := LabelExport{Format: format, Resolve: resolve, Annotators: who, Seed: uint64(len(who))}
				if format == "dpo-plain" {
					opt.Format, opt.Plain = LabelsDPO, true
				}
				t.Run(fmt.Sprintf("%s/%s/%v", format, resolve, who), func(t *testing.T) {
					wantRows, wantRep := fxRefExport(t, db, labels, opt)
					var got bytes.Buffer
					gotRep, err := ExportLabels(db, &got, opt)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(got.Bytes(), wantRows) {
						t.Errorf("rows differ: %d bytes, want %d\n got %.300s\nwant %.300s", got.Len(), len(wantRows), got.Bytes(), wantRows)
					}
					if !reflect.DeepEqual(gotRep, wantRep) {
						t.Errorf("report %+v, want %+v", gotRep, wantRep)
					}
				})
			}
		}
	}
	if left, _ := os.ReadDir(os.Getenv("TMPDIR")); len(left) != 0 {
		t.Errorf("left in the temporary directory: %v", left)
	}
}

// fxRefExport is the export of the code before: the reference's choice,
// written through ScanDecisions.
func fxRefExport(t *testing.T, db *DB, labels []Label, opt LabelExport) ([]byte, ExportReport) {
	t.Helper()
	rep := ExportReport{Annotators: map[string]int{}, LeftOut: map[string]int{}, Resolve: opt.Resolve}
	for _, r := range leftOutReasons {
		rep.LeftOut[r] = 0
	}
	ref := refSelector{opt: opt, rep: &rep}
	for i, l := range labels {
		if l.Kind == LabelDecision {
			ref.note(i, &Decision{ID: l.ID, User: l.User, PromptID: l.PromptID, SummaryID: l.SummaryID,
				SummaryVersion: l.SummaryVersion, Candidates: l.Candidates, Verdict: l.Verdict, Ranking: l.Ranking,
				Annotator: l.Annotator, DecidedAt: l.DecidedAt})
		}
	}
	chosen := map[int]bool{}
	for _, i := range ref.choose(fxRefCurrent(labels)) {
		chosen[i] = true
	}
	offered := map[int]bool{}
	scan := DecisionScan{Records: opt.Format == LabelsRaw, Answers: opt.Format != LabelsRaw,
		Note: func(i int, _ *Decision) uint64 { return uint64(boolInt(chosen[i])) },
		Resolve: func(item []CurrentDecision) {
			for j := range item {
				offered[item[j].Index], item[j].Chosen = true, true
			}
		}}
	var out bytes.Buffer
	sink := labelSink{safe: printsafe.NewWriter(&out), rep: &rep}
	if opt.Format == LabelsKTO { // the chosen decisions shuffled, then their rows
		rep.Seed = max(opt.Seed, DefaultExportSeed)
		rng := rand.New(rand.NewPCG(rep.Seed, 0x706f7069))
		scan.Shuffle = func(n int, swap func(i, j int)) { rng.Shuffle(n, swap) }
		sink.shuffle = newRowShuffler(rng, sink.safe, shuffleBuffer)
	}
	build := func(d StoredDecision) (builtRows, error) { return buildRows(d, opt) }
	if err := ScanDecisions(db, scan, build, sink.emit); err != nil {
		t.Fatal(err)
	}
	if err := sink.close(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(offered, chosen) {
		t.Fatalf("ScanDecisions offered %d decisions as current of the %d the reference chose", len(offered), len(chosen))
	}
	return out.Bytes(), rep
}

// fxRefCurrent is the rule over every label, as it was written before
// (labelMarks.current, with strings for hashes): for each annotator and
// item, the newest decision (DecidedAt, then storage order) that no
// retraction takes back (nor what it amended) and no label amends.
func fxRefCurrent(labels []Label) []int {
	amends := map[string]string{}
	for _, l := range labels {
		if l.Kind != LabelRetraction && l.Amends != "" {
			amends[l.ID] = l.Amends
		}
	}
	withdrawn := map[string]bool{}
	for _, l := range labels {
		for id := l.Retracts; l.Kind == LabelRetraction && id != "" && !withdrawn[id]; id = amends[id] {
			withdrawn[id] = true
		}
	}
	for _, amended := range amends {
		withdrawn[amended] = true
	}
	newest := map[string]int{}
	for i, l := range labels {
		if l.Kind != LabelDecision || withdrawn[l.ID] {
			continue
		}
		if j, ok := newest[l.ItemKey()]; !ok || !labels[j].DecidedAt.After(l.DecidedAt) {
			newest[l.ItemKey()] = i
		}
	}
	var out []int
	for _, i := range newest {
		out = append(out, i)
	}
	slices.Sort(out)
	return out
}

func fxAllLabels(t *testing.T, db *DB) []Label {
	t.Helper()
	var out []Label
	if err := db.EachLabel(func(l Label) error { out = append(out, l); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// fxMixedDecisions adds n decisions of three annotators over a few users,
// prompts and comparisons (of two and of three answers, shown in either
// order; one between summaries; one naming an answer not stored), with
// times from few enough minutes that many collide: best-of verdicts,
// rankings, ties, all-bad and skips, some amended, some taken back (some
// of those by retractions without the candidates, as old versions wrote
// them), some replaced.
func fxMixedDecisions(t *testing.T, db *DB, r *rand.Rand, n int) {
	t.Helper()
	var users strings.Builder
	for u := range 4 {
		fmt.Fprintf(&users, `{"user":"u%d","kind":"task","id":"t","prompt":"prompt %d"}`+"\n", u, u)
	}
	storetest.Import(t, db, users.String())
	type item struct {
		user, prompt string
		cands        []Candidate
	}
	var items []item
	for u := range 4 {
		for p := range 3 {
			user, prompt := fmt.Sprintf("u%d", u), fmt.Sprintf("p%d", p)
			msgs := []Message{{Role: "user", Content: "prompt " + user + prompt}}
			pane := func(s string) fxPane { return fxPane{ConditionNone, msgs, s + " " + user + prompt} }
			two, _ := fxPutPanes(t, db, user, prompt, []fxPane{pane("one"), pane("two")})
			three, _ := fxPutPanes(t, db, user, prompt+"-3", []fxPane{pane("uno"), pane("dos"), pane("tres")})
			items = append(items, item{user, prompt, two}, item{user, prompt, fxPanesSwapped(two)}, item{user, prompt + "-3", three})
		}
	}
	missing := storetest.Candidates(2)
	missing[0].GenerationID = "not-stored"
	summaries := storetest.Candidates(2)
	for i := range summaries {
		summaries[i].GenerationID, summaries[i].SummaryID = "", fmt.Sprintf("S%d", i)
	}
	items = append(items, item{"u0", "missing", missing}, item{"u1", SummaryItemID([]string{"S0", "S1"}), summaries})
	at := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	for range n {
		it := items[r.IntN(len(items))]
		l := storetest.Decision(fmt.Sprintf("a%d", r.IntN(3)), it.user, it.prompt, "")
		l.Candidates, l.DecidedAt = it.cands, at.Add(time.Duration(r.IntN(40))*time.Minute)
		fxVerdict(r, &l)
		fxFollowUps(t, db, r, storetest.AddLabel(t, db, l))
	}
}

// fxVerdict gives l a verdict or a ranking at random.
func fxVerdict(r *rand.Rand, l *Label) {
	switch v := r.IntN(8); {
	case v < len(l.Candidates):
		l.Verdict = PaneLetter(v)
	case v == 3:
		l.Verdict = VerdictSkip
	case v == 4:
		l.Verdict = VerdictTie
	case v == 5:
		l.Verdict = VerdictBothBad
	case len(l.Candidates) == 3 && v == 6:
		l.Ranking = []string{"c", "a" + RankTie + "b"}
	default:
		l.Ranking = []string{"b", "a"}
		if len(l.Candidates) == 3 {
			l.Ranking = []string{"b", "c", "a"}
		}
	}
}

// fxFollowUps amends, takes back or replaces the stored decision l, or
// not, at random, at the same time or a later one.
func fxFollowUps(t *testing.T, db *DB, r *rand.Rand, l Label) {
	t.Helper()
	later := l.DecidedAt.Add(time.Duration(r.IntN(3)) * time.Minute)
	switch r.IntN(12) {
	case 0:
		a := l
		a.ID, a.Amends, a.Rationale, a.DecidedAt = "", l.ID, "because", later
		storetest.AddLabel(t, db, a)
	case 1:
		storetest.AddLabel(t, db, l.Retraction(later, "test"))
	case 2:
		rt := l.Retraction(later, "test")
		rt.Candidates = nil // an old version's retraction: another item
		storetest.AddLabel(t, db, rt)
	case 3:
		n := l
		n.ID, n.Verdict, n.Ranking = "", VerdictSkip, nil
		if _, _, err := db.ReplaceDecision(l, n, "test"); err != nil && !strings.Contains(err.Error(), "no longer the current") {
			t.Fatal(err)
		}
	}
}
