package trl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	. "github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/format/popi"
	"github.com/popi-tui/popi-tui/store/format/printsafe"
	"github.com/popi-tui/popi-tui/store/storetest"
)

// fxPanesSwapped is cands shown in the other order: the same answers
// under other pane letters (as another annotator's shuffle shows them).
func fxPanesSwapped(cands []Candidate) []Candidate {
	out := slices.Clone(cands)
	slices.Reverse(out)
	for i := range out {
		out[i].Pane = PaneLetter(i)
	}
	return out
}

func TestExportLabelsResolve(t *testing.T) {
	db := storetest.Open(t)
	storetest.Import(t, db, fxExportUsers)
	msgs := []Message{{Role: "user", Content: fxTaskPrompt}}
	at := time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC)
	decide := func(annotator, promptID, verdict string, cands []Candidate, minutes int) Label {
		l := storetest.Decision(annotator, "u1", promptID, verdict)
		l.Candidates, l.DecidedAt = cands, at.Add(time.Duration(minutes)*time.Minute)
		return storetest.AddLabel(t, db, l)
	}
	cands := func(promptID string) []Candidate {
		c, _ := fxPutPanes(t, db, "u1", promptID, []fxPane{{ConditionNone, msgs, promptID + " one"}, {ConditionNone, msgs, promptID + " two"}})
		return c
	}
	x, y, z, w := cands("x"), cands("y"), cands("z"), cands("w")
	// x: two annotators pick the same answer (shown under other letters),
	// a third the other one: a 2-1 majority.
	x1 := decide("ann", "x", "a", x, 1)
	x2 := decide("bob", "x", "b", fxPanesSwapped(x), 2)
	x3 := decide("cat", "x", "b", x, 3)
	// y: a 1-1 split, no majority.
	y1 := decide("ann", "y", "a", y, 4)
	y2 := decide("bob", "y", "b", y, 5)
	// z: a skip and a tie: skips are no judgement, so no conflict.
	z1 := decide("ann", "z", VerdictSkip, z, 7)
	z2 := decide("bob", "z", VerdictTie, z, 6)
	// w: one annotator, who skipped.
	w1 := decide("cat", "w", VerdictSkip, w, 8)

	tests := []struct {
		resolve   string
		want      []Label
		conflicts int // left out as conflicting
	}{
		{ResolveAll, []Label{x1, x2, x3, y1, y2, z1, z2, w1}, 0},
		{"", []Label{x1, x2, x3, y1, y2, z1, z2, w1}, 0},
		{ResolveMajority, []Label{x2, z2, w1}, 1},
		{ResolveNewest, []Label{x3, y2, z2, w1}, 0},
		{ResolveDrop, []Label{z2, w1}, 2},
	}
	for _, tt := range tests {
		t.Run("resolve="+tt.resolve, func(t *testing.T) {
			var buf bytes.Buffer
			rep, err := ExportLabels(db, &buf, LabelExport{Format: LabelsRaw, Resolve: tt.resolve})
			if err != nil {
				t.Fatal(err)
			}
			rows := storetest.Rows(t, buf.Bytes(), rep.Rows)
			var got, want []string
			for _, r := range rows {
				got = append(got, r["id"].(string))
			}
			for _, l := range tt.want {
				want = append(want, l.ID)
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("exported %q, want %q", got, want)
			}
			if rep.ConflictingItems != 2 || rep.LeftOut[LeftOutConflict] != tt.conflicts || rep.Decisions != 8 {
				t.Errorf("report %+v: want 2 conflicting items, %d left out as conflicting, 8 decisions", rep, tt.conflicts)
			}
			wantResolve := tt.resolve
			if wantResolve == "" {
				wantResolve = ResolveAll
			}
			if rep.Resolve != wantResolve {
				t.Errorf("report says resolve %q, want %q", rep.Resolve, wantResolve)
			}
		})
	}

	// dpo under majority: x's answers are "x one" (slot 1, pane a of ann
	// and cat, pane b of bob) and "x two"; ann and bob chose "x one".
	var buf bytes.Buffer
	rep, err := ExportLabels(db, &buf, LabelExport{Format: LabelsDPO, Plain: true, Resolve: ResolveMajority})
	if err != nil {
		t.Fatal(err)
	}
	rows := storetest.Rows(t, buf.Bytes(), rep.Rows)
	if len(rows) != 1 || rows[0]["chosen"] != "x one" || rows[0]["rejected"] != "x two" || rows[0]["annotator"] != "bob" {
		t.Errorf("dpo rows under majority: %v, want x one over x two, by bob (the newest of the majority)", rows)
	}
	if rep.LeftOut[LeftOutTie] != 1 || rep.LeftOut[LeftOutSkipped] != 1 {
		t.Errorf("dpo left out %v, want 1 tie (z) and 1 skip (w)", rep.LeftOut)
	}
}

