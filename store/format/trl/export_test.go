package trl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	. "github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
)

// fxMessages is a message list as a conversational export writes it.
func fxMessages(msgs []Message) []any {
	out := make([]any, len(msgs))
	for i, m := range msgs {
		out[i] = map[string]any{"role": m.Role, "content": m.Content}
	}
	return out
}

// fxJoined is a message list as a plain export writes it: the contents
// of the turns with role (system) or without it (the prompt).
func fxJoined(msgs []Message, system bool) string {
	var parts []string
	for _, m := range msgs {
		if (m.Role == "system") == system {
			parts = append(parts, m.Content)
		}
	}
	return strings.Join(parts, "\n\n")
}

func fxPromptValue(msgs []Message, conversational bool) any {
	if conversational {
		return fxMessages(msgs)
	}
	return fxJoined(msgs, false)
}

func fxAnswerValue(text string, conversational bool) any {
	if conversational {
		return []any{map[string]any{"role": "assistant", "content": text}}
	}
	return text
}

// fxAsJSONValue is v as encoding/json parses it into an any.
func fxAsJSONValue(t *testing.T, v any) any {
	t.Helper()
	var out any
	if err := json.Unmarshal([]byte(storetest.JSON(t, v)), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

const fxExportUsers = `{"user": "u1", "kind": "pair", "id": "h1", "prompt": "How do I reverse a list?", "chosen": "xs[::-1]", "rejected": "Great question! …"}
{"user": "u1", "kind": "task", "id": "task-1", "prompt": "How do I undo my last commit?"}
{"user": "u2", "kind": "task", "id": "task-1", "prompt": "How do I undo my last commit?"}
{"user": "u1", "kind": "task", "id": "task-2", "prompt": "Explain DNS."}
`

const (
	fxTaskPrompt  = "How do I undo my last commit?"
	fxSummaryText = "The user wants the shortest correct answer."
)

// fxPane is one answer to put in a comparison.
type fxPane struct {
	condition string
	messages  []Message
	text      string
}

// fxSummaryMessages is what a summary-conditioned generator is sent.
func fxSummaryMessages(summary string) []Message {
	return []Message{{Role: "system", Content: "What you know about this user:\n" + summary}, {Role: "user", Content: fxTaskPrompt}}
}

// fxPutPanes stores one generation per pane (backend-<pane>, model-<pane>)
// and returns the candidates and the generations by pane.
func fxPutPanes(t *testing.T, db *DB, user, promptID string, panes []fxPane) ([]Candidate, map[string]Generation) {
	t.Helper()
	cands := make([]Candidate, len(panes))
	gens := make(map[string]Generation, len(panes))
	for i, p := range panes {
		letter := PaneLetter(i)
		k := GenerationKey{User: user, PromptID: promptID, Condition: p.condition, Backend: "backend-" + letter,
			Model: "model-" + letter, Sampling: "temperature=0"}
		if p.condition == ConditionSummary {
			k.SummaryID = "S1"
		}
		g, err := db.PutGeneration(Generation{Key: k.Hash(), User: user, PromptID: promptID, Prompt: fxTaskPrompt,
			Condition: p.condition, SummaryID: k.SummaryID, Backend: k.Backend, Model: k.Model, Sampling: k.Sampling,
			Messages: p.messages, Text: p.text, FinishReason: "stop"})
		if err != nil {
			t.Fatal(err)
		}
		gens[letter] = g
		cands[i] = Candidate{Pane: letter, Slot: (i + 1) % len(panes), Backend: k.Backend, Model: k.Model,
			Condition: p.condition, GenerationID: g.ID}
	}
	return cands, gens
}

// fxExport runs ExportLabels and parses its rows.
func fxExport(t *testing.T, db *DB, opt LabelExport) []map[string]any {
	t.Helper()
	var buf bytes.Buffer
	rep, err := ExportLabels(db, &buf, opt)
	if err != nil {
		t.Fatalf("ExportLabels(%+v): %v", opt, err)
	}
	n := rep.Rows
	if bytes.Contains(buf.Bytes(), []byte(`\u003c`)) || bytes.Contains(buf.Bytes(), []byte(`\u0026`)) {
		t.Errorf("ExportLabels(%+v) escaped HTML characters:\n%s", opt, buf.Bytes())
	}
	return storetest.Rows(t, buf.Bytes(), n)
}

// fxDPO is an expected dpo row: the chosen and rejected panes, and the
// pane whose input is the prompt.
type fxDPO struct{ chosen, rejected, promptFrom string }

// fxKTO is an expected kto row.
type fxKTO struct {
	pane  string
	label bool
}

func fxWantDPO(l Label, gens map[string]Generation, w fxDPO, conv bool) map[string]any {
	ch, _ := l.Pane(w.chosen)
	rj, _ := l.Pane(w.rejected)
	from, _ := l.Pane(w.promptFrom)
	m := map[string]any{
		"prompt":             fxPromptValue(gens[w.promptFrom].Messages, conv),
		"chosen":             fxAnswerValue(gens[w.chosen].Text, conv),
		"rejected":           fxAnswerValue(gens[w.rejected].Text, conv),
		"user":               l.User,
		"prompt_id":          l.PromptID,
		"chosen_backend":     ch.Backend,
		"chosen_model":       ch.Model,
		"chosen_condition":   ch.Condition,
		"rejected_backend":   rj.Backend,
		"rejected_model":     rj.Model,
		"rejected_condition": rj.Condition,
		"prompt_condition":   from.Condition,
		"annotator":          l.Annotator,
		"label_id":           l.ID,
		"summary_id":         l.SummaryID,
		"summary_version":    float64(l.SummaryVersion),
	}
	if !conv {
		m["system"] = fxJoined(gens[w.promptFrom].Messages, true)
	}
	return m
}

func fxWantKTO(l Label, gens map[string]Generation, w fxKTO, conv bool) map[string]any {
	c, _ := l.Pane(w.pane)
	m := map[string]any{
		"prompt":          fxPromptValue(gens[w.pane].Messages, conv),
		"completion":      fxAnswerValue(gens[w.pane].Text, conv),
		"label":           w.label,
		"user":            l.User,
		"prompt_id":       l.PromptID,
		"backend":         c.Backend,
		"model":           c.Model,
		"condition":       c.Condition,
		"annotator":       l.Annotator,
		"label_id":        l.ID,
		"summary_id":      l.SummaryID,
		"summary_version": float64(l.SummaryVersion),
	}
	if !conv {
		m["system"] = fxJoined(gens[w.pane].Messages, true)
	}
	return m
}

// fxCheckLabelExports exports one database in dpo and kto, plain and
// conversational, and checks every row.
func fxCheckLabelExports(t *testing.T, db *DB, l Label, gens map[string]Generation, dpo []fxDPO, kto []fxKTO) {
	t.Helper()
	for _, conv := range []bool{false, true} {
		rows := fxExport(t, db, LabelExport{Format: LabelsDPO, Plain: !conv})
		if len(rows) != len(dpo) {
			t.Errorf("dpo (conversational %v): %d rows, want %d", conv, len(rows), len(dpo))
		} else {
			for i, w := range dpo {
				storetest.CheckRow(t, fmt.Sprintf("dpo row %d (conversational %v)", i, conv), rows[i], fxWantDPO(l, gens, w, conv))
			}
		}
		rows = fxExport(t, db, LabelExport{Format: LabelsKTO, Plain: !conv})
		var want []map[string]any
		for _, w := range kto {
			want = append(want, fxWantKTO(l, gens, w, conv))
		}
		fxSameRows(t, fmt.Sprintf("kto (conversational %v)", conv), rows, want)
	}
}

// fxSameRows compares rows written in a shuffled order with the expected
// ones, as multisets.
func fxSameRows(t *testing.T, what string, got, want []map[string]any) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d rows, want %d", what, len(got), len(want))
		return
	}
	key := func(m map[string]any) string { return fmt.Sprint(m["label_id"], m["backend"], m["label"]) }
	byKey := func(rows []map[string]any) []map[string]any {
		out := slices.Clone(rows)
		slices.SortFunc(out, func(a, b map[string]any) int { return strings.Compare(key(a), key(b)) })
		return out
	}
	g, w := byKey(got), byKey(want)
	for i := range w {
		storetest.CheckRow(t, fmt.Sprintf("%s: row %s", what, key(w[i])), g[i], w[i])
	}
}

