package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/format/trl"
	"github.com/popi-tui/popi-tui/store/storetest"
)

// exportFixture is what buildExportDB put in the database.
type exportFixture struct {
	g1, g2       store.Generation
	label        store.Label
	model, human store.Summary
}

// demoUsers are the users of the built-in demo data, in id order.
var demoUsers = []string{"beginner-bea", "bullet-ben", "code-first-kai", "formal-fiona", "playful-pia", "skeptic-sam", "terse-tom", "thorough-theo"}

// demoSignals is how many records the demo data holds.
const demoSignals = 48 + 11 + 4 + 4 + 8 + 24

// buildExportDB fills a database through the store API: the demo users,
// two generations for one prompt, a label preferring the first, and a
// model summary with a human edit of it.
func buildExportDB(t *testing.T, path string) exportFixture {
	t.Helper()
	db := storetest.DemoDBAt(t, path)
	defer func() {
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}()
	var f exportFixture
	var err error
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	f.g1, err = db.PutGeneration(store.Generation{
		Key: "key-1", User: "terse-tom", PromptID: "task-1", Prompt: "How do I list files?",
		Condition: store.ConditionSummary, SummaryID: "sum-1", Backend: "offline", Model: "model-a",
		Messages: []store.Message{{Role: "system", Content: "The user wants short answers."}, {Role: "user", Content: "How do I list files?"}},
		Text:     "`ls`", CreatedAt: at,
	})
	if err != nil {
		t.Fatal(err)
	}
	f.g2, err = db.PutGeneration(store.Generation{
		Key: "key-2", User: "terse-tom", PromptID: "task-1", Prompt: "How do I list files?",
		Condition: store.ConditionNone, Backend: "offline", Model: "model-b",
		Messages: []store.Message{{Role: "user", Content: "How do I list files?"}},
		Text:     "Great question! Use the ls command, which lists the files in a directory.", CreatedAt: at.Add(time.Second),
	})
	if err != nil {
		t.Fatal(err)
	}
	f.label, err = db.AddLabel(store.Label{
		Kind: store.LabelDecision, User: "terse-tom", PromptID: "task-1", Prompt: "How do I list files?",
		Candidates: []store.Candidate{
			{Pane: "a", Slot: 0, Backend: "offline", Model: "model-a", Condition: store.ConditionSummary, GenerationID: f.g1.ID},
			{Pane: "b", Slot: 1, Backend: "offline", Model: "model-b", Condition: store.ConditionNone, GenerationID: f.g2.ID},
		},
		Verdict: "a", Annotator: "tester", ShownAt: at, DecidedAt: at.Add(time.Minute),
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.model, err = db.AddSummary(store.Summary{User: "terse-tom", Text: "Prefers brief answers.", Source: "offline/model-a", Backend: "offline", Model: "model-a"})
	if err != nil {
		t.Fatal(err)
	}
	f.human, err = db.AddSummary(store.Summary{User: "terse-tom", Text: "Wants the shortest correct answer, no greeting.", Source: store.SourceHuman, Parent: f.model.Version})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// parseJSONL parses every line of out as one JSON object.
func parseJSONL(t *testing.T, out string) []map[string]any {
	t.Helper()
	if out == "" {
		return nil
	}
	if !strings.HasSuffix(out, "\n") {
		t.Fatalf("output does not end with a newline: %q", out)
	}
	var rows []map[string]any
	for i, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var row map[string]any
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatalf("line %d is not a JSON object: %v\n%s", i+1, err, line)
		}
		rows = append(rows, row)
	}
	return rows
}

// messages checks that v is a list of {role, content} messages and returns them.
func messages(t *testing.T, what string, v any) []store.Message {
	t.Helper()
	list, ok := v.([]any)
	if !ok {
		t.Fatalf("%s = %#v, want a list of messages", what, v)
	}
	var out []store.Message
	for _, m := range list {
		obj, ok := m.(map[string]any)
		if !ok || len(obj) != 2 {
			t.Fatalf("%s: %#v is not a {role, content} message", what, m)
		}
		role, ok1 := obj["role"].(string)
		content, ok2 := obj["content"].(string)
		if !ok1 || !ok2 {
			t.Fatalf("%s: %#v is not a {role, content} message", what, m)
		}
		out = append(out, store.Message{Role: role, Content: content})
	}
	return out
}

func wantField(t *testing.T, row map[string]any, key string, want any) {
	t.Helper()
	got, ok := row[key]
	if !ok {
		t.Errorf("row lacks %q: %v", key, row)
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", key, got, want)
	}
}

// ktoRowOf finds the kto row of a model among rows written in a shuffled
// order.
func ktoRowOf(t *testing.T, rows []map[string]any, model string) map[string]any {
	t.Helper()
	for _, r := range rows {
		if r["model"] == model {
			return r
		}
	}
	t.Fatalf("no kto row of %s in %v", model, rows)
	return nil
}

func TestExport(t *testing.T) {
	e := newTestEnv(t)
	db := e.path("data", "popi.db")
	f := buildExportDB(t, db)

	tests := []struct {
		name  string
		args  []string
		head  string // the report's first line
		rows  int
		check func(t *testing.T, rows []map[string]any)
	}{
		{"labels dpo", []string{"labels", "--format", "dpo"}, "labels (dpo): 1 row(s) from 1 decision(s) of 1 annotator(s): tester 1", 1, func(t *testing.T, rows []map[string]any) {
			r := rows[0]
			if got := messages(t, "prompt", r["prompt"]); !slices.Equal(got, f.g1.Messages) {
				t.Errorf("prompt = %v, want %v (the messages the generator was sent)", got, f.g1.Messages)
			}
			if got := messages(t, "chosen", r["chosen"]); !slices.Equal(got, []store.Message{{Role: "assistant", Content: f.g1.Text}}) {
				t.Errorf("chosen = %v", got)
			}
			if got := messages(t, "rejected", r["rejected"]); !slices.Equal(got, []store.Message{{Role: "assistant", Content: f.g2.Text}}) {
				t.Errorf("rejected = %v", got)
			}
			wantField(t, r, "user", "terse-tom")
			wantField(t, r, "prompt_id", "task-1")
			wantField(t, r, "summary_id", "")
			wantField(t, r, "summary_version", 0.0)
			wantField(t, r, "chosen_model", "model-a")
			wantField(t, r, "rejected_model", "model-b")
			wantField(t, r, "chosen_condition", store.ConditionSummary)
			wantField(t, r, "rejected_condition", store.ConditionNone)
			wantField(t, r, "annotator", "tester")
			wantField(t, r, "label_id", f.label.ID)
			if _, ok := r["system"]; ok {
				t.Errorf("a conversational row has a system column: %v", r)
			}
		}},
		{"labels dpo conversational", []string{"labels", "--format", "dpo", "--conversational"}, "labels (dpo): 1 row(s)", 1, func(t *testing.T, rows []map[string]any) {
			if got := messages(t, "prompt", rows[0]["prompt"]); !slices.Equal(got, f.g1.Messages) {
				t.Errorf("prompt = %v, want %v", got, f.g1.Messages)
			}
		}},
		{"labels dpo plain", []string{"labels", "--format", "dpo", "--plain"}, "labels (dpo): 1 row(s)", 1, func(t *testing.T, rows []map[string]any) {
			r := rows[0]
			wantField(t, r, "prompt", "How do I list files?")
			wantField(t, r, "system", "The user wants short answers.")
			wantField(t, r, "chosen", f.g1.Text)
			wantField(t, r, "rejected", f.g2.Text)
		}},
		{"labels kto", []string{"labels", "--format", "kto"}, "labels (kto): 2 row(s)", 2, func(t *testing.T, rows []map[string]any) {
			for _, g := range []store.Generation{f.g1, f.g2} {
				r := ktoRowOf(t, rows, g.Model)
				if got := messages(t, "prompt", r["prompt"]); !slices.Equal(got, g.Messages) {
					t.Errorf("%s: prompt = %v, want %v", g.Model, got, g.Messages)
				}
				if got := messages(t, "completion", r["completion"]); !slices.Equal(got, []store.Message{{Role: "assistant", Content: g.Text}}) {
					t.Errorf("%s: completion = %v", g.Model, got)
				}
				wantField(t, r, "label", g.ID == f.g1.ID)
				wantField(t, r, "label_id", f.label.ID)
				wantField(t, r, "user", "terse-tom")
			}
		}},
		{"labels kto plain", []string{"labels", "--format", "kto", "--plain", "--seed", "3"}, "labels (kto): 2 row(s)", 2, func(t *testing.T, rows []map[string]any) {
			a, b := ktoRowOf(t, rows, "model-a"), ktoRowOf(t, rows, "model-b")
			wantField(t, a, "prompt", "How do I list files?")
			wantField(t, a, "system", "The user wants short answers.")
			wantField(t, a, "completion", f.g1.Text)
			wantField(t, a, "label", true)
			wantField(t, b, "prompt", "How do I list files?")
			wantField(t, b, "system", "")
			wantField(t, b, "label", false)
		}},
		{"labels raw by default", []string{"labels"}, "labels (raw): 1 row(s)", 1, func(t *testing.T, rows []map[string]any) {
			r := rows[0]
			wantField(t, r, "id", f.label.ID)
			wantField(t, r, "kind", store.LabelDecision)
			wantField(t, r, "verdict", "a")
			wantField(t, r, "user", "terse-tom")
			wantField(t, r, "prompt_id", "task-1")
			wantField(t, r, "annotator", "tester")
			cands, ok := r["candidates"].([]any)
			if !ok || len(cands) != 2 {
				t.Fatalf("candidates = %#v, want two", r["candidates"])
			}
			for i, g := range []store.Generation{f.g1, f.g2} {
				c, _ := cands[i].(map[string]any)
				if c["generation_id"] != g.ID || c["pane"] != store.PaneLetter(i) {
					t.Errorf("candidate %d = %v, want pane %s, generation %s", i, c, store.PaneLetter(i), g.ID)
				}
			}
		}},
		{"labels raw", []string{"labels", "--format", "raw"}, "labels (raw): 1 row(s)", 1, func(t *testing.T, rows []map[string]any) {
			wantField(t, rows[0], "id", f.label.ID)
		}},
		{"summaries sft by default", []string{"summaries"}, "summaries (sft): 1 row(s) from 1 user(s)", 1, func(t *testing.T, rows []map[string]any) {
			r := rows[0]
			// The model summary stored no input: the prompt is rebuilt, and
			// the row says so.
			p, ok := r["prompt"].(string)
			if !ok || !strings.Contains(p, "Preferred response") {
				t.Errorf("prompt = %#v, want the summarizer input", r["prompt"])
			}
			wantField(t, r, "completion", f.human.Text)
			wantField(t, r, "system", "You are a careful assistant. You read closely and write plainly.") // the built-in set's system turn, apart
			wantField(t, r, "user", "terse-tom")
			wantField(t, r, "summary_id", f.human.ID)
			wantField(t, r, "summary_version", float64(f.human.Version))
			wantField(t, r, "prompt_source", trl.PromptRebuilt)
			if _, ok := r["chosen"]; ok {
				t.Errorf("an sft row has \"chosen\": %v", r)
			}
		}},
		{"summaries sft conversational", []string{"summaries", "--conversational"}, "summaries (sft): 1 row(s)", 1, func(t *testing.T, rows []map[string]any) {
			r := rows[0]
			if got := messages(t, "prompt", r["prompt"]); len(got) != 2 || got[0].Role != "system" || got[1].Role != "user" || !strings.Contains(got[1].Content, "Preferred response") {
				t.Errorf("prompt = %v, want the summarizer input: a system turn and a user turn", got)
			}
			if got := messages(t, "completion", r["completion"]); !slices.Equal(got, []store.Message{{Role: "assistant", Content: f.human.Text}}) {
				t.Errorf("completion = %v", got)
			}
		}},
		{"summaries pairs", []string{"summaries", "--format", "pairs"}, "summaries (pairs): 1 row(s)", 1, func(t *testing.T, rows []map[string]any) {
			r := rows[0]
			if p, ok := r["prompt"].(string); !ok || p == "" {
				t.Errorf("prompt = %#v, want the summarizer input", r["prompt"])
			}
			wantField(t, r, "chosen", f.human.Text)
			wantField(t, r, "rejected", f.model.Text)
			wantField(t, r, "user", "terse-tom")
			wantField(t, r, "chosen_version", float64(2))
			wantField(t, r, "rejected_version", float64(1))
			wantField(t, r, "rejected_source", "offline/model-a")
		}},
		{"users", []string{"users"}, fmt.Sprintf("users (popi): %d record(s) of 8 user(s)", demoSignals), demoSignals, func(t *testing.T, rows []map[string]any) {
			users := map[string]int{}
			kinds := map[string]int{}
			for i, r := range rows {
				u, _ := r["user"].(string)
				k, _ := r["kind"].(string)
				id, _ := r["id"].(string)
				if u == "" || k == "" || id == "" {
					t.Fatalf("row %d lacks user, kind or id: %v", i+1, r)
				}
				users[u]++
				kinds[k]++
				if k == "pair" {
					for _, field := range []string{"prompt", "chosen", "rejected", "split"} {
						if s, _ := r[field].(string); s == "" {
							t.Errorf("row %d: pair without %q: %v", i+1, field, r)
						}
					}
				}
			}
			var got []string
			for u := range users {
				got = append(got, u)
			}
			slices.Sort(got)
			if !slices.Equal(got, demoUsers) {
				t.Errorf("users = %v, want %v", got, demoUsers)
			}
			want := map[string]int{"pair": 59, "text": 4, "profile": 4, "persona": 8, "task": 24}
			if !reflect.DeepEqual(kinds, want) {
				t.Errorf("kinds = %v, want %v", kinds, want)
			}
		}},
		{"users popi", []string{"users", "--format", "popi"}, "users (popi):", demoSignals, func(t *testing.T, rows []map[string]any) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// To standard output, with --db before and after the kind; the
			// report on standard error.
			r := e.mustRun(ExitOK, append([]string{"--db", db, "export"}, tt.args...)...)
			if !strings.HasPrefix(r.stderr, tt.head) {
				t.Errorf("stderr = %q, want it to start with %q", r.stderr, tt.head)
			}
			rows := parseJSONL(t, r.stdout)
			if len(rows) != tt.rows {
				t.Fatalf("%d rows, want %d:\n%s", len(rows), tt.rows, r.stdout)
			}
			tt.check(t, rows)

			r2 := e.mustRun(ExitOK, append(append([]string{"export"}, tt.args...), "--db", db, "-o", "-")...)
			if r2.stdout != r.stdout || r2.stderr != r.stderr {
				t.Errorf("-o - wrote\n%s\nwant the same as without -o:\n%s", r2.stdout, r.stdout)
			}

			// To a file, replacing what was there.
			dir := e.path("out-" + strings.ReplaceAll(tt.name, " ", "-"))
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			out := writeFile(t, filepath.Join(dir, "rows.jsonl"), "old content that must go\n")
			r3 := e.mustRun(ExitOK, append([]string{"export", "--db", db, "-o", out}, tt.args...)...)
			if r3.stdout != "" {
				t.Errorf("-o FILE: stdout = %q, want nothing", r3.stdout)
			}
			wantMsg := r.stderr + "wrote " + tt.args[0] + " to " + out + "\n"
			if r3.stderr != wantMsg {
				t.Errorf("-o FILE: stderr = %q, want %q", r3.stderr, wantMsg)
			}
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if string(data) != r.stdout {
				t.Errorf("-o FILE wrote\n%s\nwant the same as standard output:\n%s", data, r.stdout)
			}
			if names := dirNames(t, dir); !slices.Equal(names, []string{"rows.jsonl"}) {
				t.Errorf("%s holds %v, want only rows.jsonl", dir, names)
			}
		})
	}
}

