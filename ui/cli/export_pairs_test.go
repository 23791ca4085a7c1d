package cli

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
)

// The training-loop exports on the demo users: export pairs and export
// summarizer (the trl package tests their rows in depth).

// pairsDB is the demo database with a summary for terse-tom and a
// human-edited one for bullet-ben (his current is version 2), closed for
// commands to open; it returns the database and terse-tom's held-out pair.
func pairsDB(t *testing.T, e *testEnv) (string, store.Signal) {
	t.Helper()
	path := e.path("pairs.db")
	db := storetest.DemoDBAt(t, path)
	storetest.AddSummary(t, db, store.Summary{User: "terse-tom", Text: "Wants one line.", Source: "m/m"})
	storetest.AddSummary(t, db, store.Summary{User: "bullet-ben", Text: "Bullets.", Source: "m/m"})
	storetest.AddSummary(t, db, store.Summary{User: "bullet-ben", Text: "Bullets, bold keywords.", Source: store.SourceHuman, Parent: 1})
	signals, err := db.Signals("terse-tom")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return path, signals[slices.IndexFunc(signals, func(s store.Signal) bool { return s.ID == "ho1" })]
}

// builtinSummaryPrompt is the built-in set's generator turn under the
// summary condition, written out.
func builtinSummaryPrompt(summary, prompt string) string {
	return "# What this user prefers\n\n" + summary + "\n\n# Your task\n\nAnswer the prompt below the way this user would prefer, " +
		"following the preferences above. Write only the answer.\n\n# Prompt\n\n" + prompt
}

func userTurn(content string) []any {
	return []any{map[string]any{"role": "user", "content": content}}
}

func assistantTurn(content string) []any {
	return []any{map[string]any{"role": "assistant", "content": content}}
}

// sameColumns checks that every row has the first row's keys, each with a
// value of the same JSON type.
func sameColumns(t *testing.T, rows []map[string]any) {
	t.Helper()
	for i, r := range rows {
		if !slices.Equal(storetest.Keys(r), storetest.Keys(rows[0])) {
			t.Fatalf("row %d has keys %v, row 0 %v", i, storetest.Keys(r), storetest.Keys(rows[0]))
		}
		for k, v := range r {
			if reflect.TypeOf(v) != reflect.TypeOf(rows[0][k]) {
				t.Fatalf("row %d: %s is a %T, in row 0 a %T", i, k, v, rows[0][k])
			}
		}
	}
}

// rowOf finds the row of a user's pair.
func rowOf(t *testing.T, rows []map[string]any, user, id string, more ...any) map[string]any {
	t.Helper()
	for _, r := range rows {
		if r["user"] == user && r["prompt_id"] == id && (len(more) < 2 || r[more[0].(string)] == more[1]) {
			return r
		}
	}
	t.Fatalf("no row of %s/%s %v among %d", user, id, more, len(rows))
	return nil
}