// ---- ExportLabels ------------------------------------------------------------

func TestExportLabelsVerdictsAndRankings(t *testing.T) {
	tests := []struct {
		name    string
		panes   int
		verdict string
		ranking []string
		dpo     []fxDPO
		kto     []fxKTO
	}{
		{"best of 2, a", 2, "a", nil,
			[]fxDPO{{"a", "b", "a"}},
			[]fxKTO{{"a", true}, {"b", false}}},
		{"best of 2, b", 2, "b", nil,
			[]fxDPO{{"b", "a", "b"}},
			[]fxKTO{{"a", false}, {"b", true}}},
		{"best of 3, b", 3, "b", nil,
			[]fxDPO{{"b", "a", "b"}, {"b", "c", "b"}},
			[]fxKTO{{"a", false}, {"b", true}, {"c", false}}},
		{"best of 4, d", 4, "d", nil,
			[]fxDPO{{"d", "a", "d"}, {"d", "b", "d"}, {"d", "c", "d"}},
			[]fxKTO{{"a", false}, {"b", false}, {"c", false}, {"d", true}}},
		{"ranking of 2", 2, "", []string{"b", "a"},
			[]fxDPO{{"b", "a", "b"}},
			[]fxKTO{{"a", false}, {"b", true}}},
		{"ranking of 3", 3, "", []string{"c", "a", "b"},
			[]fxDPO{{"c", "a", "c"}, {"c", "b", "c"}, {"a", "b", "a"}},
			[]fxKTO{{"b", false}, {"c", true}}},
		{"ranking of 4", 4, "", []string{"b", "d", "a", "c"},
			[]fxDPO{{"b", "d", "b"}, {"b", "a", "b"}, {"b", "c", "b"}, {"d", "a", "d"}, {"d", "c", "d"}, {"a", "c", "a"}},
			[]fxKTO{{"b", true}, {"c", false}}},
		{"ranking of 3 with the last two equal", 3, "", []string{"b", "a=c"},
			[]fxDPO{{"b", "a", "b"}, {"b", "c", "b"}},
			[]fxKTO{{"a", false}, {"b", true}, {"c", false}}},
		{"ranking of 4 with the first two equal", 4, "", []string{"c=a", "d", "b"},
			[]fxDPO{{"c", "d", "c"}, {"c", "b", "c"}, {"a", "d", "a"}, {"a", "b", "a"}, {"d", "b", "d"}},
			[]fxKTO{{"a", true}, {"b", false}, {"c", true}}},
		{"tie", 2, VerdictTie, nil, nil, nil},
		{"tie of 3", 3, VerdictTie, nil, nil, nil},
		{"skip", 3, VerdictSkip, nil, nil, nil},
		{"both bad", 2, VerdictBothBad, nil, nil,
			[]fxKTO{{"a", false}, {"b", false}}},
		{"all 3 bad", 3, VerdictBothBad, nil, nil,
			[]fxKTO{{"a", false}, {"b", false}, {"c", false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := storetest.Open(t)
			storetest.Import(t, db, fxExportUsers)
			msgs := fxSummaryMessages(fxSummaryText)
			var panes []fxPane
			for i := range tt.panes {
				panes = append(panes, fxPane{ConditionSummary, msgs,
					fmt.Sprintf("Answer %s: run <git reset --soft HEAD~1> & \"keep\" it\n✓", PaneLetter(i))})
			}
			cands, gens := fxPutPanes(t, db, "u1", "task-1", panes)
			l := storetest.Decision("ann", "u1", "task-1", tt.verdict)
			l.Prompt, l.Candidates, l.Ranking = fxTaskPrompt, cands, tt.ranking
			l.SummaryID, l.SummaryVersion, l.SummaryHash = "S1", 1, TextHash(fxSummaryText)
			l.Rationale = "<b>shorter</b> & right"
			l = storetest.AddLabel(t, db, l)

			// raw: the record as stored, every field.
			raw := fxExport(t, db, LabelExport{Format: LabelsRaw})
			if len(raw) != 1 {
				t.Fatalf("raw: %d rows, want 1", len(raw))
			}
			wantKeys := []string{"id", "kind", "user", "prompt_id", "prompt", "summary_id", "summary_version",
				"summary_hash", "candidates", "rationale", "annotator", "shown_at", "decided_at", "app_version"}
			if tt.ranking != nil {
				wantKeys = append(wantKeys, "ranking")
			} else {
				wantKeys = append(wantKeys, "verdict")
			}
			if got := storetest.Keys(raw[0]); !slices.Equal(got, storetest.Sorted(wantKeys...)) {
				t.Errorf("raw fields %q, want %q", got, storetest.Sorted(wantKeys...))
			}
			storetest.CheckRow(t, "raw row", raw[0], fxAsJSONValue(t, l).(map[string]any))
			if raw[0]["kind"] != LabelDecision || raw[0]["summary_hash"] != TextHash(fxSummaryText) {
				t.Errorf("raw kind %v summary_hash %v", raw[0]["kind"], raw[0]["summary_hash"])
			}
			cand := raw[0]["candidates"].([]any)
			if len(cand) != tt.panes {
				t.Fatalf("raw: %d candidates, want %d", len(cand), tt.panes)
			}
			for i, c := range cand {
				want := map[string]any{"pane": PaneLetter(i), "slot": float64((i + 1) % tt.panes),
					"backend": "backend-" + PaneLetter(i), "model": "model-" + PaneLetter(i),
					"condition": ConditionSummary, "generation_id": gens[PaneLetter(i)].ID}
				storetest.CheckRow(t, fmt.Sprintf("raw candidate %d", i), c.(map[string]any), want)
			}
			// The raw format has no conversational variant.
			if rawPlain := fxExport(t, db, LabelExport{Format: LabelsRaw, Plain: true}); !reflect.DeepEqual(rawPlain, raw) {
				t.Errorf("raw plain differs from raw")
			}

			fxCheckLabelExports(t, db, l, gens, tt.dpo, tt.kto)
		})
	}
}

func TestExportLabelsWithoutSummary(t *testing.T) {
	db := storetest.Open(t)
	storetest.Import(t, db, fxExportUsers)
	plain := []Message{{Role: "user", Content: fxTaskPrompt}}
	cands, gens := fxPutPanes(t, db, "u2", "task-1", []fxPane{
		{ConditionNone, plain, "git reset --soft HEAD~1"},
		{ConditionNone, plain, "You can use git reset."},
	})
	l := storetest.Decision("bob", "u2", "task-1", "a")
	l.Candidates = cands
	l = storetest.AddLabel(t, db, l)
	// No summary: summary_id and summary_version are there, empty, so
	// that every row has the same columns of the same types.
	fxCheckLabelExports(t, db, l, gens, []fxDPO{{"a", "b", "a"}}, []fxKTO{{"a", true}, {"b", false}})
	rows := fxExport(t, db, LabelExport{Format: LabelsDPO, Plain: true})
	if len(rows) != 1 || rows[0]["prompt"] != fxTaskPrompt || rows[0]["prompt_condition"] != ConditionNone {
		t.Errorf("dpo rows %v, want one with prompt %q and prompt_condition none", rows, fxTaskPrompt)
	}
	if rows[0]["summary_id"] != "" || rows[0]["summary_version"] != 0.0 || rows[0]["system"] != "" {
		t.Errorf("dpo row without a summary: summary_id %#v, summary_version %#v, system %#v; want \"\", 0, \"\"",
			rows[0]["summary_id"], rows[0]["summary_version"], rows[0]["system"])
	}
}

func TestExportLabelsConditionComparison(t *testing.T) {
	none := []Message{{Role: "user", Content: fxTaskPrompt}}
	summary := fxSummaryMessages(fxSummaryText)
	summary2 := fxSummaryMessages("The user wants every step explained.")
	raw := []Message{{Role: "system", Content: "This user's history:\n- prefers xs[::-1]"}, {Role: "user", Content: fxTaskPrompt}}
	tests := []struct {
		name    string
		panes   []fxPane
		verdict string
		ranking []string
		dpo     []fxDPO
	}{
		{"none beats summary", []fxPane{{ConditionNone, none, "long answer"}, {ConditionSummary, summary, "short"}}, "a", nil,
			[]fxDPO{{"a", "b", "b"}}},
		{"summary beats none", []fxPane{{ConditionNone, none, "long answer"}, {ConditionSummary, summary, "short"}}, "b", nil,
			[]fxDPO{{"b", "a", "b"}}},
		{"summary first, beats none", []fxPane{{ConditionSummary, summary, "short"}, {ConditionNone, none, "long"}}, "a", nil,
			[]fxDPO{{"a", "b", "a"}}},
		{"raw beats none: the chosen input", []fxPane{{ConditionNone, none, "long"}, {ConditionRaw, raw, "short"}}, "b", nil,
			[]fxDPO{{"b", "a", "b"}}},
		{"none beats raw: the chosen input", []fxPane{{ConditionNone, none, "long"}, {ConditionRaw, raw, "short"}}, "a", nil,
			[]fxDPO{{"a", "b", "a"}}},
		{"two summaries: the chosen input", []fxPane{{ConditionSummary, summary, "x"}, {ConditionSummary, summary2, "y"}}, "b", nil,
			[]fxDPO{{"b", "a", "b"}}},
		{"raw best of three", []fxPane{{ConditionNone, none, "n"}, {ConditionSummary, summary, "s"}, {ConditionRaw, raw, "r"}}, "c", nil,
			[]fxDPO{{"c", "a", "c"}, {"c", "b", "b"}}},
		{"ranking of three conditions", []fxPane{{ConditionNone, none, "n"}, {ConditionSummary, summary, "s"}, {ConditionRaw, raw, "r"}}, "",
			[]string{"a", "c", "b"},
			[]fxDPO{{"a", "c", "a"}, {"a", "b", "b"}, {"c", "b", "b"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := storetest.Open(t)
			storetest.Import(t, db, fxExportUsers)
			cands, gens := fxPutPanes(t, db, "u1", "task-1", tt.panes)
			l := storetest.Decision("ann", "u1", "task-1", tt.verdict)
			l.Candidates, l.Ranking = cands, tt.ranking
			l.SummaryID, l.SummaryVersion = "S1", 3
			l = storetest.AddLabel(t, db, l)
			// kto: every row is prompted with its own answer's input.
			var kto []fxKTO
			if tt.ranking != nil {
				for i := range tt.panes {
					switch p := PaneLetter(i); p {
					case tt.ranking[0]:
						kto = append(kto, fxKTO{p, true})
					case tt.ranking[len(tt.ranking)-1]:
						kto = append(kto, fxKTO{p, false})
					}
				}
			} else {
				for i := range tt.panes {
					kto = append(kto, fxKTO{PaneLetter(i), PaneLetter(i) == tt.verdict})
				}
			}
			fxCheckLabelExports(t, db, l, gens, tt.dpo, kto)
		})
	}
	// One case spelled out in full, as a reader of the file would see it.
	t.Run("literal row", func(t *testing.T) {
		db := storetest.Open(t)
		storetest.Import(t, db, fxExportUsers)
		cands, _ := fxPutPanes(t, db, "u1", "task-1", []fxPane{{ConditionNone, none, "long answer"}, {ConditionSummary, summary, "short"}})
		l := storetest.Decision("ann", "u1", "task-1", "a")
		l.Candidates = cands
		l = storetest.AddLabel(t, db, l)
		rows := fxExport(t, db, LabelExport{Format: LabelsDPO, Plain: true})
		if len(rows) != 1 {
			t.Fatalf("%d rows", len(rows))
		}
		storetest.CheckRow(t, "dpo", rows[0], map[string]any{
			"prompt":   fxTaskPrompt,
			"system":   "What you know about this user:\n" + fxSummaryText,
			"chosen":   "long answer",
			"rejected": "short",
			"user":     "u1", "prompt_id": "task-1", "summary_id": "", "summary_version": 0.0,
			"chosen_backend": "backend-a", "chosen_model": "model-a", "chosen_condition": "none",
			"rejected_backend": "backend-b", "rejected_model": "model-b", "rejected_condition": "summary",
			"prompt_condition": "summary", "annotator": "ann", "label_id": l.ID,
		})
		rows = fxExport(t, db, LabelExport{Format: LabelsDPO})
		if len(rows) != 1 {
			t.Fatalf("%d rows", len(rows))
		}
		wantPrompt := []any{
			map[string]any{"role": "system", "content": "What you know about this user:\n" + fxSummaryText},
			map[string]any{"role": "user", "content": fxTaskPrompt},
		}
		if !reflect.DeepEqual(rows[0]["prompt"], wantPrompt) {
			t.Errorf("conversational prompt %#v, want %#v", rows[0]["prompt"], wantPrompt)
		}
		if want := []any{map[string]any{"role": "assistant", "content": "long answer"}}; !reflect.DeepEqual(rows[0]["chosen"], want) {
			t.Errorf("conversational chosen %#v, want %#v", rows[0]["chosen"], want)
		}
		if want := []any{map[string]any{"role": "assistant", "content": "short"}}; !reflect.DeepEqual(rows[0]["rejected"], want) {
			t.Errorf("conversational rejected %#v, want %#v", rows[0]["rejected"], want)
		}
	})
}

func TestExportLabelsAppliesRetractionsAndAmendments(t *testing.T) {
	db := storetest.Open(t)
	storetest.Import(t, db, fxExportUsers)
	msgs := fxSummaryMessages(fxSummaryText)
	cands1, gens1 := fxPutPanes(t, db, "u1", "task-1", []fxPane{{ConditionSummary, msgs, "one-a"}, {ConditionSummary, msgs, "one-b"}})
	cands2, gens2 := fxPutPanes(t, db, "u1", "task-2", []fxPane{{ConditionSummary, msgs, "two-a"}, {ConditionSummary, msgs, "two-b"}})
	label := func(annotator, promptID, verdict string, cands []Candidate) Label {
		l := storetest.Decision(annotator, "u1", promptID, verdict)
		l.Candidates = cands
		return l
	}
	l1 := storetest.AddLabel(t, db, label("ann", "task-1", "a", cands1))  // retracted below
	l2 := storetest.AddLabel(t, db, label("ann", "task-2", "a", cands2))  // amended below
	l3 := storetest.AddLabel(t, db, label("ann2", "task-1", "b", cands1)) // another annotator: kept
	storetest.AddLabel(t, db, l1.Retraction(l1.ShownAt, "test"))
	am := label("ann", "task-2", "b", cands2)
	am.Amends, am.Rationale = l2.ID, "b is right after all"
	l4 := storetest.AddLabel(t, db, am)
	l5 := storetest.AddLabel(t, db, label("ann", "task-3", VerdictTie, cands1)) // no dpo, no kto

	raw := fxExport(t, db, LabelExport{Format: LabelsRaw})
	var ids []string
	for _, r := range raw {
		ids = append(ids, r["id"].(string))
	}
	if want := []string{l3.ID, l4.ID, l5.ID}; !slices.Equal(ids, want) {
		t.Fatalf("raw ids %q, want %q (retracted %q and amended %q left out)", ids, want, l1.ID, l2.ID)
	}
	storetest.CheckRow(t, "raw amended", raw[1], fxAsJSONValue(t, l4).(map[string]any))
	if raw[1]["amends"] != l2.ID || raw[1]["rationale"] != "b is right after all" {
		t.Errorf("raw amended row: amends %v rationale %v", raw[1]["amends"], raw[1]["rationale"])
	}

	for _, conv := range []bool{false, true} {
		dpo := fxExport(t, db, LabelExport{Format: LabelsDPO, Plain: !conv})
		if len(dpo) != 2 {
			t.Fatalf("dpo: %d rows, want 2", len(dpo))
		}
		storetest.CheckRow(t, "dpo ann2", dpo[0], fxWantDPO(l3, gens1, fxDPO{"b", "a", "b"}, conv))
		storetest.CheckRow(t, "dpo amended", dpo[1], fxWantDPO(l4, gens2, fxDPO{"b", "a", "b"}, conv))

		kto := fxExport(t, db, LabelExport{Format: LabelsKTO, Plain: !conv})
		fxSameRows(t, "kto", kto, []map[string]any{
			fxWantKTO(l3, gens1, fxKTO{"a", false}, conv),
			fxWantKTO(l3, gens1, fxKTO{"b", true}, conv),
			fxWantKTO(l4, gens2, fxKTO{"a", false}, conv),
			fxWantKTO(l4, gens2, fxKTO{"b", true}, conv),
		})
	}

	// Retracting the amendment leaves nothing of task-2.
	storetest.AddLabel(t, db, l4.Retraction(l4.ShownAt, "test"))
	if rows := fxExport(t, db, LabelExport{Format: LabelsDPO}); len(rows) != 1 || rows[0]["label_id"] != l3.ID {
		t.Errorf("dpo after retracting the amendment: %v, want only %s", rows, l3.ID)
	}
}

func TestExportLabelsMissingGeneration(t *testing.T) {
	db := storetest.Open(t)
	storetest.Import(t, db, fxExportUsers)
	msgs := fxSummaryMessages(fxSummaryText)
	cands, gens := fxPutPanes(t, db, "u1", "task-1", []fxPane{{ConditionSummary, msgs, "a"}, {ConditionSummary, msgs, "b"}})
	cands[1].GenerationID = "vanished-generation"
	l := storetest.Decision("ann", "u1", "task-1", "a")
	l.Candidates = cands
	l = storetest.AddLabel(t, db, l)
	cands2, _ := fxPutPanes(t, db, "u1", "task-2", []fxPane{{ConditionSummary, msgs, "c"}, {ConditionSummary, msgs, "d"}})
	ok := storetest.Decision("ann", "u1", "task-2", "b")
	ok.Candidates = cands2
	storetest.AddLabel(t, db, ok)
	_ = gens

	// The label that cannot be completed is left out and counted; the
	// other is written.
	for _, opt := range []LabelExport{{Format: LabelsDPO}, {Format: LabelsDPO, Plain: true}, {Format: LabelsKTO}} {
		var buf bytes.Buffer
		rep, err := ExportLabels(db, &buf, opt)
		if err != nil {
			t.Fatalf("%+v: %v", opt, err)
		}
		if rep.LeftOut[LeftOutNoAnswer] != 1 || rep.Decisions != 2 {
			t.Errorf("%+v: left out %v of %d decisions, want 1 missing_answer of 2", opt, rep.LeftOut, rep.Decisions)
		}
		if strings.Contains(buf.String(), l.ID) || rep.Rows == 0 {
			t.Errorf("%+v: %d rows: %s", opt, rep.Rows, buf.String())
		}
	}
	// raw does not need the generations.
	if rows := fxExport(t, db, LabelExport{Format: LabelsRaw}); len(rows) != 2 || rows[0]["id"] != l.ID {
		t.Errorf("raw: %v", rows)
	}
}

func TestExportLabelsUnknownFormat(t *testing.T) {
	db := storetest.Open(t)
	for _, f := range []string{"", "DPO", "sft", "jsonl"} {
		var buf bytes.Buffer
		rep, err := ExportLabels(db, &buf, LabelExport{Format: f})
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("unknown label format %q", f)) || rep.Rows != 0 || buf.Len() != 0 {
			t.Errorf("format %q: n %d err %v output %q", f, rep.Rows, err, buf.String())
		}
	}
	// An empty database exports nothing, without error.
	for _, f := range []string{LabelsRaw, LabelsDPO, LabelsKTO} {
		if rows := fxExport(t, db, LabelExport{Format: f}); len(rows) != 0 {
			t.Errorf("%s of an empty database: %v", f, rows)
		}
	}
}

// ---- ExportSummaries ---------------------------------------------------------

const fxSummaryExportUsers = `{"user": "u1", "kind": "pair", "id": "h1", "prompt": "Q1", "chosen": "short", "rejected": "long"}
{"user": "u2", "kind": "pair", "id": "h1", "prompt": "Q1", "chosen": "short", "rejected": "long"}
{"user": "u3", "kind": "text", "id": "c1", "text": "Keep it brief.", "source": "comment"}
{"user": "u4", "kind": "pair", "id": "h1", "prompt": "Q1", "chosen": "short", "rejected": "long"}
{"user": "u5", "kind": "profile", "id": "profile", "text": "Engineer."}
{"user": "u6", "kind": "pair", "id": "h1", "prompt": "Q1", "chosen": "short", "rejected": "long"}
{"user": "u7", "kind": "pair", "id": "h1", "prompt": "Q1", "chosen": "short", "rejected": "long"}
{"user": "u1", "kind": "persona", "id": "persona", "text": "Tom."}
{"user": "u1", "kind": "task", "id": "t1", "prompt": "Q2"}
`

// fxSummarizerInput names the user and the signals it was given, in order,
// and fails if it is given another user's signal.
func fxSummarizerInput(user string, signals []Signal) ([]Message, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "summarize %s:", user)
	for _, s := range signals {
		if s.User != user {
			return nil, fmt.Errorf("signal %s of %q given for %q", s.ID, s.User, user)
		}
		fmt.Fprintf(&b, " %s/%s", s.Kind, s.ID)
	}
	return []Message{{Role: "user", Content: b.String()}}, nil
}