// TestExportEmpty: an empty database exports no rows, successfully, and
// says so.
func TestExportEmpty(t *testing.T) {
	e := newTestEnv(t)
	db := e.path("empty.db")
	for _, args := range [][]string{{"labels"}, {"labels", "--format", "dpo"}, {"labels", "--format", "kto", "--plain"}, {"summaries"}, {"summaries", "--format", "pairs"}, {"users"}} {
		r := e.mustRun(ExitOK, append([]string{"export", "--db", db}, args...)...)
		if r.stdout != "" || !strings.Contains(r.stderr, ": 0 r") {
			t.Errorf("export %q of an empty database: stdout %q, stderr %q; want no rows, and a report saying so", args, r.stdout, r.stderr)
		}
		out := e.path("out.jsonl")
		r = e.mustRun(ExitOK, append([]string{"export", "--db", db, "-o", out}, args...)...)
		if !strings.Contains(r.stderr, ": 0 r") || !strings.Contains(r.stderr, "wrote "+args[0]+" to "+out) {
			t.Errorf("export %q -o: stderr = %q", args, r.stderr)
		}
		if data, err := os.ReadFile(out); err != nil || len(data) != 0 {
			t.Errorf("export %q -o: file = %q, %v; want an empty file", args, data, err)
		}
	}
}

