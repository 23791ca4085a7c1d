package engine

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
)

// What a results file may hold besides good answers: each is refused with
// its FILE:LINE, or counted as an error of the results, and never stored.
func TestBatchInRefusesAndCounts(t *testing.T) {
	mine, err := builtinSets.ReadFile("promptsets/popi.toml")
	if err != nil {
		t.Fatal(err)
	}
	other, err := ParsePromptSet("mine.toml", []byte(strings.NewReplacer(`version = "builtin-popi-2"`, `version = "mine-1"`, "careful assistant", "thoughtful assistant").Replace(string(mine))))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range batchInCases(other) {
		t.Run(tc.name, func(t *testing.T) {
			url := batchServer(t, false)
			db := storetest.DemoDB(t)
			reqs, out := writeBatchOut(t, func(ctx context.Context, w io.Writer) (Report, error) {
				return batchEngine(t, db, url, nil).InferBatchOut(ctx, w, InferOptions{Backend: "fake"}, nil)
			})
			results := filepath.Join(t.TempDir(), "results.jsonl")
			runBatch(t, reqs, results, tc.edit)
			if tc.raw != "" {
				data, _ := os.ReadFile(results)
				os.WriteFile(results, append([]byte(tc.raw+"\n"), data...), 0o644)
			}
			if tc.between != nil {
				tc.between(t, db)
			}
			rep := batchIn(t, batchEngine(t, db, url, tc.prompts), tc.kind, false, results)
			stored := 0
			for _, u := range []string{"terse-tom", "beginner-bea", "bullet-ben"} {
				ss, _ := db.Summaries(u)
				stored += len(ss)
			}
			switch {
			case tc.problem != "":
				if rep.Refused == 0 || !strings.Contains(rep.Problems[0], tc.problem) {
					t.Errorf("problems %q, want the first to say %q", rep.Problems, tc.problem)
				}
			case rep.Failed != 1 || len(rep.Errors) != 1 || rep.Errors[0].Reason != tc.reason:
				t.Errorf("failed %d, errors %+v; want 1 failed: %q", rep.Failed, rep.Errors, tc.reason)
			}
			if rep.Done+rep.Failed+rep.Refused < out.Done || (tc.kind == BatchSummaries && tc.problem == "" && rep.Done != out.Done-1) {
				t.Errorf("report %+v after writing %d requests", rep, out.Done)
			}
			if tc.kind == BatchGeneration && stored != 0 {
				t.Errorf("%d summaries stored from a generate run", stored)
			}
		})
	}
}

// batchInCase is a results file with one thing wrong, and what reading it
// says.
type batchInCase struct {
	name    string
	kind    string
	edit    func(i int, line map[string]any)
	raw     string                           // a line put first, as it is
	between func(t *testing.T, db *store.DB) // a change after the file was written
	prompts *PromptSet                       // the set when the results are read
	problem string                           // the first problem listed
	reason  string                           // an error of the results
}

// batchInCases are TestBatchInRefusesAndCounts's; other is a template set
// worded differently from the default one.
func batchInCases(other *PromptSet) []batchInCase {
	setID := func(id string) func(int, map[string]any) {
		return func(i int, l map[string]any) {
			if i == 0 {
				l["custom_id"] = id
			}
		}
	}
	return []batchInCase{
		{name: "not popi-tui's", kind: BatchSummaries, edit: setID("request-1"),
			problem: `results.jsonl:1: custom_id "request-1" is not one popi-tui wrote`},
		{name: "unknown user", kind: BatchSummaries, edit: setID("popi-tui/summarize/fake/nobody/all/builtin-popi-2/0011223344556677"),
			problem: `results.jsonl:1: custom_id "popi-tui/summarize/fake/nobody/all/builtin-popi-2/0011223344556677": user "nobody": not found`},
		{name: "unknown backend", kind: BatchSummaries, edit: setID("popi-tui/summarize/gone/terse-tom/all/builtin-popi-2/0011223344556677"),
			problem: `results.jsonl:1: custom_id "popi-tui/summarize/gone/terse-tom/all/builtin-popi-2/0011223344556677": no backend named "gone"`},
		{name: "not JSON", kind: BatchSummaries, raw: `{"custom_id":`, problem: "results.jsonl:1: not a batch result"},
		{name: "another kind", kind: BatchGeneration, problem: "is a summarize request; this command reads generate requests"},
		{name: "new template set", kind: BatchSummaries, prompts: other,
			problem: `refused: backend fake's template set is now "mine-1"; the file's request was worded by "builtin-popi-2"`},
		{name: "new history", kind: BatchSummaries, between: func(t *testing.T, db *store.DB) {
			storetest.Import(t, db, `{"user":"beginner-bea","kind":"pair","prompt":"new?","chosen":"yes","rejected":"no"}`)
		}, problem: "refused: the request built now differs from the one in the file"},
		{name: "error object", kind: BatchSummaries, edit: func(i int, l map[string]any) {
			if i == 0 {
				l["response"], l["error"] = nil, map[string]any{"code": "server_error", "message": "the engine died"}
			}
		}, reason: "backend fake: batch error: the engine died"},
		{name: "error string and status 400", kind: BatchSummaries, edit: func(i int, l map[string]any) {
			if i == 0 {
				l["response"], l["error"] = map[string]any{"status_code": 400, "request_id": "r"}, "prompt is too long"
			}
		}, reason: "backend fake: batch error: prompt is too long"},
		{name: "status 500 with a body", kind: BatchSummaries, edit: func(i int, l map[string]any) {
			if i == 0 {
				l["response"] = map[string]any{"status_code": 500, "body": map[string]any{"object": "error", "message": "out of memory"}}
			}
		}, reason: "backend fake: HTTP 500: out of memory"},
	}
}