func TestExportPairsCommand(t *testing.T) {
	e := newTestEnv(t)
	m := newModelServer(t)
	db, tom := pairsDB(t, e)
	cfg := e.withSetConfig(m.URL + "/v1")
	tomPrompt := builtinSummaryPrompt("Wants one line.", tomHeldout)
	about := func(row map[string]any, split, condition, summaryID string, version float64, set string) map[string]any {
		for k, v := range map[string]any{"dataset": "demo", "split": split, "condition": condition,
			"summary_id": summaryID, "summary_version": version, "template_set": set} {
			row[k] = v
		}
		return row
	}
	tests := []struct {
		name   string
		args   []string
		rows   int
		stderr []string
		check  func(t *testing.T, rows []map[string]any)
	}{
		{"dpo, summary, held-out", nil, 3, []string{
			"pairs (dpo): 3 row(s) of 2 user(s), from 11 held-out pair(s) under the summary condition\n",
			"  prompts worded by the configuration's template set builtin-popi-2 (no model generator is configured)\n",
			"  left out: 8 without a summary, 0 no history to build the prompt from\n",
			"  8 pair(s) of users without a summary: popi-tui infer makes them",
		}, func(t *testing.T, rows []map[string]any) {
			r := rowOf(t, rows, "terse-tom", "ho1")
			storetest.CheckRow(t, "terse-tom", r, about(map[string]any{"prompt": userTurn(tomPrompt), "chosen": assistantTurn("`sudo lsof -i :8080`"),
				"rejected": assistantTurn(tom.Rejected), "user": "terse-tom", "prompt_id": "ho1"}, "heldout", "summary", summaryID(t, rows, "terse-tom"), 1, "builtin-popi-2"))
			ben := rowOf(t, rows, "bullet-ben", "ho2")
			if got := ben["prompt"]; !reflect.DeepEqual(got, userTurn(builtinSummaryPrompt("Bullets, bold keywords.", "Why is the sky blue?"))) || ben["summary_version"] != 2.0 {
				t.Errorf("bullet-ben's row is not worded with his current summary: %v", ben)
			}
		}},
		{"plain", []string{"--plain"}, 3, []string{"pairs (dpo): 3 row(s)"}, func(t *testing.T, rows []map[string]any) {
			r := rowOf(t, rows, "terse-tom", "ho1")
			if r["prompt"] != tomPrompt || r["system"] != "" || r["chosen"] != "`sudo lsof -i :8080`" || r["rejected"] != tom.Rejected {
				t.Errorf("plain row %v", r)
			}
		}},
		{"kto", []string{"--format", "kto", "--seed", "3"}, 6, []string{"pairs (kto): 6 row(s) of 2 user(s)", "  rows shuffled with seed 3 (--seed)\n"},
			func(t *testing.T, rows []map[string]any) {
				for label, answer := range map[bool]string{true: "`sudo lsof -i :8080`", false: tom.Rejected} {
					r := rowOf(t, rows, "terse-tom", "ho1", "label", label)
					if !reflect.DeepEqual(r["completion"], assistantTurn(answer)) || !reflect.DeepEqual(r["prompt"], userTurn(tomPrompt)) {
						t.Errorf("kto row %v", r)
					}
				}
			}},
		// A history pair's prompt shows the rest of the history: five
		// pairs, not six.
		{"raw, history, a backend's set", []string{"--config", cfg, "--condition", "raw", "--split", "history"}, 48, []string{
			"pairs (dpo): 48 row(s) of 8 user(s), from 48 history pair(s) under the raw condition\n",
			"  prompts worded as generator fake words them: template set cli-1\n",
			"  left out: 0 without a summary, 0 no history to build the prompt from\n",
		}, func(t *testing.T, rows []map[string]any) {
			for id, prompt := range map[string]string{"h1": "How do I reverse a string in Python?", "h6": "How many tablespoons are in a cup?"} {
				r := rowOf(t, rows, "terse-tom", id)
				if !reflect.DeepEqual(r["prompt"], userTurn("[1][2][3][4][5] Q="+prompt)) || r["template_set"] != "cli-1" || r["summary_id"] != "" || r["split"] != "history" {
					t.Errorf("%s: %v", id, r)
				}
			}
		}},
		{"none, every pair", []string{"--condition", "none", "--split", "all"}, 59, []string{"pairs (dpo): 59 row(s) of 8 user(s), from 59 pair(s) under the none condition"},
			func(t *testing.T, rows []map[string]any) {
				storetest.CheckRow(t, "terse-tom", rowOf(t, rows, "terse-tom", "ho1"), about(map[string]any{"prompt": userTurn(tomHeldout),
					"chosen": assistantTurn("`sudo lsof -i :8080`"), "rejected": assistantTurn(tom.Rejected), "user": "terse-tom", "prompt_id": "ho1"},
					"heldout", "none", "", 0, "builtin-popi-2"))
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.mustRun(ExitOK, append([]string{"export", "pairs", "--db", db}, tt.args...)...)
			rows := storetest.Rows(t, []byte(r.stdout), tt.rows)
			sameColumns(t, rows)
			for _, want := range tt.stderr {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
				}
			}
			tt.check(t, rows)
		})
	}
}

// summaryID is the summary_id of a user's rows.
func summaryID(t *testing.T, rows []map[string]any, user string) string {
	t.Helper()
	id, _ := rowOf(t, rows, user, "ho1")["summary_id"].(string)
	if id == "" {
		t.Fatalf("%s's row names no summary", user)
	}
	return id
}

// The report as JSON, and an export to a file.
func TestExportPairsReportAndFile(t *testing.T) {
	e := newTestEnv(t)
	db, _ := pairsDB(t, e)
	out := e.path("kto.jsonl")
	r := e.mustRun(ExitOK, "export", "pairs", "--db", db, "--format", "kto", "--json", "-o", out)
	var rep map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.stderr != "" {
		t.Fatalf("stdout %q is not one JSON object (%v); stderr %q", r.stdout, err, r.stderr)
	}
	want := map[string]any{"export": "pairs", "format": "kto", "output": out, "rows": 6.0, "pairs": 11.0, "users": 2.0,
		"left_out": map[string]any{"no_summary": 8.0, "no_history": 0.0}, "condition": "summary", "split": "heldout", "seed": 1.0,
		"backend": "", "template_set": "builtin-popi-2"}
	storetest.CheckRow(t, "report", rep, want)
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	storetest.Rows(t, data, 6)
}