// damageGeneration overwrites a stored generation with bytes that are not
// JSON, as a damaged record would be.
func damageGeneration(t *testing.T, path, id string) {
	t.Helper()
	b, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	err = b.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("generations")).Put([]byte(id), []byte("{damaged")) })
	if err != nil {
		t.Fatal(err)
	}
}

// TestExportFailureKeepsFile: an export that fails part way leaves the
// file it would have replaced as it was, and no temporary file behind.
func TestExportFailureKeepsFile(t *testing.T) {
	e := newTestEnv(t)
	db := e.path("popi.db")
	f := buildExportDB(t, db)
	damageGeneration(t, db, f.g2.ID)

	dir := e.path("out")
	old := []byte("{\"previous\":\"export\"}\nsecond line\n")
	out := filepath.Join(dir, "labels.jsonl")
	writeFile(t, out, string(old))
	for _, format := range []string{"dpo", "kto"} {
		r := e.mustRun(ExitFailure, "export", "labels", "--format", format, "--db", db, "-o", out)
		if r.stdout != "" {
			t.Errorf("%s: stdout = %q, want nothing", format, r.stdout)
		}
		for _, want := range []string{"popi-tui: ", out, f.g2.ID} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("%s: stderr lacks %q:\n%s", format, want, r.stderr)
			}
		}
		if strings.Contains(r.stderr, "wrote ") {
			t.Errorf("%s: stderr claims rows were written:\n%s", format, r.stderr)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(data, old) {
			t.Errorf("%s: a failed export changed %s to %q", format, out, data)
		}
		if names := dirNames(t, dir); !slices.Equal(names, []string{"labels.jsonl"}) {
			t.Errorf("%s: %s holds %v after a failed export, want only labels.jsonl", format, dir, names)
		}
	}
	// raw reads no generations: it still works.
	r := e.mustRun(ExitOK, "export", "labels", "--db", db, "-o", out)
	if !strings.HasPrefix(r.stderr, "labels (raw): 1 row(s)") {
		t.Errorf("raw export: stderr = %q", r.stderr)
	}
	// To a new file in a missing directory: exit 1, nothing created.
	missing := e.path("no-such-dir", "x.jsonl")
	r = e.mustRun(ExitFailure, "export", "users", "--db", db, "-o", missing)
	if !strings.Contains(r.stderr, missing) || exists(filepath.Dir(missing)) {
		t.Errorf("export to a missing directory: stderr %q", r.stderr)
	}
}