func TestExportSummaries(t *testing.T) {
	db := storetest.Open(t)
	storetest.Import(t, db, fxSummaryExportUsers)
	add := func(user, text, source string, parent int) Summary {
		return storetest.AddSummary(t, db, Summary{User: user, Text: text, Source: source, Parent: parent})
	}
	// A model summary stores what the summarizer was sent: the prompt of
	// the rows made from the human edits of it.
	addSent := func(user, text, source, input string) Summary {
		return storetest.AddSummary(t, db, Summary{User: user, Text: text, Source: source, Input: input})
	}
	// u1: human → human → model chain, past a newer model version.
	u1m1 := addSent("u1", "Prefers short answers.", "ollama/llama3", "sent for u1 (budget 2000)")
	add("u1", "Prefers terse answers.", "openai/gpt-4o", 0)
	add("u1", "Prefers short, exact answers.", SourceHuman, 1)
	u1h4 := add("u1", "Prefers one-line answers.", SourceHuman, 3)
	// u2: no human version.
	add("u2", "Likes detail.", "ollama/llama3", 0)
	add("u2", "Likes more detail.", "ollama/llama3", 1)
	// u3: a human version with no parent.
	u3h1 := add("u3", "Written from scratch.", SourceHuman, 0)
	// u4: the human edit replaced the heuristic baseline, not the newer model version.
	u4b1 := add("u4", "Chooses shorter answers 4 of 4 times.", SourceHeuristic, 0)
	add("u4", "Likes brevity.", "ollama/llama3", 0)
	u4h3 := add("u4", "Likes brevity above all.", SourceHuman, 1)
	// u5: a model version after the human one: the human one is exported.
	u5m1 := addSent("u5", "An engineer.", "ollama/llama3", "sent for u5")
	u5h2 := add("u5", "An engineer who likes examples.", SourceHuman, 1)
	add("u5", "Regenerated.", "ollama/llama3", 2)
	// u6: the human "edit" kept the text: no pair.
	add("u6", "Same text.", "ollama/llama3", 0)
	u6h2 := add("u6", "Same text.", SourceHuman, 1)
	// u7: human edits all the way down: no machine ancestor.
	add("u7", "First draft.", SourceHuman, 0)
	u7h2 := add("u7", "Second draft.", SourceHuman, 1)

	export := func(format string) []map[string]any {
		t.Helper()
		var buf bytes.Buffer
		rep, err := ExportSummaries(db, &buf, SummaryExport{Format: format, Input: fxSummarizerInput})
		if err != nil {
			t.Fatalf("ExportSummaries(%s): %v", format, err)
		}
		return storetest.Rows(t, buf.Bytes(), rep.Rows)
	}
	// The prompt comes from the stored input of the model summary the
	// human one descends from (stored), or is built now (rebuilt).
	promptOf := func(from Summary, rebuilt string) (prompt, source, id string) {
		if from.Input != "" {
			return from.Input, PromptStored, from.ID
		}
		return rebuilt, PromptRebuilt, ""
	}
	sft := func(s, from Summary, rebuilt string) map[string]any {
		prompt, source, id := promptOf(from, rebuilt)
		return map[string]any{"prompt": prompt, "completion": s.Text, "system": "", "user": s.User,
			"summary_id": s.ID, "summary_version": float64(s.Version), "prompt_source": source, "prompt_summary_id": id}
	}
	wantSFT := []map[string]any{
		sft(u1h4, u1m1, ""),
		sft(u3h1, Summary{}, "summarize u3: text/c1"),
		sft(u4h3, u4b1, "summarize u4: pair/h1"),
		sft(u5h2, u5m1, ""),
		sft(u6h2, Summary{}, "summarize u6: pair/h1"),
		sft(u7h2, Summary{}, "summarize u7: pair/h1"),
	}
	if rows := export(SummariesSFT); len(rows) != len(wantSFT) {
		t.Errorf("sft: %d rows, want %d: %v", len(rows), len(wantSFT), rows)
	} else {
		for i := range wantSFT {
			storetest.CheckRow(t, fmt.Sprintf("sft row %d", i), rows[i], wantSFT[i])
		}
	}

	pair := func(chosen, rejected Summary, rebuilt string) map[string]any {
		prompt, source, id := promptOf(rejected, rebuilt)
		return map[string]any{"prompt": prompt, "chosen": chosen.Text, "rejected": rejected.Text, "system": "", "user": chosen.User,
			"chosen_summary_id": chosen.ID, "chosen_version": float64(chosen.Version),
			"rejected_summary_id": rejected.ID, "rejected_version": float64(rejected.Version),
			"rejected_source": rejected.Source, "prompt_source": source, "prompt_summary_id": id}
	}
	wantPairs := []map[string]any{
		pair(u1h4, u1m1, ""),
		pair(u4h3, u4b1, "summarize u4: pair/h1"),
		pair(u5h2, u5m1, ""),
	}
	if rows := export(SummariesPairs); len(rows) != len(wantPairs) {
		t.Errorf("pairs: %d rows, want %d: %v", len(rows), len(wantPairs), rows)
	} else {
		for i := range wantPairs {
			storetest.CheckRow(t, fmt.Sprintf("pairs row %d", i), rows[i], wantPairs[i])
		}
	}
}

