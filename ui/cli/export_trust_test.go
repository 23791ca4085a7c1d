package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
)

// labelReplayed labels n held-out pairs of the demo users the way the
// Compare screen does with the replay generator: both responses generated
// by the engine's replay backend, the first preferred, committed by each
// annotator in turn.
func labelReplayed(t *testing.T, path string, n int, annotators ...string) {
	t.Helper()
	db := storetest.DemoDBAt(t, path)
	defer db.Close()
	eng := engine.New(db, engine.Config{}, engine.Options{})
	for i, user := range demoUsers[:n] {
		var cands []store.Candidate
		for slot, which := range []string{engine.ReplayChosen, engine.ReplayRejected} {
			g, _, err := eng.Generate(context.Background(), engine.GenerateRequest{User: user, PromptID: "ho1", Backend: engine.ReplayName, Replay: which}, nil)
			if err != nil {
				t.Fatal(err)
			}
			cands = append(cands, store.Candidate{Pane: store.PaneLetter(slot), Slot: slot, Backend: g.Backend, Model: g.Model,
				Condition: store.ConditionNone, GenerationID: g.ID, Replay: which})
		}
		for j, ann := range annotators {
			verdict := "a"
			if j == 1 && i%2 == 1 { // the second annotator disagrees on every other item
				verdict = "b"
			}
			_, err := db.AddLabel(store.Label{Kind: store.LabelDecision, User: user, PromptID: "ho1", Candidates: cands,
				Verdict: verdict, Annotator: ann, ShownAt: time.Now()}, nil)
			if err != nil {
				t.Fatal(err)
			}
		}
	}
}

// The repro of the empty prompts: replayed answers labeled, then exported
// as dpo and kto, conversational and plain. Every row has the prompt the
// answer was written for.
func TestExportReplayedLabelsHaveTheirPrompt(t *testing.T) {
	e := newTestEnv(t)
	db := e.path("d.db")
	labelReplayed(t, db, 4, "kim")
	prompts := map[string]string{}
	for _, row := range parseJSONL(t, e.mustRun(ExitOK, "--db", db, "export", "users").stdout) {
		if row["kind"] == "pair" && row["split"] == "heldout" && row["id"] == "ho1" {
			prompts[row["user"].(string)] = row["prompt"].(string)
		}
	}
	for _, args := range [][]string{
		{"--format", "dpo"}, {"--format", "dpo", "--plain"}, {"--format", "kto"}, {"--format", "kto", "--plain"},
	} {
		r := e.mustRun(ExitOK, append([]string{"--db", db, "export", "labels"}, args...)...)
		rows := parseJSONL(t, r.stdout)
		if len(rows) == 0 {
			t.Fatalf("%q: no rows; stderr %s", args, r.stderr)
		}
		for i, row := range rows {
			want := prompts[row["user"].(string)]
			switch p := row["prompt"].(type) {
			case string:
				if p != want || want == "" {
					t.Errorf("%q row %d: prompt %q, want %q", args, i, p, want)
				}
			case []any:
				if got := messages(t, "prompt", p); !slices.Equal(got, []store.Message{{Role: "user", Content: want}}) {
					t.Errorf("%q row %d: prompt %v, want the held-out prompt as one user turn", args, i, got)
				}
			default:
				t.Errorf("%q row %d: prompt %#v", args, i, row["prompt"])
			}
		}
		if !strings.Contains(r.stderr, "0 without the prompt sent") {
			t.Errorf("%q: stderr %q", args, r.stderr)
		}
	}
}

func TestExportReportJSON(t *testing.T) {
	e := newTestEnv(t)
	db := e.path("d.db")
	labelReplayed(t, db, 4, "kim", "lee")
	out := e.path("kto.jsonl")
	r := e.mustRun(ExitOK, "--db", db, "export", "labels", "--format", "kto", "--json", "-o", out)
	if strings.Count(r.stdout, "\n") != 1 || r.stderr != "" { // with -o FILE the report is on stdout
		t.Fatalf("--json: stdout %q, want one line; stderr %q", r.stdout, r.stderr)
	}
	var rep map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("--json: %v: %s", err, r.stdout)
	}
	want := map[string]any{
		"export": "labels", "format": "kto", "output": out, "rows": 16.0, "decisions": 8.0,
		"annotators":        map[string]any{"kim": 4.0, "lee": 4.0},
		"conflicting_items": 2.0, "resolve": "all", "seed": 1.0,
		"left_out": map[string]any{"tie": 0.0, "all_bad": 0.0, "skipped": 0.0, "no_prompt": 0.0, "missing_answer": 0.0, "conflicting_annotators": 0.0},
	}
	for k, v := range want {
		if fmt.Sprint(rep[k]) != fmt.Sprint(v) {
			t.Errorf("report %s = %v, want %v", k, rep[k], v)
		}
	}
	if len(rep) != len(want) {
		t.Errorf("report has %d keys, want %d: %v", len(rep), len(want), rep)
	}
}