func TestExportSummarizerCommand(t *testing.T) {
	e := newTestEnv(t)
	m := newModelServer(t)
	db, tom := pairsDB(t, e)
	cfg := e.withSetConfig(m.URL + "/v1")
	// The prompt is what the summarizer would be sent now: prompts show's.
	shown := parseShown(t, e.mustRun(ExitOK, "prompts", "show", "--db", db, "--user", "terse-tom").stdout)
	var builtin []any
	for _, m := range shown.Messages {
		builtin = append(builtin, map[string]any{"role": m.Role, "content": m.Content})
	}
	row := func(prompt any, set string) map[string]any {
		return map[string]any{"prompt": prompt, "question": tomHeldout, "chosen": "`sudo lsof -i :8080`", "rejected": tom.Rejected,
			"user": "terse-tom", "dataset": "demo", "prompt_id": "ho1", "template_set": set}
	}
	plain := row(tomPairs+tomText+" P="+tomProfile, "cli-1")
	plain["system"] = "SYS terse-tom"
	tests := []struct {
		name   string
		args   []string
		stderr []string
		want   map[string]any
	}{
		{"the configuration's set", nil, []string{
			"summarizer (grpo): 11 row(s) of 8 user(s), one per held-out pair (11)\n",
			"  prompts worded by the configuration's template set builtin-popi-2 (no model summarizer is configured)\n",
			"  left out: 0 no history to build the prompt from\n",
		}, row(builtin, "builtin-popi-2")},
		{"a backend's set", []string{"--config", cfg, "--backend", "fake"}, []string{"  prompts worded as summarizer fake words them: template set cli-1\n"},
			row([]any{map[string]any{"role": "system", "content": "SYS terse-tom"}, map[string]any{"role": "user", "content": tomPairs + tomText + " P=" + tomProfile}}, "cli-1")},
		{"plain", []string{"--config", cfg, "--plain"}, []string{"summarizer (grpo): 11 row(s)"}, plain},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.mustRun(ExitOK, append([]string{"export", "summarizer", "--db", db}, tt.args...)...)
			rows := storetest.Rows(t, []byte(r.stdout), 11)
			sameColumns(t, rows)
			storetest.CheckRow(t, "terse-tom", rowOf(t, rows, "terse-tom", "ho1"), tt.want)
			for _, want := range tt.stderr {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
				}
			}
		})
	}
}

func TestExportTrainingUsageErrors(t *testing.T) {
	e := newTestEnv(t)
	m := newModelServer(t)
	db := e.demoDB()
	cfg := e.withSetConfig(m.URL + "/v1")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"summarizer", "--condition", "raw"}, "--condition and --split apply to pairs only"},
		{[]string{"labels", "--split", "history"}, "--condition and --split apply to pairs only"},
		{[]string{"labels", "--backend", "fake"}, "--backend applies to pairs and summarizer only"},
		{[]string{"pairs", "--split", "test"}, `--split "test": want heldout, history or all`},
		{[]string{"pairs", "--condition", "both"}, `--condition "both": want summary, raw or none`},
		{[]string{"pairs", "--seed", "4"}, "--seed orders the rows of labels and pairs in kto format only"},
		{[]string{"pairs", "--format", "grpo"}, `pairs cannot be exported as "grpo"`},
		{[]string{"summarizer", "--format", "dpo"}, `summarizer cannot be exported as "dpo"`},
		{[]string{"summarizer", "--plain", "--conversational"}, "--plain and --conversational are opposites"},
		{[]string{"pairs", "--backend", "gpt"}, `--backend: no backend named "gpt" (generators: fake, replay)`},
		{[]string{"pairs", "--backend", "replay"}, "--backend: backend replay is the offline engine"},
		{[]string{"summarizer", "--backend", "heuristic"}, "--backend: backend heuristic is the offline engine"},
		{[]string{"frob"}, `cannot export "frob" (want labels, summaries, users, pairs or summarizer)`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			out := e.path("out.jsonl")
			r := e.mustRun(ExitUsage, append([]string{"export", "--db", db, "--config", cfg, "-o", out}, tt.args...)...)
			if r.stdout != "" || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stdout %q, stderr %q, want %q", r.stdout, r.stderr, tt.want)
			}
			if exists(out) {
				t.Errorf("a refused export wrote %s", out)
			}
		})
	}
}