// A generator request made with the user's summary is refused once the
// user has another summary, naming both versions.
func TestBatchInRefusesAnotherSummary(t *testing.T) {
	url := batchServer(t, false)
	db := storetest.DemoDB(t)
	e := batchEngine(t, db, url, nil)
	storetest.AddSummary(t, db, store.Summary{User: "terse-tom", Text: "Terse.", Source: store.SourceHuman})
	reqs, _ := writeBatchOut(t, func(ctx context.Context, w io.Writer) (Report, error) {
		return e.GenerateBatchOut(ctx, w, GenerateOptions{Users: []string{"terse-tom"}, Backends: []string{"fake"}}, nil)
	})
	results := filepath.Join(t.TempDir(), "results.jsonl")
	n := runBatch(t, reqs, results, nil)
	storetest.AddSummary(t, db, store.Summary{User: "terse-tom", Text: "Very terse.", Source: store.SourceHuman})
	rep := batchIn(t, e, BatchGeneration, false, results)
	want := `refused: user "terse-tom"'s current summary is now version 2; the file's request carried version 1`
	if rep.Refused != n || rep.Done != 0 || !strings.Contains(rep.Problems[0], want) {
		t.Errorf("%+v, want %d refused: %q", rep, n, want)
	}
}

// A custom_id reads back as the request it names, whatever a user or
// prompt id holds; one popi-tui did not write is refused.
func TestBatchIDRoundTrip(t *testing.T) {
	ids := []batchID{
		{Kind: batchSummarize, Backend: "popi", User: "ann", Signals: "all", TemplateSet: "builtin-popi-2", Hash: "0011223344556677"},
		{Kind: batchSummarize, Backend: "popi", User: "a/b c%d\x1b[31m", Signals: "pairs+profile", TemplateSet: "sha256:0a1b2c3d4e5f", Hash: "ff"},
		{Kind: batchGenerate, Backend: "vllm-8b", User: "ax-1f2e", PromptID: "t/1", Condition: "summary", SummaryVersion: 12, TemplateSet: "mine", Hash: "aa"},
		{Kind: batchGenerate, Backend: "vllm-8b", User: "ann", PromptID: "ho1", Condition: "none", Hash: "bb"},
	}
	for _, id := range ids {
		s := id.String()
		got, err := parseBatchID(s)
		if err != nil || got != id {
			t.Errorf("%q read back as %+v, %v; want %+v", s, got, err, id)
		}
		if strings.ContainsAny(s, "\x1b ") {
			t.Errorf("%q holds a control character or a space", s)
		}
	}
	for _, bad := range []string{"", "request-1", "popi-tui/summarize/popi/ann", "popi-tui/generate/b/u/p/summary/v0/set/h",
		"popi-tui/generate/b/u/p/summary/x3/set/h", "popi-tui/score/b/u/all/set/h", "popi-tui/summarize/b/u%zz/all/set/h"} {
		if _, err := parseBatchID(bad); err == nil {
			t.Errorf("%q was read as popi-tui's", bad)
		}
	}
}