func TestExportAnnotatorsAndResolve(t *testing.T) {
	e := newTestEnv(t)
	db := e.path("d.db")
	labelReplayed(t, db, 4, "kim", "lee") // lee disagrees on 2 of the 4 items
	tests := []struct {
		args   []string
		rows   int
		report []string
	}{
		{nil, 8, []string{"8 decision(s) of 2 annotator(s): kim 4, lee 4", "2 item(s) decided differently by several annotators: every decision is exported"}},
		{[]string{"--annotators", "lee"}, 4, []string{"4 decision(s) of 1 annotator(s): lee 4"}},
		{[]string{"--annotators", "all"}, 8, nil},
		{[]string{"--annotators", "kim,nobody"}, 4, []string{`no current decisions by "nobody"`}},
		{[]string{"--resolve", "majority"}, 2, []string{"2 conflicting annotators", "resolved by majority"}},
		{[]string{"--resolve", "drop"}, 2, []string{"2 conflicting annotators"}},
		{[]string{"--resolve", "newest"}, 4, []string{"0 conflicting annotators", "resolved by newest"}},
	}
	for _, tt := range tests {
		r := e.mustRun(ExitOK, append([]string{"--db", db, "export", "labels", "--format", "dpo"}, tt.args...)...)
		if rows := parseJSONL(t, r.stdout); len(rows) != tt.rows {
			t.Errorf("%q: %d rows, want %d", tt.args, len(rows), tt.rows)
		}
		for _, want := range tt.report {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("%q: report %q lacks %q", tt.args, r.stderr, want)
			}
		}
	}
}

// Two exports of one database are the same file; another seed orders the
// kto rows otherwise.
func TestExportIsReproducible(t *testing.T) {
	e := newTestEnv(t)
	db := e.path("d.db")
	labelReplayed(t, db, 8, "kim")
	kto := func(args ...string) string {
		return e.mustRun(ExitOK, append([]string{"--db", db, "export", "labels", "--format", "kto"}, args...)...).stdout
	}
	first := kto()
	if kto() != first || kto("--seed", "1") != first {
		t.Errorf("two kto exports with the default seed differ")
	}
	if kto("--seed", "2") == first {
		t.Errorf("--seed 2 gives the default order")
	}
	r := e.mustRun(ExitOK, "--db", db, "export", "labels", "--format", "kto")
	if !strings.Contains(r.stderr, "rows shuffled with seed 1") {
		t.Errorf("stderr %q does not name the seed", r.stderr)
	}
}

func TestExportUsageErrors(t *testing.T) {
	e := newTestEnv(t)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"labels", "--format", "dpo", "--plain", "--conversational"}, "opposites"},
		{[]string{"labels", "--plain"}, "--plain applies to labels in dpo or kto"},
		{[]string{"users", "--plain"}, "--plain applies"},
		{[]string{"summaries", "--plain", "--conversational"}, "opposites"},
		{[]string{"users", "--conversational"}, "--conversational applies"},
		{[]string{"labels", "--format", "dpo", "--seed", "5"}, "--seed orders"},
		{[]string{"summaries", "--annotators", "kim"}, "apply to labels only"},
		{[]string{"labels", "--resolve", "vote"}, `--resolve "vote"`},
		{[]string{"labels", "--annotators", "all,kim"}, "--annotators is all, or a list"},
	} {
		r := e.mustRun(ExitUsage, append([]string{"--db", e.path("x.db"), "export"}, tt.args...)...)
		if !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%q: stderr %q, want %q", tt.args, r.stderr, tt.want)
		}
	}
}