func TestExportSummariesErrors(t *testing.T) {
	db := storetest.Open(t)
	storetest.Import(t, db, fxSummaryExportUsers)
	var buf bytes.Buffer
	for _, f := range []string{"", "dpo", "SFT"} {
		if rep, err := ExportSummaries(db, &buf, SummaryExport{Format: f, Input: fxSummarizerInput}); err == nil || rep.Rows != 0 ||
			!strings.Contains(err.Error(), fmt.Sprintf("unknown summary format %q", f)) {
			t.Errorf("format %q: n %d err %v", f, rep.Rows, err)
		}
	}
	// Nothing to export.
	for _, f := range []string{SummariesSFT, SummariesPairs} {
		buf.Reset()
		if rep, err := ExportSummaries(db, &buf, SummaryExport{Format: f, Input: fxSummarizerInput}); rep.Rows != 0 || err != nil || buf.Len() != 0 {
			t.Errorf("%s of a database without summaries: n %d err %v output %q", f, rep.Rows, err, buf.String())
		}
	}
	// The summarizer input failing fails the export, naming the user.
	storetest.AddSummary(t, db, Summary{User: "u3", Text: "model", Source: "m"})
	storetest.AddSummary(t, db, Summary{User: "u3", Text: "human", Source: SourceHuman, Parent: 1})
	boom := errors.New("template broken")
	for _, f := range []string{SummariesSFT, SummariesPairs} {
		buf.Reset()
		_, err := ExportSummaries(db, &buf, SummaryExport{Format: f, Input: func(string, []Signal) ([]Message, error) { return nil, boom }})
		if !errors.Is(err, boom) || !strings.Contains(err.Error(), `"u3"`) {
			t.Errorf("%s with a failing summarizer input: err %v", f, err)
		}
	}
}

