package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/engine/eval"
	"github.com/popi-tui/popi-tui/engine/vllmtest"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
)

// evalDB imports two users with a held-out pair each, u1 from dataset
// ds-one and u2 from ds-two, and summarizes them with the offline
// heuristic.
func (e *testEnv) evalDB() string {
	db := e.path("eval.db")
	for _, u := range []struct{ user, dataset, n string }{{"u1", "ds-one", "one"}, {"u2", "ds-two", "two"}} {
		data := fmt.Sprintf(`{"user":%q,"kind":"pair","prompt":"old question","chosen":"brief","rejected":"verbose"}
{"user":%q,"kind":"pair","split":"heldout","id":"h-%s","prompt":"new question","chosen":"yes %s","rejected":"no %s"}
`, u.user, u.user, u.n, u.n, u.n)
		e.mustRun(ExitOK, "import", "--db", db, writeFile(e.t, e.path(u.dataset+".jsonl"), data))
	}
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
	// Margins 3 − 1 = 2 and −1 − 2 = −3: mean −0.5; losses ln(1 + e^−0.2)
	// = 0.598139 and ln(1 + e^0.3) = 0.854355: mean 0.726247. none is the
	// reference itself: margin 0, loss ln 2.
	for _, want := range []string{"Preference accuracy — backend fake (tiny), itself as the reference, summaries: current, 2 held-out pairs",
		"log-probabilities with the end-of-turn token; margin h = r(chosen) − r(rejected), DPO loss −log σ(βh) in nats, β = 0.1",
		"summary    2      1        0     1      50.0%     [9.5%, 90.5%]  -0.500       0.7262", "none       2      0        2     0      50.0%     [9.5%, 90.5%]  +0.000       0.6931",
		"2 done, 0 failed"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	r = e.mustRun(ExitOK, "eval", "--db", db, "--config", cfg, "--metric", "accuracy", "--backend", "fake", "--json")
	var out struct {
		Accuracy struct {
			Backend    string             `json:"backend"`
			Conditions []eval.AccuracyRow `json:"conditions"`
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
	// --condition summary is the default: the same setting, kept as one;
	// so are the same conditions in another order.
	e.mustRun(ExitOK, "eval", "--db", db, "--config", cfg, "--metric", "accuracy", "--backend", "fake", "--condition", "summary")
	e.mustRun(ExitOK, "eval", "--db", db, "--config", cfg, "--metric", "accuracy", "--backend", "fake", "--condition", "none", "--condition", "summary")
	runs := keptRuns(t, db)
	var keys []string
	for _, run := range runs {
		keys = append(keys, run.Key)
	}
	if want := []string{"accuracy fake/tiny summary=current conditions=none,summary reference=fake/tiny eot=true beta=0.1 datasets=all users=all",
		"accuracy fake/tiny summary=current conditions=summary reference=fake/tiny eot=true beta=0.1 datasets=all users=all"}; !slices.Equal(keys, want) {
		t.Errorf("kept keys %q, want %q", keys, want)
	}
	if len(runs) == 0 || runs[len(runs)-1].Metric != "accuracy" || !strings.Contains(string(runs[len(runs)-1].Result), `"accuracy":0.5`) {
		t.Errorf("the latest kept run: %+v", runs)
	}
}

// A reference backend of its own, β, the pairs file and the datasets,
// end to end. The generator ("fake") scores the responses' words as in
// TestEvalAccuracyAgainstAScoringServer, the reference ("ref") after the
// prompt alone yes one −6, no one −5, yes two −2, no two −5; the end of
// turn scores −0.125 (vllmtest.EndLogprob) everywhere. At β 0.5:
//
//	u1 (ds-one): logp −2.125, −4.125; ref −6.125, −5.125; r 4, 1; h 3: correct,
//	             rewards 2, 0.5, loss ln(1 + e^−1.5) = 0.201413
//	u2 (ds-two): logp −4.125, −1.125; ref −2.125, −5.125; r −2, 4; h −6: wrong,
//	             rewards −1, 2, loss ln(1 + e^3) = 3.048587
//
// means: margin −1.5, loss 1.625000. Without the end of turn the
// log-probabilities are the words' alone (−2, −4; −6, −5 …), over 2
// tokens a response instead of 3, and the margins the same.
func TestEvalAccuracyReferenceAndPairsOut(t *testing.T) {
	e := newTestEnv(t)
	db := e.evalDB()
	gen := vllmtest.New(t, map[string]map[string]float64{
		"yes one": {"none": -5, "summary": -2}, "no one": {"none": -5, "summary": -4},
		"yes two": {"none": -3, "summary": -4}, "no two": {"none": -3, "summary": -1},
	})
	ref := vllmtest.New(t, map[string]map[string]float64{"yes one": {"none": -6}, "no one": {"none": -5}, "yes two": {"none": -2}, "no two": {"none": -5}})
	cfg := e.withConfig(gen.URL()+"/v1", fmt.Sprintf("\n[[backend]]\nname = \"ref\"\nrole = \"generator\"\nbase_url = %q\nmodel = \"base\"\n", ref.URL()+"/v1"))
	out := e.path("pairs.jsonl")
	args := []string{"eval", "--db", db, "--config", cfg, "--metric", "accuracy", "--backend", "fake", "--reference", "ref", "--beta", "0.5", "--pairs-out", out}
	r := e.mustRun(ExitOK, append(args, "--by", "dataset")...)
	for _, want := range []string{"backend fake (tiny), reference ref (base), summaries: current, 2 held-out pairs", "β = 0.5",
		"summary    2      1        0     1      50.0%     [9.5%, 90.5%]  -1.500       1.6250",
		"ds-one   summary    1      1        0     0      100.0%", "+3.000       0.2014", "ds-two   summary    1      0        0     1      0.0%", "-6.000       3.0486"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	if want := "wrote 2 pair scores to " + out; !strings.Contains(r.stderr, want) {
		t.Errorf("stderr %q lacks %q", r.stderr, want)
	}
	// Each line has exactly the documented fields. [user][chosen, rejected]:
	tests := []struct {
		name      string
		extra     []string
		logp, ref [2][2]float64
		tokens    float64
	}{
		{"end of turn", nil, [2][2]float64{{-2.125, -4.125}, {-4.125, -1.125}}, [2][2]float64{{-6.125, -5.125}, {-2.125, -5.125}}, 3},
		{"--no-eot", []string{"--no-eot"}, [2][2]float64{{-2, -4}, {-4, -1}}, [2][2]float64{{-6, -5}, {-2, -5}}, 2},
	}
	for _, tt := range tests {
		e.mustRun(ExitOK, append(args, tt.extra...)...)
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
		if len(lines) != 2 {
			t.Fatalf("%s: %d lines:\n%s", tt.name, len(lines), data)
		}
		for i, w := range []struct {
			user, pair                              string
			margin, rewardW, rewardL, loss, correct float64
		}{{"u1", "h-one", 3, 2, 0.5, 0.2014132779827524, 1}, {"u2", "h-two", -6, -1, 2, 3.048587351573742, 0}} {
			var got map[string]any
			if err := json.Unmarshal([]byte(lines[i]), &got); err != nil {
				t.Fatalf("%s: line %d: %v", tt.name, i+1, err)
			}
			want := map[string]any{"user": w.user, "pair": w.pair, "condition": "summary", "logp_chosen": tt.logp[i][0], "logp_rejected": tt.logp[i][1],
				"ref_logp_chosen": tt.ref[i][0], "ref_logp_rejected": tt.ref[i][1], "tokens_chosen": tt.tokens, "tokens_rejected": tt.tokens,
				"margin": w.margin, "reward_chosen": w.rewardW, "reward_rejected": w.rewardL, "dpo_loss": w.loss, "correct": w.correct}
			if len(got) != len(want) {
				t.Errorf("%s: line %d has %d fields, want %d: %s", tt.name, i+1, len(got), len(want), lines[i])
			}
			for k, v := range want {
				f, isNum := v.(float64)
				if g, ok := got[k].(float64); isNum && ok && math.Abs(g-f) <= 1e-9 || got[k] == v {
					continue
				}
				t.Errorf("%s: line %d: %s = %v, want %v", tt.name, i+1, k, got[k], v)
			}
		}
	}
	// Kept under a key naming the reference, the end of turn and β.
	if runs := keptRuns(t, db); len(runs) != 2 || !strings.Contains(runs[1].Key, "reference=ref/base eot=false beta=0.5 datasets=all") {
		t.Errorf("kept runs: %+v", runs)
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
		// Checked before the first metric runs: nothing is printed.
		{[]string{"--metric", "context", "--metric", "judge"}, "--metric judge needs a judge"},
		{[]string{"--metric", "labels", "--metric", "accuracy"}, "--metric accuracy needs --backend"},
		{[]string{"--metric", "context", "--metric", "accuracy", "--backend", "fake", "--summary", "bogus"}, `unknown summary "bogus"`},
		{[]string{"--metric", "context", "--metric", "accuracy", "--backend", "fake", "--condition", "bogus"}, `unknown condition "bogus"`},
		{[]string{"--metric", "context", "--metric", "accuracy", "--backend", "nosuch"}, `--backend "nosuch": no backend of that name with role "generator"`},
		{[]string{"--metric", "context", "--metric", "judge", "--backend", "fake", "--judge", "nosuch"}, `--judge "nosuch": no backend of that name with role "judge"`},
		{[]string{"--metric", "context", "--metric", "accuracy", "--backend", "fake", "--reference", "nosuch"}, `--reference "nosuch": no backend of that name with role "generator" (configured: fake, replay)`},
		{[]string{"--metric", "accuracy", "--backend", "fake", "--beta", "0"}, "--beta 0: DPO's β must be a positive number"},
		{[]string{"--metric", "accuracy", "--backend", "fake", "--beta", "-0.5"}, "--beta -0.5: DPO's β must be a positive number"},
		{[]string{"--metric", "accuracy", "--backend", "fake", "--beta", "NaN"}, "--beta NaN: DPO's β must be a positive number"},
		{[]string{"--metric", "accuracy", "--backend", "fake", "--pairs-out", "-"}, "--pairs-out writes a file"},
		{[]string{"--metric", "context", "--pairs-out", "p.jsonl"}, "--reference, --no-eot and --pairs-out apply to --metric accuracy"},
		{[]string{"--metric", "context", "--no-eot"}, "--reference, --no-eot and --pairs-out apply to --metric accuracy"},
		{[]string{"--metric", "context", "--by", "user"}, `--by "user": the only grouping is by dataset`},
		{[]string{"--dataset", "ds-one"}, "--dataset and --by apply to --metric accuracy and context: the labels and the judge cover every user"},
		{[]string{"--metric", "context", "--dataset", "nosuch"}, `--dataset "nosuch": no user was imported with that dataset (datasets: ds-one, ds-two)`},
		{[]string{"extra"}, "eval takes no arguments"},
	}
	for _, tt := range tests {
		r := e.mustRun(ExitUsage, append([]string{"eval", "--db", db, "--config", cfg}, tt.args...)...)
		if !strings.Contains(r.stderr, tt.want) || r.stdout != "" {
			t.Errorf("%v: stdout %q, stderr %q, want only %q", tt.args, r.stdout, r.stderr, tt.want)
		}
	}
}

// The default metrics need no server: context saving and the labels of
// two annotators, with Cohen's κ over the items both labeled.
func TestEvalDefaultMetrics(t *testing.T) {
	e := newTestEnv(t)
	db := e.demoDB()
	e.mustRun(ExitOK, "infer", "--db", db, "--backend", "heuristic")
	s := storetest.OpenAt(t, db)
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
		Context struct{ Kinds []eval.ContextKind } `json:"context"`
		Labels  struct {
			Decisions      int                 `json:"decisions"`
			InterAnnotator eval.InterAnnotator `json:"inter_annotator"`
		} `json:"labels"`
		Accuracy *json.RawMessage `json:"accuracy"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("%v:\n%s", err, r.stdout)
	}
	if out.Labels.Decisions != 6 || out.Labels.InterAnnotator.Method != eval.AgreementCohen || out.Labels.InterAnnotator.Items != 3 ||
		len(out.Context.Kinds) != 3 || out.Context.Kinds[2].Users != 8 || out.Accuracy != nil {
		t.Errorf("json: %+v", out)
	}
}

// alwaysAJudge is a server for both the generator and the judge: the
// generator answers "An answer.", the judge always says A. Each judge
// request is passed to onJudge (when not nil) with its number, from 1,
// before it is answered.
func alwaysAJudge(t *testing.T, onJudge func(n int64, r *http.Request)) *httptest.Server {
	t.Helper()
	var judged atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Messages []struct{ Content string }
		}
		json.NewDecoder(r.Body).Decode(&req)
		text := "An answer."
		if len(req.Messages) > 0 && strings.Contains(req.Messages[0].Content, "Verdict: tie") {
			if n := judged.Add(1); onJudge != nil {
				onJudge(n, r)
			}
			text = "Both are good.\nVerdict: A"
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprintf(w, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":%q},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n", text)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// judgeConfig is a configuration with srv as the generator fake and the
// judge judge.
func (e *testEnv) judgeConfig(srv *httptest.Server) string {
	return e.withConfig(srv.URL+"/v1", fmt.Sprintf("\n[[backend]]\nname = \"judge\"\nrole = \"judge\"\nbase_url = %q\nmodel = \"j\"\n", srv.URL+"/v1"))
}

// keptRuns is the latest kept run of each key in db.
func keptRuns(t *testing.T, db string) []store.EvalRun {
	t.Helper()
	s := storetest.OpenAt(t, db)
	defer s.Close()
	runs, err := s.LatestEvalRuns()
	if err != nil {
		t.Fatal(err)
	}
	return runs
}

// The judge through the command line: a judge that always says A splits
// every pair of verdicts, so every prompt is a tie.
func TestEvalJudge(t *testing.T) {
	e := newTestEnv(t)
	db := e.demoDB()
	e.mustRun(ExitOK, "infer", "--db", db, "--backend", "heuristic")
	cfg := e.judgeConfig(alwaysAJudge(t, nil))
	r := e.mustRun(ExitOK, "eval", "--db", db, "--config", cfg, "--metric", "judge", "--backend", "fake", "--user", "terse-tom")
	for _, want := range []string{"Judge win rate — judge judge (j) on generator fake", "4 prompts: 0 wins, 4 ties, 0 losses; 0 with an unreadable verdict",
		"win rate 50.0%", "the same verdict in both orders 0/4", "answer A picked in 8 of 8 verdicts read"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
}

// Ctrl-C in the middle of a judge run: what was judged is printed, marked
// as interrupted, the metrics after it are not started, nothing is kept,
// and the exit status is 130.
func TestEvalInterruptedPrintsWhatWasMeasured(t *testing.T) {
	e := newTestEnv(t)
	db := e.demoDB()
	e.mustRun(ExitOK, "infer", "--db", db, "--backend", "heuristic")
	tests := []struct {
		name  string
		json  bool
		check func(t *testing.T, stdout string)
	}{
		{"text", false, func(t *testing.T, stdout string) {
			for _, want := range []string{"1 prompts: 0 wins, 1 ties, 0 losses", "1 done, 0 failed", "(interrupted: the numbers cover what was done)"} {
				if !strings.Contains(stdout, want) {
					t.Errorf("output lacks %q:\n%s", want, stdout)
				}
			}
			if strings.Contains(stdout, "Context saving") {
				t.Errorf("a metric after the interruption ran:\n%s", stdout)
			}
		}},
		{"json", true, func(t *testing.T, stdout string) {
			var out struct {
				Judge *struct {
					Items int `json:"items"`
					Ties  int `json:"ties"`
					Run   struct {
						Done        int             `json:"done"`
						Interrupted bool            `json:"interrupted"`
						Errors      json.RawMessage `json:"errors"`
					} `json:"run"`
				} `json:"judge"`
				Context *json.RawMessage `json:"context"`
			}
			if err := json.Unmarshal([]byte(stdout), &out); err != nil {
				t.Fatalf("%v:\n%s", err, stdout)
			}
			if j := out.Judge; j == nil || j.Items != 1 || j.Ties != 1 || j.Run.Done != 1 || !j.Run.Interrupted || string(j.Run.Errors) != "[]" || out.Context != nil {
				t.Errorf("json:\n%s", stdout)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			// The second prompt's first verdict is Ctrl-C: the first
			// prompt is judged, the second is cut short.
			srv := alwaysAJudge(t, func(n int64, r *http.Request) {
				if n >= 3 {
					cancel()
					select {
					case <-r.Context().Done():
					case <-time.After(5 * time.Second):
					}
				}
			})
			args := []string{"eval", "--db", db, "--config", e.judgeConfig(srv), "--metric", "judge,context", "--backend", "fake",
				"--user", "terse-tom", "--concurrency", "1"}
			if tt.json {
				args = append(args, "--json")
			}
			r := e.runCtx(ctx, "", args...)
			if r.code != ExitInterrupted {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, ExitInterrupted, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stderr, "eval interrupted (not run: context)") || !strings.Contains(r.stderr, "not kept") {
				t.Errorf("stderr = %q", r.stderr)
			}
			tt.check(t, r.stdout)
			if runs := keptRuns(t, db); len(runs) != 0 {
				t.Errorf("an interrupted run was kept: %+v", runs)
			}
		})
	}
}

// Kept runs are filed by the users asked for (in any order, each once):
// a run over some users is never the latest over all of them, and it says
// whom it covered.
func TestEvalKeepsRunsPerUserFilter(t *testing.T) {
	e := newTestEnv(t)
	db := e.demoDB()
	e.mustRun(ExitOK, "infer", "--db", db, "--backend", "heuristic")
	cfg := e.judgeConfig(alwaysAJudge(t, nil))
	judge := func(extra ...string) result {
		return e.mustRun(ExitOK, append([]string{"eval", "--db", db, "--config", cfg, "--metric", "judge", "--backend", "fake"}, extra...)...)
	}
	if r := judge("--user", "terse-tom"); !strings.Contains(r.stdout, "on generator fake: the answer with the summary against the answer with nothing, users: terse-tom") {
		t.Errorf("the filtered run does not say so:\n%s", r.stdout)
	}
	judge("--user", "terse-tom,bullet-ben")
	r := judge("--user", "bullet-ben", "--user", "terse-tom", "--user", "bullet-ben", "--json")
	if !strings.Contains(r.stdout, `"users":["bullet-ben","terse-tom"]`) {
		t.Errorf("json lacks the user filter:\n%s", r.stdout)
	}
	if r := judge("--json"); strings.Contains(r.stdout, `"users"`) {
		t.Errorf("a run over all users names users:\n%s", r.stdout)
	}
	var keys []string
	for _, run := range keptRuns(t, db) {
		keys = append(keys, run.Key)
	}
	want := []string{`judge judge/j generator=fake users=["terse-tom"]`, `judge judge/j generator=fake users=["bullet-ben" "terse-tom"]`, `judge judge/j generator=fake users=all`}
	if !slices.Equal(keys, want) {
		t.Errorf("kept keys %q, want %q", keys, want)
	}
}

// Only a run that went to the end is kept.
func TestEvalKeptRuns(t *testing.T) {
	tests := []struct {
		name string
		run  engine.Report
		err  error
		want bool
	}{
		{"finished", engine.Report{Progress: engine.Progress{Total: 2, Done: 2}}, nil, true},
		{"finished with failed items", engine.Report{Progress: engine.Progress{Total: 2, Done: 1, Failed: 1}}, nil, true},
		{"interrupted", engine.Report{Progress: engine.Progress{Total: 2, Done: 1}, Interrupted: true}, nil, false},
		{"ended in an error", engine.Report{Progress: engine.Progress{Total: 2, Done: 1}}, errors.New("reading the signals: disk gone"), false},
	}
	for _, tt := range tests {
		if got := kept(tt.run, tt.err); got != tt.want {
			t.Errorf("%s: kept = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// Lists in the JSON are [] when empty, never null.
func TestEvalRunJSONHasNoNullLists(t *testing.T) {
	tests := []struct {
		name string
		run  engine.Report
		want string
	}{
		{"no failures", engine.Report{}, `"errors":[]`},
		{"a failure", engine.Report{Errors: []engine.ErrorCount{{Reason: "HTTP 500", Count: 2, Example: "u1/p1"}}},
			`"errors":[{"reason":"HTTP 500","count":2,"example":"u1/p1"}]`},
	}
	for _, tt := range tests {
		data, err := json.Marshal(newRunJSON(tt.run))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), tt.want) {
			t.Errorf("%s: %s lacks %s", tt.name, data, tt.want)
		}
	}
}

// The engine is opened once for every metric: its notices go above the
// bar of the metric running when they come.
func TestEvalNoticesGoToTheRunningMetric(t *testing.T) {
	e := newTestEnv(t)
	var stderr strings.Builder
	c := &runContext{Env: Env{Stdout: io.Discard, Stderr: &stderr, Getenv: e.getenv, StderrIsTerminal: true}}
	w := &workspace{c: c, db: storetest.Open(t)}
	defer w.close()
	accuracy := w.progress("eval accuracy")
	first, err := w.engine() // made while the accuracy's bar runs
	if err != nil {
		t.Fatal(err)
	}
	judge := w.progress("eval judge")
	if again, err := w.engine(); err != nil || again != first {
		t.Fatalf("the judge's engine is %p (%v), want the one made for accuracy, %p", again, err, first)
	}
	judge.shown = true // the judge's bar is on the screen, the accuracy's is gone
	w.notice("backend judge: replica set aside")
	if want := "\r\x1b[2Kpopi-tui: backend judge: replica set aside\n"; stderr.String() != want {
		t.Errorf("stderr %q, want %q (the judge's bar cleared first)", stderr.String(), want)
	}
	if !judge.last.IsZero() || accuracy.last.IsZero() {
		t.Errorf("the notice went to the wrong bar: judge's redrawn at %v, accuracy's at %v", judge.last, accuracy.last)
	}
}

// Names read from the database reach the terminal sanitized, wherever
// they are printed.
func TestEvalPrintSanitizes(t *testing.T) {
	const evil = "\x1b]52;c;eA==\x07\x1b[2J"
	res := evalResult{
		Accuracy: &accuracyJSON{AccuracyReport: eval.AccuracyReport{Backend: "b" + evil, Model: "m" + evil, Summary: "current" + evil, Users: []string{"u1" + evil, "u2"},
			Rows: []eval.AccuracyRow{{Condition: "summary" + evil, Pairs: 1, Correct: 1, Accuracy: 1}, {Condition: "raw" + evil, Failed: 2,
				Errors: []engine.ErrorCount{{Reason: "backend b: HTTP 400: maximum context length" + evil, Count: 2, Example: "u1/p" + evil}}}},
			Reference: "ref" + evil, ReferenceModel: "rm" + evil, Datasets: []string{"d" + evil},
			ByDataset: []eval.AccuracyDataset{{Dataset: "d" + evil, Rows: []eval.AccuracyRow{{Condition: "summary" + evil, Pairs: 1}}}}},
			Run: newRunJSON(engine.Report{Errors: []engine.ErrorCount{{Reason: "r" + evil, Count: 1, Example: "e" + evil}}})},
		Judge: &judgeJSON{JudgeReport: eval.JudgeReport{Judge: "j" + evil, Items: 1, MalformedItems: 1, Users: []string{"u1" + evil},
			Malformed: []eval.MalformedVerdict{{Item: "u1/p" + evil, Order: "summary first" + evil, Answer: "a" + evil}}}},
		Context: &eval.ContextReport{Kinds: []eval.ContextKind{{Kind: "model" + evil}, {Kind: "human" + evil, Users: 1, RatioOfMeans: 2}}},
	}
	var out strings.Builder
	printEval(&out, res)
	for _, bad := range []string{"\x1b", "\x07", "]52;", "[2J"} {
		if strings.Contains(out.String(), bad) {
			t.Errorf("output has %q:\n%q", bad, out.String())
		}
	}
	for _, want := range []string{"summaries: current,", "users: u1, u2", "datasets: d", "reference ref (rm)", "  d        summary ", "  summary ", "  raw ", "  model ", "  human ", "(summary first)",
		"raw failed 2× (e.g. u1/p): backend b: HTTP 400: maximum context length"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// --dataset and --by reach context saving: the users of one dataset, and
// a row per dataset and kind of summary.
func TestEvalContextByDataset(t *testing.T) {
	e := newTestEnv(t)
	db := e.evalDB()
	r := e.mustRun(ExitOK, "eval", "--db", db, "--metric", "context", "--dataset", "ds-one", "--by", "dataset")
	for _, want := range []string{"Context saving — each user's newest summary of each kind with token counts, datasets: ds-one", "  ds-one   heuristic  1"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "ds-two") {
		t.Errorf("a dataset left out is reported:\n%s", r.stdout)
	}
}

// The pairs file is escaped as the exports are: characters a terminal
// acts on, from ids in the data, are \u escapes of the same strings.
func TestEvalPairsOutIsPrintSafe(t *testing.T) {
	e := newTestEnv(t)
	const evil = "u\u202e1\u0085\u2028"
	f := &evalFlags{pairsOut: e.path("pairs.jsonl")}
	var stderr strings.Builder
	c := &runContext{Env: Env{Stdout: io.Discard, Stderr: &stderr}}
	rep := eval.AccuracyReport{Pairs: []eval.PairScore{{User: evil, Pair: "p", Condition: "summary", Correct: 0.5}}}
	if err := f.writePairs(c, rep, nil); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(f.pairsOut)
	if err != nil {
		t.Fatal(err)
	}
	var got eval.PairScore
	if err := json.Unmarshal(data, &got); err != nil || got.User != evil || !strings.HasSuffix(string(data), "}\n") {
		t.Errorf("%q decodes to %+v (%v)", data, got, err)
	}
	for _, raw := range []string{"\u202e", "\u0085", "\u2028"} {
		if strings.Contains(string(data), raw) {
			t.Errorf("%q holds %q unescaped", data, raw)
		}
	}
	if !strings.Contains(string(data), `"user":"u\u202e1\u0085\u2028"`) {
		t.Errorf("%q lacks the escaped user", data)
	}
}
