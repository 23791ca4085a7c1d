package trl

import (
	"bytes"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/popi-tui/popi-tui/store"
)

// fxSummarizerRender words a summarizer prompt from the history a test
// can read back: the ids of the signals it may see (never a held-out pair
// or a task). A user with none has store.ErrNoHistory.
func fxSummarizerRender(u UserData) (Rendered, error) {
	var seen []string
	for _, s := range u.Signals {
		if (s.Kind == store.KindPair && s.Split == store.SplitHistory) || s.Kind == store.KindText || s.Kind == store.KindProfile {
			seen = append(seen, s.ID)
		}
	}
	if len(seen) == 0 {
		return Rendered{}, fmt.Errorf("user %q has %w", u.ID, store.ErrNoHistory)
	}
	return Rendered{Messages: []store.Message{{Role: "system", Content: "SUM"}, {Role: "user", Content: "history " + strings.Join(seen, ",")}},
		TemplateSet: "set-2"}, nil
}

func fxGRPORow(prompt any, question, chosen, rejected, user, dataset, id string) map[string]any {
	return map[string]any{"prompt": prompt, "question": question, "chosen": chosen, "rejected": rejected,
		"user": user, "dataset": dataset, "prompt_id": id, "template_set": "set-2"}
}

func TestExportSummarizer(t *testing.T) {
	ann, bob := fxTrainingUsers()
	ann.Signals = append(ann.Signals, fxPair("ho2", store.SplitHeldout, "Q2", "W2", "L2"))
	// cy has held-out pairs and nothing the summarizer may see; dee has no
	// held-out pair, so she is never rendered.
	cy := UserData{ID: "cy", Signals: []store.Signal{fxPair("c1", store.SplitHeldout, "CQ", "CW", "CL"), {ID: "t", Kind: store.KindTask, Prompt: "T"}}}
	dee := UserData{ID: "dee", Signals: []store.Signal{fxPair("d1", store.SplitHistory, "DQ", "DW", "DL")}}
	plainRow := func(prompt, question, chosen, rejected, user, dataset, id string) map[string]any {
		r := fxGRPORow(prompt, question, chosen, rejected, user, dataset, id)
		r["system"] = "SUM"
		return r
	}
	tests := []struct {
		name  string
		plain bool
		want  []map[string]any
	}{
		{"conversational", false, []map[string]any{
			fxGRPORow(fxMsgs("SUM", "history h1,h2"), "Q1", "short <ok> & done", "long", "ann", "demo", "ho1"),
			fxGRPORow(fxMsgs("SUM", "history h1,h2"), "Q2", "W2", "L2", "ann", "demo", "ho2"),
			fxGRPORow(fxMsgs("SUM", "history b1"), "BQ", "BW", "BL", "bob", "", "bo1"),
		}},
		{"plain", true, []map[string]any{
			plainRow("history h1,h2", "Q1", "short <ok> & done", "long", "ann", "demo", "ho1"),
			plainRow("history h1,h2", "Q2", "W2", "L2", "ann", "demo", "ho2"),
			plainRow("history b1", "BQ", "BW", "BL", "bob", "", "bo1"),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rendered := map[string]int{}
			render := func(u UserData) (Rendered, error) {
				rendered[u.ID]++
				return fxSummarizerRender(u)
			}
			var buf bytes.Buffer
			rep, err := ExportSummarizer(memUsers(ann, bob, cy, dee), &buf, SummarizerExport{Format: SummarizerGRPO, Plain: tt.plain, Render: render})
			if err != nil {
				t.Fatal(err)
			}
			fxCheckRows(t, buf.Bytes(), rep.Rows, tt.want)
			want := SummarizerReport{Rows: 3, Pairs: 4, Users: 2}
			if rep.Rows != want.Rows || rep.Pairs != want.Pairs || rep.Users != want.Users || !maps.Equal(rep.LeftOut, map[string]int{LeftOutNoHistory: 1}) {
				t.Errorf("report %+v, want %+v with 1 left out for no history", rep, want)
			}
			// One prompt per user, whatever their number of pairs.
			if !maps.Equal(rendered, map[string]int{"ann": 1, "bob": 1, "cy": 1}) {
				t.Errorf("rendered %v, want ann, bob and cy once each", rendered)
			}
		})
	}
}

func TestExportSummarizerErrors(t *testing.T) {
	ann, _ := fxTrainingUsers()
	tests := []struct {
		name string
		opt  SummarizerExport
		want string
	}{
		{"unknown format", SummarizerExport{Format: "dpo", Render: fxSummarizerRender}, `unknown summarizer format "dpo"`},
		{"no renderer", SummarizerExport{Format: SummarizerGRPO}, "no renderer"},
		{"render fails", SummarizerExport{Format: SummarizerGRPO, Render: func(UserData) (Rendered, error) {
			return Rendered{}, fmt.Errorf("custom.toml:3: [summarizer] user: bad")
		}}, `user "ann": custom.toml:3: [summarizer] user: bad`},
		{"empty prompt", SummarizerExport{Format: SummarizerGRPO, Render: func(UserData) (Rendered, error) { return Rendered{}, nil }},
			`user "ann": the rendered prompt has no turn to answer`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			_, err := ExportSummarizer(memUsers(ann), &buf, tt.opt)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if buf.Len() != 0 {
				t.Errorf("a failed export wrote rows: %s", buf.String())
			}
		})
	}
}
