package trl

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
)

// The training-loop exports are tested on users made here, without a
// database (memUsers); TestTrainingExportsReadTheDatabase covers DBUsers.

// memUsers is a UserSource over users held in memory, in the order given
// (or, when the export shuffles them, in the order its shuffle makes),
// built and emitted one at a time, each with the summary it was given.
func memUsers(users ...UserData) UserSource {
	return UserSource{scan: func(opt userScan, build func(UserData) (userRows, error), emit func(userRows) error) error {
		order := slices.Clone(users)
		if opt.shuffle != nil {
			opt.shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		}
		for _, u := range order {
			if opt.only != nil && !slices.ContainsFunc(u.Signals, func(s store.Signal) bool { return opt.only(s.Kind, s.Split) }) {
				continue
			}
			r, err := build(u)
			if err == nil {
				err = emit(r)
			}
			if err != nil {
				return err
			}
		}
		return nil
	}}
}

func fxPair(id string, split store.Split, prompt, chosen, rejected string) store.Signal {
	return store.Signal{ID: id, Kind: store.KindPair, Split: split, Prompt: prompt, Chosen: chosen, Rejected: rejected}
}

// fxTrainingUsers: ann has a summary, two history pairs, a held-out pair
// and a task; bob has no summary, one history pair and a held-out pair.
func fxTrainingUsers() (ann, bob UserData) {
	ann = UserData{ID: "ann", Dataset: "demo", Summary: store.Summary{ID: "sum-ann", Version: 3, Text: "Terse."},
		Signals: []store.Signal{
			fxPair("h1", store.SplitHistory, "P1", "C1", "R1"),
			fxPair("h2", store.SplitHistory, "P2", "C2", "R2"),
			fxPair("ho1", store.SplitHeldout, "Q1", "short <ok> & done", "long"),
			{ID: "t1", Kind: store.KindTask, Prompt: "T1"},
		}}
	bob = UserData{ID: "bob", Signals: []store.Signal{
		fxPair("b1", store.SplitHistory, "BP", "BC", "BR"),
		fxPair("bo1", store.SplitHeldout, "BQ", "BW", "BL"),
	}}
	return ann, bob
}

// fxGeneratorRender words a prompt so that a test can read what it was
// given: the condition, the summary, the history pairs' ids and the prompt.
// Under raw a user without history pairs has store.ErrNoHistory.
func fxGeneratorRender(u UserData, condition string, p store.Signal) (Rendered, error) {
	var history []string
	for _, s := range u.Signals {
		if s.Kind == store.KindPair && s.Split == store.SplitHistory {
			history = append(history, s.ID)
		}
	}
	if condition == store.ConditionRaw && len(history) == 0 {
		return Rendered{}, fmt.Errorf("condition raw: the user %w", store.ErrNoHistory)
	}
	content := fmt.Sprintf("%s|%s|%s|%s", condition, u.Summary.Text, strings.Join(history, ","), p.Prompt)
	return Rendered{Messages: []store.Message{{Role: "system", Content: "SYS"}, {Role: "user", Content: content}}, TemplateSet: "set-1"}, nil
}

func fxMsgs(system, user string) []any {
	return []any{map[string]any{"role": "system", "content": system}, map[string]any{"role": "user", "content": user}}
}

func fxAssistant(text string) []any {
	return []any{map[string]any{"role": "assistant", "content": text}}
}

// fxPairColumns are a pairs row's columns after the prompt and answers.
func fxPairColumns(row map[string]any, user, dataset, id, split, condition, summaryID string, version float64) map[string]any {
	for k, v := range map[string]any{"user": user, "dataset": dataset, "prompt_id": id, "split": split, "condition": condition,
		"summary_id": summaryID, "summary_version": version, "template_set": "set-1"} {
		row[k] = v
	}
	return row
}

