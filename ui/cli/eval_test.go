package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/engine/vllmtest"
	"github.com/popi-tui/popi-tui/store"
)

// evalDB imports two users with a held-out pair each and summarizes them
// with the offline heuristic.
func (e *testEnv) evalDB() string {
	db := e.path("eval.db")
	in := e.path("eval.jsonl")
	data := `{"user":"u1","kind":"pair","prompt":"old question","chosen":"brief","rejected":"verbose"}
{"user":"u1","kind":"pair","split":"heldout","prompt":"new question","chosen":"yes one","rejected":"no one"}
{"user":"u2","kind":"pair","prompt":"old question","chosen":"brief","rejected":"verbose"}
{"user":"u2","kind":"pair","split":"heldout","prompt":"new question","chosen":"yes two","rejected":"no two"}
`
	if err := os.WriteFile(in, []byte(data), 0o600); err != nil {
		e.t.Fatal(err)
	}
	e.mustRun(ExitOK, "import", "--db", db, in)
	e.mustRun(ExitOK, "infer", "--db", db, "--backend", "heuristic")
	return db
}

// Accuracy end to end: a vLLM whose log-probabilities make u1 correct and
// u2 wrong under the summary; the table, the JSON and the kept run agree.
func TestEvalAccuracyAgainstAScoringServer(t *testing.T) {
	e := newTestEnv(t)
	db := e.evalDB()
	f := vllmtest.New(t, map[string]map[string]float64{
		"yes one": {"none": -5, "summary": -2}, "no one": {"none": -5, "summary": -4}, // r 3 > 1: correct
		"yes two": {"none": -3, "summary": -4}, "no two": {"none": -3, "summary": -1}, // r −1 < 2: wrong
	})
	cfg := e.withConfig(f.URL()+"/v1", "")
	r := e.mustRun(ExitOK, "eval", "--db", db, "--config", cfg, "--metric", "accuracy", "--backend", "fake", "--condition", "summary,none")
	for _, want := range []string{"Preference accuracy — backend fake (tiny), summaries: current, 2 held-out pairs",
		"summary    2      1        0     1      50.0%", "none       2      0        2     0      50.0%", "2 done, 0 failed"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	r = e.mustRun(ExitOK, "eval", "--db", db, "--config", cfg, "--metric", "accuracy", "--backend", "fake", "--json")
	var out struct {
		Accuracy struct {
			Backend    string               `json:"backend"`
			Conditions []engine.AccuracyRow `json:"conditions"`
			Run        struct{ Done, Failed int }
		} `json:"accuracy"`
		Labels *json.RawMessage `json:"labels"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("%v:\n%s", err, r.stdout)
	}
	a := out.Accuracy
	if a.Backend != "fake" || len(a.Conditions) != 1 || a.Conditions[0].Accuracy != 0.5 || a.Conditions[0].Correct != 1 || a.Run.Done != 2 || out.Labels != nil {
		t.Errorf("json: %+v", out)
	}
	s, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	runs, err := s.LatestEvalRuns()
	if err != nil || len(runs) != 2 || runs[1].Metric != "accuracy" || !strings.Contains(string(runs[1].Result), `"accuracy":0.5`) {
		t.Errorf("kept runs: %+v, %v", runs, err)
	}
}

// A server that cannot score (Ollama: no /tokenize) is refused with what
// is needed; mistakes in the command line are usage errors.
func TestEvalRefusals(t *testing.T) {
	e := newTestEnv(t)
	db := e.evalDB()
	m := newModelServer(t)
	cfg := e.withConfig(m.URL+"/v1", "")
	r := e.mustRun(ExitFailure, "eval", "--db", db, "--config", cfg, "--metric", "accuracy", "--backend", "fake")
	if !strings.Contains(r.stderr, "backend fake cannot score given responses") || !strings.Contains(r.stderr, "HTTP 404") || !strings.Contains(r.stderr, "vLLM") {
		t.Errorf("stderr = %q", r.stderr)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--metric", "accuracy"}, "--metric accuracy needs --backend"},
		{[]string{"--metric", "speed"}, `unknown metric "speed"`},
		{[]string{"--metric", "judge"}, "--metric judge needs a judge"},
		{[]string{"extra"}, "eval takes no arguments"},
	}
	for _, tt := range tests {
		r := e.mustRun(ExitUsage, append([]string{"eval", "--db", db, "--config", cfg}, tt.args...)...)
		if !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%v: stderr %q, want %q", tt.args, r.stderr, tt.want)
		}
	}
}

// The default metrics need no server: context saving and the labels of
// two annotators, with Cohen's κ over the items both labeled.
func TestEvalDefaultMetrics(t *testing.T) {
	e := newTestEnv(t)
	db := e.demoDB()
	e.mustRun(ExitOK, "infer", "--db", db, "--backend", "heuristic")
	s, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	shown := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	for i, item := range []struct{ user, prompt, ann, verdict string }{
		{"terse-tom", "ho1", "alice", "a"}, {"terse-tom", "ho1", "bob", "a"},
		{"bullet-ben", "ho1", "alice", "b"}, {"bullet-ben", "ho1", "bob", "a"},
		{"skeptic-sam", "ho1", "alice", "tie"}, {"skeptic-sam", "ho1", "bob", "tie"},
	} {
		l := store.Label{Kind: store.LabelDecision, User: item.user, PromptID: item.prompt, Prompt: "p", Annotator: item.ann, Verdict: item.verdict,
			ShownAt: shown, DecidedAt: shown.Add(time.Duration(i+1) * time.Second), Candidates: []store.Candidate{
				{Pane: "a", Slot: 0, Backend: "replay", Replay: "chosen", Condition: "none"},
				{Pane: "b", Slot: 1, Backend: "replay", Replay: "rejected", Condition: "none"}}}
		if _, err := s.AddLabel(l, nil); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	r := e.mustRun(ExitOK, "eval", "--db", db)
	for _, want := range []string{"Context saving", "heuristic  8", "Human labels — 6 decisions (and 0 skips)",
		"replay (chosen)", "agreement with the dataset's choice on replayed held-out pairs: 3/4 = 75.0%",
		"Cohen's κ = ", "over 3 items"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	r = e.mustRun(ExitOK, "eval", "--db", db, "--json")
	var out struct {
		Context struct{ Kinds []engine.ContextKind } `json:"context"`
		Labels  struct {
			Decisions      int                   `json:"decisions"`
			InterAnnotator engine.InterAnnotator `json:"inter_annotator"`
		} `json:"labels"`
		Accuracy *json.RawMessage `json:"accuracy"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("%v:\n%s", err, r.stdout)
	}
	if out.Labels.Decisions != 6 || out.Labels.InterAnnotator.Method != engine.AgreementCohen || out.Labels.InterAnnotator.Items != 3 ||
		len(out.Context.Kinds) != 3 || out.Context.Kinds[2].Users != 8 || out.Accuracy != nil {
		t.Errorf("json: %+v", out)
	}
}

// The judge through the command line: a judge that always says A splits
// every pair of verdicts, so every prompt is a tie.
func TestEvalJudge(t *testing.T) {
	e := newTestEnv(t)
	db := e.demoDB()
	e.mustRun(ExitOK, "infer", "--db", db, "--backend", "heuristic")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Messages []struct{ Content string }
		}
		json.NewDecoder(r.Body).Decode(&req)
		text := "An answer."
		if strings.Contains(req.Messages[0].Content, "Verdict: tie") {
			text = "Both are good.\nVerdict: A"
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprintf(w, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":%q},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n", text)
	}))
	defer srv.Close()
	cfg := e.withConfig(srv.URL+"/v1", fmt.Sprintf("\n[[backend]]\nname = \"judge\"\nrole = \"judge\"\nbase_url = %q\nmodel = \"j\"\n", srv.URL+"/v1"))
	r := e.mustRun(ExitOK, "eval", "--db", db, "--config", cfg, "--metric", "judge", "--backend", "fake", "--user", "terse-tom")
	for _, want := range []string{"Judge win rate — judge judge (j) on generator fake", "4 prompts: 0 wins, 4 ties, 0 losses; 0 with an unreadable verdict",
		"win rate 50.0%", "the same verdict in both orders 0/4", "answer A picked in 8 of 8 verdicts read"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
}