func TestExportLabelsAnnotators(t *testing.T) {
	db := storetest.Open(t)
	storetest.Import(t, db, fxExportUsers)
	msgs := []Message{{Role: "user", Content: fxTaskPrompt}}
	cands, _ := fxPutPanes(t, db, "u1", "task-1", []fxPane{{ConditionNone, msgs, "one"}, {ConditionNone, msgs, "two"}})
	var byAnn = map[string]Label{}
	for _, ann := range []string{"ann", "bob", "cat"} {
		l := storetest.Decision(ann, "u1", "task-1", "a")
		l.Candidates = cands
		byAnn[ann] = storetest.AddLabel(t, db, l)
	}
	for _, tt := range []struct {
		annotators []string
		want       []string
	}{
		{nil, []string{"ann", "bob", "cat"}},
		{[]string{"bob"}, []string{"bob"}},
		{[]string{"cat", "ann"}, []string{"ann", "cat"}},
		{[]string{"nobody"}, nil},
	} {
		var buf bytes.Buffer
		rep, err := ExportLabels(db, &buf, LabelExport{Format: LabelsKTO, Annotators: tt.annotators})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range storetest.Rows(t, buf.Bytes(), rep.Rows) {
			if !slices.Contains(got, r["annotator"].(string)) {
				got = append(got, r["annotator"].(string))
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, tt.want) || rep.Decisions != len(tt.want) || len(rep.Annotators) != len(tt.want) {
			t.Errorf("annotators %q: rows by %q, report %+v; want %q", tt.annotators, got, rep, tt.want)
		}
		if rep.ConflictingItems != 0 {
			t.Errorf("annotators %q: %d conflicting items, want 0 (all agree)", tt.annotators, rep.ConflictingItems)
		}
	}
}

// fxManyLabels adds n best-of-2 (or of-3, every third) decisions of one
// annotator, each on its own task.
func fxManyLabels(t *testing.T, db *DB, n int) {
	t.Helper()
	var users strings.Builder
	for i := range n {
		fmt.Fprintf(&users, `{"user":"u%d","kind":"task","id":"t","prompt":"prompt %d"}`+"\n", i, i)
	}
	storetest.Import(t, db, users.String())
	for i := range n {
		user := fmt.Sprintf("u%d", i)
		panes := []fxPane{{ConditionNone, []Message{{Role: "user", Content: "prompt " + user}}, "first " + user}, {ConditionNone, []Message{{Role: "user", Content: "prompt " + user}}, "second " + user}}
		if i%3 == 0 {
			panes = append(panes, fxPane{ConditionNone, []Message{{Role: "user", Content: "prompt " + user}}, "third " + user})
		}
		cands, _ := fxPutPanes(t, db, user, "t", panes)
		l := storetest.Decision("ann", user, "t", "b")
		l.Candidates = cands
		storetest.AddLabel(t, db, l)
	}
}

func TestExportKTOShuffledWithSeed(t *testing.T) {
	db := storetest.Open(t)
	fxManyLabels(t, db, 60)
	export := func(seed uint64) (string, []map[string]any) {
		t.Helper()
		var buf bytes.Buffer
		rep, err := ExportLabels(db, &buf, LabelExport{Format: LabelsKTO, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		wantSeed := seed
		if seed == 0 {
			wantSeed = DefaultExportSeed
		}
		if rep.Seed != wantSeed {
			t.Errorf("report seed %d, want %d", rep.Seed, wantSeed)
		}
		return buf.String(), storetest.Rows(t, buf.Bytes(), rep.Rows)
	}
	first, rows := export(0)
	if again, _ := export(DefaultExportSeed); again != first {
		t.Errorf("two exports with the default seed differ")
	}
	other, otherRows := export(7)
	if other == first {
		t.Errorf("seed 7 gives the same order as the default seed")
	}
	if len(rows) != 60*2+20 {
		t.Fatalf("%d rows, want 140", len(rows))
	}
	// The same rows, in another order.
	key := func(r map[string]any) string { return fmt.Sprint(r["label_id"], r["completion"], r["label"]) }
	var a, b []string
	for i := range rows {
		a, b = append(a, key(rows[i])), append(b, key(otherRows[i]))
	}
	slices.Sort(a)
	slices.Sort(b)
	if !slices.Equal(a, b) {
		t.Errorf("seed 7 exports other rows")
	}
	// Neighbours rarely come from the same decision: in label order 80 of
	// 139 neighbouring pairs would.
	same := 0
	for i := 1; i < len(rows); i++ {
		if rows[i]["label_id"] == rows[i-1]["label_id"] {
			same++
		}
	}
	if same > 10 {
		t.Errorf("%d of %d neighbouring rows come from the same decision: not shuffled", same, len(rows)-1)
	}
	// dpo keeps label order: shuffling it buys nothing.
	var buf bytes.Buffer
	if _, err := ExportLabels(db, &buf, LabelExport{Format: LabelsDPO}); err != nil {
		t.Fatal(err)
	}
}

// The shuffle buffer writes every row once, in an order set by the seed,
// whether or not the rows outnumber the buffer.
func TestRowShuffler(t *testing.T) {
	for _, n := range []int{0, 1, 5, 16, 17, 1000} {
		run := func(seed uint64) []string {
			var out bytes.Buffer
			s := newRowShuffler(rand.New(rand.NewPCG(seed, 1)), &out, 16)
			for i := range n {
				if err := s.add([]byte(fmt.Sprintf("%d\n", i))); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.flush(); err != nil {
				t.Fatal(err)
			}
			return strings.Fields(out.String())
		}
		got := run(1)
		if !slices.Equal(got, run(1)) {
			t.Errorf("n=%d: the same seed gives two orders", n)
		}
		sorted := slices.Clone(got)
		slices.SortFunc(sorted, func(a, b string) int { return len(a) - len(b) + strings.Compare(a, b)*boolInt(len(a) == len(b)) })
		var want []string
		for i := range n {
			want = append(want, fmt.Sprint(i))
		}
		if !slices.Equal(sorted, want) {
			t.Errorf("n=%d: rows %v are not a permutation of 0..%d", n, got, n-1)
		}
		if n >= 16 && slices.Equal(got, want) {
			t.Errorf("n=%d: rows in their original order", n)
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Every row of a file has the same columns with the same JSON types,
// whatever the decision: with a summary or without, replayed or generated,
// best-of or ranking.
func TestExportRowsHaveTheSameColumnsAndTypes(t *testing.T) {
	db := storetest.Open(t)
	storetest.Import(t, db, fxExportUsers)
	none := []Message{{Role: "user", Content: fxTaskPrompt}}
	sum := fxSummaryMessages(fxSummaryText)
	c1, _ := fxPutPanes(t, db, "u1", "task-1", []fxPane{{ConditionNone, none, "n"}, {ConditionSummary, sum, "s"}})
	l1 := storetest.Decision("ann", "u1", "task-1", "b")
	l1.Candidates, l1.SummaryID, l1.SummaryVersion = c1, "S1", 2
	storetest.AddLabel(t, db, l1)
	c2, _ := fxPutPanes(t, db, "u2", "task-1", []fxPane{{ConditionNone, none, "x"}, {ConditionNone, none, "y"}, {ConditionNone, none, "z"}})
	l2 := storetest.Decision("ann", "u2", "task-1", "")
	l2.Candidates, l2.Ranking = c2, []string{"c", "a", "b"}
	storetest.AddLabel(t, db, l2)

	for _, opt := range []LabelExport{{Format: LabelsDPO}, {Format: LabelsDPO, Plain: true}, {Format: LabelsKTO}, {Format: LabelsKTO, Plain: true}} {
		var buf bytes.Buffer
		rep, err := ExportLabels(db, &buf, opt)
		if err != nil {
			t.Fatal(err)
		}
		rows := storetest.Rows(t, buf.Bytes(), rep.Rows)
		if len(rows) < 3 {
			t.Fatalf("%+v: %d rows", opt, len(rows))
		}
		shape := func(r map[string]any) string {
			var parts []string
			for _, k := range storetest.Keys(r) {
				parts = append(parts, fmt.Sprintf("%s:%T", k, r[k]))
			}
			return strings.Join(parts, " ")
		}
		for i, r := range rows {
			if shape(r) != shape(rows[0]) {
				t.Errorf("%+v: row %d has columns %s,\nrow 0 %s", opt, i, shape(r), shape(rows[0]))
			}
			switch p := r["prompt"].(type) {
			case string:
				if p == "" || !opt.Plain {
					t.Errorf("%+v: row %d prompt %q", opt, i, p)
				}
			case []any:
				if len(p) == 0 || opt.Plain {
					t.Errorf("%+v: row %d prompt %v", opt, i, p)
				}
			default:
				t.Errorf("%+v: row %d prompt %#v", opt, i, p)
			}
		}
	}
}

// An answer stored without the messages it answers gives no row: never an
// empty or null prompt. The decision is counted as left out.
func TestExportLabelsNeverWriteAnEmptyPrompt(t *testing.T) {
	for _, tt := range []struct {
		name string
		msgs []Message
	}{
		{"no messages", nil},
		{"a system turn only", []Message{{Role: "system", Content: "be brief"}}},
		{"an empty user turn", []Message{{Role: "user", Content: ""}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			db := storetest.Open(t)
			storetest.Import(t, db, fxExportUsers)
			cands, _ := fxPutPanes(t, db, "u1", "task-1", []fxPane{{ConditionNone, tt.msgs, "one"}, {ConditionNone, []Message{{Role: "user", Content: fxTaskPrompt}}, "two"}})
			l := storetest.Decision("ann", "u1", "task-1", "b")
			l.Candidates = cands
			storetest.AddLabel(t, db, l)
			for _, opt := range []LabelExport{{Format: LabelsDPO}, {Format: LabelsDPO, Plain: true}, {Format: LabelsKTO}, {Format: LabelsKTO, Plain: true}} {
				var buf bytes.Buffer
				rep, err := ExportLabels(db, &buf, opt)
				if err != nil {
					t.Fatal(err)
				}
				if rep.Rows != 0 || buf.Len() != 0 || rep.LeftOut[LeftOutNoPrompt] != 1 {
					t.Errorf("%+v: %d rows %q, left out %v; want none, 1 no_prompt", opt, rep.Rows, buf.String(), rep.LeftOut)
				}
			}
		})
	}
}

// Characters a terminal acts on never leave an export raw: C1 controls,
// bidi controls, DEL, line separators. The escaped file decodes to the
// same strings.
func TestExportsAreSafeToPrint(t *testing.T) {
	hostile := "a\u009b31mred\u0085 \u202eevil\u202c \u2066iso\u2069 \u200f\u061c del\x7f \u2028sep\u2029 ok é 🐙"
	db := storetest.Open(t)
	quoted, _ := json.Marshal(hostile)
	storetest.Import(t, db, fmt.Sprintf(`{"user":"u1","kind":"pair","id":"h1","prompt":%s,"chosen":"c","rejected":"r","meta":{"note":%s}}`+"\n", quoted, quoted))
	cands, _ := fxPutPanes(t, db, "u1", "h1", []fxPane{{ConditionNone, []Message{{Role: "user", Content: hostile}}, hostile}, {ConditionNone, []Message{{Role: "user", Content: hostile}}, "plain"}})
	l := storetest.Decision("ann", "u1", "h1", "a")
	l.Candidates, l.Rationale = cands, hostile
	storetest.AddLabel(t, db, l)
	storetest.AddSummary(t, db, Summary{User: "u1", Text: "model says " + hostile, Source: "m/m", Input: "sent " + hostile})
	storetest.AddSummary(t, db, Summary{User: "u1", Text: "human says " + hostile, Source: SourceHuman, Parent: 1})

	exports := map[string]func(*bytes.Buffer) error{
		"raw": func(b *bytes.Buffer) error { _, err := ExportLabels(db, b, LabelExport{Format: LabelsRaw}); return err },
		"dpo": func(b *bytes.Buffer) error { _, err := ExportLabels(db, b, LabelExport{Format: LabelsDPO}); return err },
		"kto plain": func(b *bytes.Buffer) error {
			_, err := ExportLabels(db, b, LabelExport{Format: LabelsKTO, Plain: true})
			return err
		},
		"sft": func(b *bytes.Buffer) error {
			_, err := ExportSummaries(db, b, SummaryExport{Format: SummariesSFT, Input: fxSummarizerInput})
			return err
		},
		"users": func(b *bytes.Buffer) error { _, err := popi.WriteUsers(b, db.EachSignal); return err },
	}
	for name, export := range exports {
		var buf bytes.Buffer
		if err := export(&buf); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, r := range string(buf.Bytes()) {
			if c := string(r); string(printsafe.JSON([]byte(c))) != c { // a character printsafe escapes
				t.Errorf("%s: U+%04X written raw", name, r)
			}
		}
		if !strings.Contains(buf.String(), `\u009b`) || !strings.Contains(buf.String(), `\u202e`) || !strings.Contains(buf.String(), "é 🐙") {
			t.Errorf("%s: escapes or ordinary text missing:\n%s", name, buf.String())
		}
		if !strings.Contains(fxDecodeStrings(t, buf.Bytes()), hostile) {
			t.Errorf("%s: the decoded export does not hold the original text", name)
		}
	}
}

// fxDecodeStrings decodes every JSONL line and joins every string in it.
func fxDecodeStrings(t *testing.T, data []byte) string {
	t.Helper()
	var b strings.Builder
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			b.WriteString(v + "\n")
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			for _, k := range storetest.Keys(v) {
				walk(v[k])
			}
		}
	}
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		var v any
		if err := json.Unmarshal(line, &v); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		walk(v)
	}
	return b.String()
}