func TestExportPairs(t *testing.T) {
	ann, bob := fxTrainingUsers()
	tests := []struct {
		name    string
		opt     PairExport
		want    []map[string]any
		pairs   int
		users   int
		leftOut map[string]int
	}{
		{"dpo, summary, held-out (the defaults)", PairExport{Format: PairsDPO}, []map[string]any{
			fxPairColumns(map[string]any{"prompt": fxMsgs("SYS", "summary|Terse.|h1,h2|Q1"), "chosen": fxAssistant("short <ok> & done"), "rejected": fxAssistant("long")},
				"ann", "demo", "ho1", "heldout", "summary", "sum-ann", 3),
		}, 2, 1, map[string]int{LeftOutNoSummary: 1, LeftOutNoHistory: 0}},
		// A history pair is rendered without itself: bob has nothing left.
		{"dpo, raw, history, plain", PairExport{Format: PairsDPO, Condition: store.ConditionRaw, Split: PairsHistory, Plain: true}, []map[string]any{
			fxPairColumns(map[string]any{"prompt": "raw|Terse.|h2|P1", "system": "SYS", "chosen": "C1", "rejected": "R1"}, "ann", "demo", "h1", "history", "raw", "", 0),
			fxPairColumns(map[string]any{"prompt": "raw|Terse.|h1|P2", "system": "SYS", "chosen": "C2", "rejected": "R2"}, "ann", "demo", "h2", "history", "raw", "", 0),
		}, 3, 1, map[string]int{LeftOutNoSummary: 0, LeftOutNoHistory: 1}},
		{"dpo, none, all", PairExport{Format: PairsDPO, Condition: store.ConditionNone, Split: PairsAll}, []map[string]any{
			fxPairColumns(map[string]any{"prompt": fxMsgs("SYS", "none|Terse.|h2|P1"), "chosen": fxAssistant("C1"), "rejected": fxAssistant("R1")}, "ann", "demo", "h1", "history", "none", "", 0),
			fxPairColumns(map[string]any{"prompt": fxMsgs("SYS", "none|Terse.|h1|P2"), "chosen": fxAssistant("C2"), "rejected": fxAssistant("R2")}, "ann", "demo", "h2", "history", "none", "", 0),
			fxPairColumns(map[string]any{"prompt": fxMsgs("SYS", "none|Terse.|h1,h2|Q1"), "chosen": fxAssistant("short <ok> & done"), "rejected": fxAssistant("long")}, "ann", "demo", "ho1", "heldout", "none", "", 0),
			fxPairColumns(map[string]any{"prompt": fxMsgs("SYS", "none|||BP"), "chosen": fxAssistant("BC"), "rejected": fxAssistant("BR")}, "bob", "", "b1", "history", "none", "", 0),
			fxPairColumns(map[string]any{"prompt": fxMsgs("SYS", "none||b1|BQ"), "chosen": fxAssistant("BW"), "rejected": fxAssistant("BL")}, "bob", "", "bo1", "heldout", "none", "", 0),
		}, 5, 2, map[string]int{LeftOutNoSummary: 0, LeftOutNoHistory: 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opt.Render = fxGeneratorRender
			var buf bytes.Buffer
			rep, err := ExportPairs(memUsers(ann, bob), &buf, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			fxCheckRows(t, buf.Bytes(), rep.Rows, tt.want)
			if rep.Pairs != tt.pairs || rep.Users != tt.users || !maps.Equal(rep.LeftOut, tt.leftOut) || rep.Seed != 0 {
				t.Errorf("report %+v, want %d pairs, %d users, left out %v", rep, tt.pairs, tt.users, tt.leftOut)
			}
			if !strings.Contains(buf.String(), `"short <ok> & done"`) && tt.opt.Split != PairsHistory {
				t.Errorf("<, > and & are escaped: %s", buf.String())
			}
		})
	}
}

// fxCheckRows checks an export of n rows against the rows wanted, in
// order.
func fxCheckRows(t *testing.T, out []byte, n int, want []map[string]any) {
	t.Helper()
	rows := storetest.Rows(t, out, n)
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d:\n%s", len(rows), len(want), out)
	}
	for i := range rows {
		storetest.CheckRow(t, fmt.Sprintf("row %d", i), rows[i], want[i])
	}
}