// A user with a human summary but nothing a summarizer may see gives no
// row; the others are exported.
func TestExportSummariesSkipsUsersWithoutHistory(t *testing.T) {
	db := storetest.Open(t)
	in := `{"user":"ann","kind":"pair","prompt":"p","chosen":"a","rejected":"b"}` + "\n" + `{"user":"zed","kind":"persona","text":"secret"}` + "\n"
	storetest.Import(t, db, in)
	for _, u := range []string{"ann", "zed"} {
		if _, err := db.AddSummary(Summary{User: u, Text: "likes it short", Source: SourceHuman}); err != nil {
			t.Fatal(err)
		}
	}
	input := func(user string, signals []Signal) ([]Message, error) {
		for _, s := range signals {
			if s.Kind == KindPair && s.Split == SplitHistory {
				return []Message{{Role: "user", Content: "input of " + user}}, nil
			}
		}
		return nil, fmt.Errorf("user %q has %w", user, ErrNoHistory)
	}
	var buf bytes.Buffer
	rep, err := ExportSummaries(db, &buf, SummaryExport{Format: SummariesSFT, Input: input})
	if err != nil || rep.Rows != 1 || rep.Users != 2 || rep.LeftOut[LeftOutNoHistory] != 1 {
		t.Fatalf("report %+v, err = %v; want 1 row of 2 users, 1 without history", rep, err)
	}
	if !strings.Contains(buf.String(), `"user":"ann"`) || strings.Contains(buf.String(), "zed") {
		t.Errorf("output = %s", buf.String())
	}
}