// TestExportLeavesOutWhatItCannotComplete: a decision whose answer is not
// in the database gives no row; the export succeeds and says so.
func TestExportLeavesOutWhatItCannotComplete(t *testing.T) {
	e := newTestEnv(t)
	db := e.path("popi.db")
	buildExportDB(t, db)
	func() {
		h := storetest.OpenAt(t, db)
		defer h.Close()
		_, err := h.AddLabel(store.Label{
			Kind: store.LabelDecision, User: "bullet-ben", PromptID: "task-9", Prompt: "Why?",
			Candidates: []store.Candidate{
				{Pane: "a", Backend: "offline", Model: "m", Condition: store.ConditionNone, GenerationID: "never-stored-generation"},
				{Pane: "b", Slot: 1, Backend: "offline", Model: "m", Condition: store.ConditionNone, GenerationID: "never-stored-either"},
			},
			Verdict: "b", Annotator: "tester", ShownAt: time.Now(),
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
	}()
	r := e.mustRun(ExitOK, "export", "labels", "--format", "dpo", "--db", db)
	if rows := parseJSONL(t, r.stdout); len(rows) != 1 {
		t.Errorf("%d rows, want the 1 that can be completed", len(rows))
	}
	if !strings.Contains(r.stderr, "1 row(s) from 2 decision(s)") || !strings.Contains(r.stderr, "1 with an answer missing") {
		t.Errorf("stderr = %q, want the left-out decision counted", r.stderr)
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// TestExportCancelled: an export stopped by Ctrl-C exits 130 and leaves the
// file it would have replaced as it was.
func TestExportCancelled(t *testing.T) {
	e := newTestEnv(t)
	db := e.path("popi.db")
	buildExportDB(t, db)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, args := range [][]string{{"users"}, {"labels"}, {"labels", "--format", "dpo"}, {"labels", "--format", "kto"}, {"summaries"}, {"summaries", "--format", "pairs"}} {
		dir := e.path("out-" + strings.Join(args, "-"))
		out := writeFile(t, filepath.Join(dir, "rows.jsonl"), "old rows\n")
		r := e.runCtx(ctx, "", append([]string{"export", "--db", db, "-o", out}, args...)...)
		if r.code != ExitInterrupted {
			t.Errorf("export %q -o FILE, cancelled: exit %d, want %d\n%s", args, r.code, ExitInterrupted, r.stderr)
		}
		if !strings.Contains(r.stderr, "interrupted") || strings.Contains(r.stderr, "wrote ") || r.stdout != "" {
			t.Errorf("export %q -o FILE, cancelled: stdout %q, stderr %q", args, r.stdout, r.stderr)
		}
		if data, err := os.ReadFile(out); err != nil || string(data) != "old rows\n" {
			t.Errorf("export %q -o FILE, cancelled: file = %q, %v; want it unchanged", args, data, err)
		}
		if names := dirNames(t, dir); !slices.Equal(names, []string{"rows.jsonl"}) {
			t.Errorf("export %q -o FILE, cancelled: %s holds %v", args, dir, names)
		}
		r = e.runCtx(ctx, "", append([]string{"export", "--db", db}, args...)...)
		if r.code != ExitInterrupted || r.stdout != "" {
			t.Errorf("export %q, cancelled: exit %d, stdout %q; want %d and nothing", args, r.code, r.stdout, ExitInterrupted)
		}
	}
}