// kto: two rows a pair, chosen true and rejected false, in an order set
// by the seed (the labels export's): the same seed, the same file.
func TestExportPairsKTO(t *testing.T) {
	var users []UserData
	for i := range 40 {
		users = append(users, UserData{ID: fmt.Sprintf("u%02d", i), Signals: []store.Signal{
			fxPair("p", store.SplitHeldout, fmt.Sprintf("Q%d", i), fmt.Sprintf("W%d", i), fmt.Sprintf("L%d", i))}})
	}
	export := func(seed uint64, plain bool) (string, PairReport) {
		t.Helper()
		var buf bytes.Buffer
		rep, err := ExportPairs(memUsers(users...), &buf, PairExport{Format: PairsKTO, Condition: store.ConditionNone, Seed: seed, Plain: plain, Render: fxGeneratorRender})
		if err != nil {
			t.Fatal(err)
		}
		return buf.String(), rep
	}
	first, rep := export(0, false)
	if rep.Rows != 80 || rep.Pairs != 40 || rep.Users != 40 || rep.Seed != DefaultExportSeed {
		t.Errorf("report %+v", rep)
	}
	if again, _ := export(DefaultExportSeed, false); again != first {
		t.Errorf("two exports with the default seed differ")
	}
	if other, _ := export(9, false); other == first {
		t.Errorf("seed 9 gives the default seed's order")
	}
	rows := storetest.Rows(t, []byte(first), 80)
	seen := map[string]bool{}
	adjacent := 0
	for i, r := range rows {
		n := atoi(t, strings.TrimPrefix(r["user"].(string), "u"))
		completion := fmt.Sprintf("L%d", n)
		if r["label"] == true {
			completion = fmt.Sprintf("W%d", n)
		}
		want := map[string]any{"prompt": fxMsgs("SYS", fmt.Sprintf("none|||Q%d", n)), "completion": fxAssistant(completion), "label": r["label"]}
		storetest.CheckRow(t, fmt.Sprintf("row %d", i), r, fxPairColumns(want, r["user"].(string), "", "p", "heldout", "none", "", 0))
		seen[fmt.Sprint(r["user"], r["label"])] = true
		if i > 0 && rows[i-1]["user"] == r["user"] {
			adjacent++
		}
	}
	if len(seen) != 80 {
		t.Errorf("%d distinct rows, want 80 (each pair's chosen and rejected)", len(seen))
	}
	if adjacent > 8 { // in user order, 40 of 79 neighbours would share a pair
		t.Errorf("%d of 79 neighbouring rows share a pair: not shuffled", adjacent)
	}
	plain, _ := export(0, true)
	prow := storetest.Rows(t, []byte(plain), 80)[0]
	if _, ok := prow["system"]; !ok || prow["system"] != "SYS" {
		t.Errorf("a plain kto row: %v", prow)
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// What cannot be exported stops the export with the user and pair named;
// no row ever has an empty prompt.
func TestExportPairsErrors(t *testing.T) {
	ann, _ := fxTrainingUsers()
	broken := errors.New("template broken")
	tests := []struct {
		name   string
		opt    PairExport
		render GeneratorRender
		want   string
	}{
		{"unknown format", PairExport{Format: "sft"}, fxGeneratorRender, `unknown pairs format "sft"`},
		{"unknown split", PairExport{Format: PairsDPO, Split: "test"}, fxGeneratorRender, `unknown split "test"`},
		{"unknown condition", PairExport{Format: PairsDPO, Condition: "both"}, fxGeneratorRender, `"both"`},
		{"no renderer", PairExport{Format: PairsDPO}, nil, "no renderer"},
		{"render fails", PairExport{Format: PairsDPO}, func(UserData, string, store.Signal) (Rendered, error) { return Rendered{}, broken },
			`user "ann", pair "ho1": template broken`},
		{"only a system turn", PairExport{Format: PairsDPO}, func(UserData, string, store.Signal) (Rendered, error) {
			return Rendered{Messages: []store.Message{{Role: "system", Content: "S"}, {Role: "user", Content: " \n"}}}, nil
		}, `user "ann", pair "ho1": the rendered prompt has no turn to answer`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opt.Render = tt.render
			var buf bytes.Buffer
			_, err := ExportPairs(memUsers(ann), &buf, tt.opt)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if buf.Len() != 0 {
				t.Errorf("a failed export wrote rows: %s", buf.String())
			}
		})
	}
}

// The training exports read users, their datasets and current summaries
// from a database (DBUsers), and escape what a terminal acts on.
func TestTrainingExportsReadTheDatabase(t *testing.T) {
	db := storetest.Open(t)
	hostile := "evil\u202e \u0085end"
	jsonl := `{"user":"u1","kind":"pair","id":"h1","prompt":"P","chosen":"C","rejected":"R"}
{"user":"u1","kind":"pair","id":"ho1","split":"heldout","prompt":"Q","chosen":"` + hostile + `","rejected":"L"}
{"user":"u2","kind":"pair","id":"ho2","split":"heldout","prompt":"Q2","chosen":"W2","rejected":"L2"}
{"user":"u2","kind":"text","id":"c1","text":"hello"}
`
	if _, err := db.Import(t.Context(), "t.jsonl", strings.NewReader(jsonl), store.ImportOptions{Format: store.FormatPopi, Dataset: "set-a"}); err != nil {
		t.Fatal(err)
	}
	storetest.AddSummary(t, db, store.Summary{User: "u1", Text: "old", Source: "m/m"})
	cur := storetest.AddSummary(t, db, store.Summary{User: "u1", Text: "Terse.", Source: store.SourceHuman, Parent: 1})
	var buf bytes.Buffer
	rep, err := ExportPairs(DBUsers(db), &buf, PairExport{Format: PairsDPO, Render: fxGeneratorRender})
	if err != nil {
		t.Fatal(err)
	}
	rows := storetest.Rows(t, buf.Bytes(), 1)
	storetest.CheckRow(t, "u1", rows[0], fxPairColumns(map[string]any{"prompt": fxMsgs("SYS", "summary|Terse.|h1|Q"),
		"chosen": fxAssistant(hostile), "rejected": fxAssistant("L")}, "u1", "set-a", "ho1", "heldout", "summary", cur.ID, 2))
	if rep.LeftOut[LeftOutNoSummary] != 1 {
		t.Errorf("u2 has no summary: left out %v", rep.LeftOut)
	}
	if !strings.Contains(buf.String(), `evil\u202e \u0085end`) {
		t.Errorf("bidi and C1 controls written raw: %q", buf.String())
	}
	// The summarizer export reads the same users.
	buf.Reset()
	srep, err := ExportSummarizer(DBUsers(db), &buf, SummarizerExport{Format: SummarizerGRPO, Render: fxSummarizerRender})
	if err != nil || srep.Rows != 2 {
		t.Fatalf("summarizer export: %+v, %v", srep, err)
	}
	if got := storetest.Rows(t, buf.Bytes(), 2); got[1]["dataset"] != "set-a" || got[1]["user"] != "u2" || !slices.Equal(storetest.Keys(got[0]), storetest.Keys(got[1])) {
		t.Errorf("rows %v", got)
	}
}