// Summary exports follow this database's current summary: a human
// version a merge added after it is not exported in its place, and pairs
// still come from this database's own edit.
func TestMergeExportsFollowTheCurrentSummary(t *testing.T) {
	dir := t.TempDir()
	ann, bob := storetest.OpenAt(t, filepath.Join(dir, "ann.db")), storetest.OpenAt(t, filepath.Join(dir, "bob.db"))
	storetest.Import(t, ann, fxSummaryExportUsers)
	storetest.Import(t, bob, fxSummaryExportUsers)
	base := Summary{User: "u1", Text: "Prefers short answers.", Source: SourceHeuristic}
	annBase := storetest.AddSummary(t, ann, base)
	annEdit := storetest.AddSummary(t, ann, Summary{User: "u1", Text: "Short, with code.", Source: SourceHuman, Parent: 1})
	storetest.AddSummary(t, bob, Summary{User: "u1", Text: "Bob wrote this by hand.", Source: SourceHuman})
	bob.Close()
	if _, err := ann.Merge(context.Background(), bob.Path()); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		format string
		want   map[string]any
	}{
		{SummariesSFT, map[string]any{"completion": annEdit.Text, "summary_version": float64(2)}},
		{SummariesPairs, map[string]any{"chosen": annEdit.Text, "rejected": annBase.Text, "chosen_version": float64(2)}},
	} {
		var buf bytes.Buffer
		rep, err := ExportSummaries(ann, &buf, SummaryExport{Format: tt.format, Input: fxSummarizerInput})
		if err != nil {
			t.Fatal(err)
		}
		rows := storetest.Rows(t, buf.Bytes(), rep.Rows)
		if len(rows) != 1 {
			t.Fatalf("%s: %d rows, want 1: %v", tt.format, len(rows), rows)
		}
		for k, v := range tt.want {
			if rows[0][k] != v {
				t.Errorf("%s: %s = %v, want %v", tt.format, k, rows[0][k], v)
			}
		}
	}
}
