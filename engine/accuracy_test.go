package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/engine/stats"
	"github.com/popi-tui/popi-tui/engine/vllmtest"
	"github.com/popi-tui/popi-tui/store"
)

// accuracyScores are the log-probabilities the fake model gives each
// held-out response under each condition, chosen so that the expected
// accuracy is known exactly (worked out in TestAccuracyIsExact).
var accuracyScores = map[string]map[string]float64{
	// u1: the summary helps (r_w = 4 > r_l = 1); raw hurts (−2 < 1).
	"alpha answer one": {"none": -10, "summary": -6, "raw": -12},
	"beta answer one":  {"none": -10, "summary": -9, "raw": -9},
	// u2: the summary hurts (−1 < 3); raw helps (3 > 0).
	"gamma answer two": {"none": -8, "summary": -9, "raw": -5},
	"delta answer two": {"none": -8, "summary": -5, "raw": -8},
	// u3: ties under both, up to the last bits of the decimals.
	"epsilon answer three": {"none": -3.1, "summary": -4.0, "raw": -3.0},
	"zeta answer three":    {"none": -1.2, "summary": -2.1, "raw": -1.1},
	// u4 has no summary: raw only (1 > −1).
	"eta answer four":   {"none": -5, "raw": -4},
	"theta answer four": {"none": -5, "raw": -6},
	// u5: vLLM writes −inf as −9999.0 (0 > −9992); raw ties.
	"iota answer five":  {"none": -7, "summary": -7, "raw": -7},
	"kappa answer five": {"none": -7, "summary": -9999, "raw": -7},
}

// accuracyDB holds five users, each with two history pairs and one
// held-out pair, and a model summary for all but u4.
func accuracyDB(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "popi.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	held := map[string][2]string{
		"u1": {"alpha answer one", "beta answer one"}, "u2": {"gamma answer two", "delta answer two"},
		"u3": {"epsilon answer three", "zeta answer three"}, "u4": {"eta answer four", "theta answer four"},
		"u5": {"iota answer five", "kappa answer five"},
	}
	var in strings.Builder
	for _, u := range []string{"u1", "u2", "u3", "u4", "u5"} {
		for i := range 2 {
			fmt.Fprintf(&in, `{"user":%q,"kind":"pair","prompt":"history question %d of %s","chosen":"short reply","rejected":"long reply %d"}`+"\n", u, i, u, i)
		}
		fmt.Fprintf(&in, `{"user":%q,"kind":"pair","split":"heldout","prompt":"held question of %s","chosen":%q,"rejected":%q}`+"\n", u, u, held[u][0], held[u][1])
	}
	if _, err := db.Import(context.Background(), "accuracy.jsonl", strings.NewReader(in.String()), store.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"u1", "u2", "u3", "u5"} {
		if _, err := db.AddSummary(store.Summary{User: u, Text: "Likes short replies for " + u + ".", Source: "vllm/fake-vllm"}); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// newScoringFake is a fake vLLM giving accuracyScores, that tells the
// conditions by the generator's own headings.
func newScoringFake(t testing.TB) *vllmtest.Server {
	f := vllmtest.New(t, accuracyScores)
	f.Condition = func(prompt string) string {
		switch {
		case strings.Contains(prompt, generatorSummaryHeading):
			return store.ConditionSummary
		case strings.Contains(prompt, summarizerExamplesHeading):
			return store.ConditionRaw
		}
		return store.ConditionNone
	}
	return f
}

func scoringEngine(db *store.DB, url string, concurrency int) *Engine {
	return New(db, Config{MaxAttempts: 1, Concurrency: 4 * concurrency, Backends: []BackendConfig{{Name: "vllm", Kind: KindOpenAI,
		Roles: []string{RoleGenerator}, BaseURLs: []string{url + "/v1"}, Model: "fake-vllm", Concurrency: concurrency, Timeout: 10 * time.Second}}}, Options{})
}

// The accuracy of each condition is what the log-probabilities make it,
// whichever shape the server answers in and whether it takes batches.
func TestAccuracyIsExact(t *testing.T) {
	want := map[string]AccuracyRow{
		// correct u1, u5; wrong u2; tie u3; u4 has no summary.
		"summary": {Condition: "summary", Pairs: 4, Correct: 2, Ties: 1, Wrong: 1, Accuracy: 0.625, Skipped: 1},
		// correct u2, u4; wrong u1; ties u3, u5.
		"raw": {Condition: "raw", Pairs: 5, Correct: 2, Ties: 2, Wrong: 1, Accuracy: 0.6},
		// the reference against itself: every pair a tie.
		"none": {Condition: "none", Pairs: 5, Ties: 5, Accuracy: 0.5},
	}
	tests := []struct {
		name       string
		shape      string
		singleOnly bool
		generates  bool // refuses max_tokens 0
		onRequest  bool // prompt log-probabilities only when prompt_logprobs is asked for
		recipe     int  // the index in scoreRecipes the engine should settle on
		// batchStatus is how a one-prompt-per-request server refuses a
		// batch (400 when 0).
		batchStatus int
	}{
		{"token_logprobs, batched", "token_logprobs", false, false, false, 0, 0},
		{"prompt_logprobs, batched", "prompt_logprobs", false, false, false, 0, 0},
		{"token_logprobs, one prompt per request", "token_logprobs", true, false, false, 0, 0},
		{"prompt_logprobs, one prompt per request", "prompt_logprobs", true, false, false, 0, 0},
		{"one prompt per request, batches refused with 422", "token_logprobs", true, false, false, 0, http.StatusUnprocessableEntity},
		{"one prompt per request, batches refused with 501", "token_logprobs", true, false, false, 0, http.StatusNotImplemented},
		{"token_logprobs, max_tokens 0 refused", "token_logprobs", false, true, false, 1, 0},
		{"prompt_logprobs on request only", "prompt_logprobs", false, false, true, 2, 0},
		{"prompt_logprobs on request only, max_tokens 0 refused, one prompt per request", "prompt_logprobs", true, true, true, 2, 0},
		{"logprobs 0 refused", "token_logprobs", false, false, false, 3, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := accuracyDB(t)
			f := newScoringFake(t)
			f.Shape, f.SingleOnly, f.Generates, f.PromptLogprobsOnRequest, f.BatchStatus = tt.shape, tt.singleOnly, tt.generates, tt.onRequest, tt.batchStatus
			f.TopAtLeastOne = tt.recipe == 3
			e := scoringEngine(db, f.URL(), 4)
			defer e.Close()
			rep, err := e.Accuracy(context.Background(), AccuracyOptions{Backend: "vllm", Conditions: []string{"summary", "raw", "none"}, Concurrency: 3}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Run.Failed != 0 || rep.Run.Done != 5 || rep.HeldoutPairs != 5 {
				t.Fatalf("run: %+v", rep.Run)
			}
			if len(rep.Rows) != 3 {
				t.Fatalf("rows: %+v", rep.Rows)
			}
			for _, got := range rep.Rows {
				w := want[got.Condition]
				if got.Pairs != w.Pairs || got.Correct != w.Correct || got.Ties != w.Ties || got.Wrong != w.Wrong || got.Skipped != w.Skipped ||
					got.Accuracy != w.Accuracy {
					t.Errorf("%s: %+v, want %+v", got.Condition, got, w)
				}
				lo, hi := stats.Wilson(float64(got.Correct)+float64(got.Ties)/2, got.Pairs)
				if got.Low != lo || got.High != hi || !(lo < got.Accuracy && got.Accuracy < hi) {
					t.Errorf("%s: interval [%v, %v], want Wilson's [%v, %v] around %v", got.Condition, got.Low, got.High, lo, hi, got.Accuracy)
				}
				if ctx := expectedContext(t, db, f, got.Condition); math.Abs(got.MeanContextTokens-ctx) > 1e-9 {
					t.Errorf("%s: mean context %v tokens, want %v", got.Condition, got.MeanContextTokens, ctx)
				}
			}
			if ob := e.backends[0].chat.(*openAIBackend); ob.scoreSingly != tt.singleOnly || ob.scoreRecipe != tt.recipe {
				t.Errorf("learnt scoreSingly = %v, recipe %d on a server that takes batches: %v and recipe %d", ob.scoreSingly, ob.scoreRecipe, !tt.singleOnly, tt.recipe)
			}
		})
	}
}

// A condition the server refuses (its prompts are longer than the model's
// context) fails alone: the other conditions' numbers are what they are
// without it, and the reason is reported on its row.
func TestAccuracyConditionFailsAlone(t *testing.T) {
	db := accuracyDB(t)
	f := newScoringFake(t)
	// Longer than every summary sequence, shorter than every raw one.
	summaryMax, rawMin := 0, math.MaxInt
	for _, u := range []string{"u1", "u2", "u3", "u4", "u5"} {
		signals, _ := db.Signals(u)
		sum, hasSummary, _ := db.CurrentSummary(u)
		for _, s := range signals {
			if s.Split != store.SplitHeldout {
				continue
			}
			for _, c := range []string{store.ConditionSummary, store.ConditionRaw} {
				if c == store.ConditionSummary && !hasSummary {
					continue
				}
				msgs, _ := generatorMessages(c, s.Prompt, sum.Text, selectHistory(signals, DefaultHistoryBudget))
				for _, y := range []string{s.Chosen, s.Rejected} {
					n := len(f.Render(msgs, true, false)) + len(strings.Fields(y))
					if c == store.ConditionSummary {
						summaryMax = max(summaryMax, n)
					} else {
						rawMin = min(rawMin, n)
					}
				}
			}
		}
	}
	if summaryMax >= rawMin {
		t.Fatalf("no context length splits the conditions: summary up to %d tokens, raw from %d", summaryMax, rawMin)
	}
	f.MaxModelLen = summaryMax
	e := scoringEngine(db, f.URL(), 4)
	defer e.Close()
	rep, err := e.Accuracy(context.Background(), AccuracyOptions{Backend: "vllm", Conditions: []string{"summary", "raw"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Run.Done != 5 || rep.Run.Failed != 0 || len(rep.Rows) != 2 {
		t.Fatalf("run %+v, rows %+v", rep.Run, rep.Rows)
	}
	sum, raw := rep.Rows[0], rep.Rows[1]
	if sum.Pairs != 4 || sum.Correct != 2 || sum.Ties != 1 || sum.Wrong != 1 || sum.Accuracy != 0.625 || sum.Failed != 0 {
		t.Errorf("summary: %+v; want what it is without raw (4 pairs, 0.625)", sum)
	}
	if raw.Pairs != 0 || raw.Failed != 5 || len(raw.Errors) != 1 || raw.Errors[0].Count != 5 ||
		!strings.Contains(raw.Errors[0].Reason, "maximum context length") || !strings.Contains(raw.Errors[0].Reason, "HTTP 400") {
		t.Errorf("raw: %+v; want 5 failed for the context length", raw)
	}
	if lo, hi := raw.Low, raw.High; lo != 0 || hi != 1 {
		t.Errorf("raw with no pairs: interval [%v, %v], want [0, 1]", lo, hi)
	}
}

// A moment's overload of a batch fails that request like any other, and
// does not make the backend ask one sequence at a time from then on.
func TestAccuracyTransientErrorKeepsBatches(t *testing.T) {
	db := accuracyDB(t)
	f := newScoringFake(t)
	f.FailCalls = map[int]int{3: http.StatusServiceUnavailable} // a pair's request: the probe is the first
	e := scoringEngine(db, f.URL(), 1)
	defer e.Close()
	rep, err := e.Accuracy(context.Background(), AccuracyOptions{Backend: "vllm", Conditions: []string{"summary", "raw"}, Concurrency: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Run.Done != 4 || rep.Run.Failed != 1 || len(rep.Run.Errors) != 1 || !strings.Contains(rep.Run.Errors[0].Reason, "HTTP 503") {
		t.Errorf("run %+v; want the pair hit by the 503 failed with it, the rest done", rep.Run)
	}
	if ob := e.backends[0].chat.(*openAIBackend); ob.scoreSingly {
		t.Error("one 503 made the backend score one sequence per request")
	}
	if n := f.ScoreCalls.Load(); n != 11 {
		t.Errorf("%d scoring requests, want 11 (the probe, then two a pair)", n)
	}
}

// A server that is down or refuses the key is not called one that cannot
// score: the error says what is wrong, and trying again may work.
func TestCheckScoringTellsDownFromCannot(t *testing.T) {
	tests := []struct {
		name   string
		status int
		want   string
	}{
		{"overloaded", http.StatusServiceUnavailable, "HTTP 503"},
		{"wrong key", http.StatusUnauthorized, "HTTP 401"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newScoringFake(t)
			f.Override = map[string]http.HandlerFunc{"/v1/completions": func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				fmt.Fprint(w, `{"object":"error","message":"not now"}`)
			}}
			e := scoringEngine(accuracyDB(t), f.URL(), 2)
			defer e.Close()
			err := e.CheckScoring(context.Background(), "vllm")
			if err == nil || errors.Is(err, ErrCannotScore) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "backend vllm") ||
				strings.Count(err.Error(), tt.want) != 1 {
				t.Errorf("CheckScoring = %v; want the %s, not ErrCannotScore", err, tt.want)
			}
		})
	}
}

// expectedContext is the mean token length of the prompts the condition's
// pairs were scored after, rendered by the fake's template.
func expectedContext(t *testing.T, db *store.DB, f *vllmtest.Server, condition string) float64 {
	t.Helper()
	total, n := 0, 0
	for _, u := range []string{"u1", "u2", "u3", "u4", "u5"} {
		signals, err := db.Signals(u)
		if err != nil {
			t.Fatal(err)
		}
		sum, ok, _ := db.CurrentSummary(u)
		if condition == store.ConditionSummary && !ok {
			continue
		}
		for _, s := range signals {
			if s.Split != store.SplitHeldout {
				continue
			}
			msgs, err := generatorMessages(condition, s.Prompt, sum.Text, selectHistory(signals, DefaultHistoryBudget))
			if err != nil {
				t.Fatal(err)
			}
			total += len(f.Render(msgs, true, false))
			n++
		}
	}
	return float64(total) / float64(n)
}

// Each pair's two scoring requests go at once; the pairs go through the
// batch runner.
func TestAccuracyScoresAPairsResponsesConcurrently(t *testing.T) {
	db := accuracyDB(t)
	f := newScoringFake(t)
	f.Latency = 50 * time.Millisecond
	e := scoringEngine(db, f.URL(), 8)
	defer e.Close()
	before := f.ScoreCalls.Load()
	rep, err := e.Accuracy(context.Background(), AccuracyOptions{Backend: "vllm", Concurrency: 1, Users: []string{"u1", "u2"}}, nil)
	if err != nil || rep.Run.Done != 2 {
		t.Fatalf("%+v, %v", rep.Run, err)
	}
	if n := f.ScoreCalls.Load() - before; n != 5 {
		t.Errorf("%d scoring requests for 2 pairs, want 5 (a probe, then two a pair)", n)
	}
	if m := f.MaxInflight.Load(); m != 2 {
		t.Errorf("at most %d scoring requests at once with one pair at a time, want 2", m)
	}
}

// A server that cannot score given responses is refused before the run,
// with the backend, the status and what is needed.
func TestAccuracyRefusesAServerThatCannotScore(t *testing.T) {
	tests := []struct {
		name     string
		override map[string]http.HandlerFunc
		want     []string
	}{
		{"no /tokenize (Ollama)", map[string]http.HandlerFunc{"/tokenize": http.NotFound},
			[]string{"backend vllm", "HTTP 404", "vLLM", "Ollama"}},
		{"/tokenize of text only (llama.cpp)", map[string]http.HandlerFunc{"/tokenize": func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"tokens":[]}`) // llama.cpp reads "content" and ignores messages
		}}, []string{"backend vllm", "no tokens for chat messages", "llama.cpp"}},
		{"no echo", map[string]http.HandlerFunc{"/v1/completions": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":{"code":400,"message":"'echo' is not supported","type":"invalid_request_error"}}`)
		}}, []string{"backend vllm", "HTTP 400", "'echo' is not supported"}},
		{"echo without log-probabilities", map[string]http.HandlerFunc{"/v1/completions": func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"choices":[{"index":0,"text":"hello","logprobs":null}]}`)
		}}, []string{"no log-probabilities of the prompt's tokens"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newScoringFake(t)
			f.Override = tt.override
			db := accuracyDB(t)
			e := scoringEngine(db, f.URL(), 2)
			defer e.Close()
			_, err := e.Accuracy(context.Background(), AccuracyOptions{Backend: "vllm"}, nil)
			if !errors.Is(err, ErrCannotScore) {
				t.Fatalf("err = %v, want ErrCannotScore", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q lacks %q", err, w)
				}
			}
		})
	}
	db := accuracyDB(t)
	e := New(db, Config{}, Options{})
	if _, err := e.Accuracy(context.Background(), AccuracyOptions{Backend: ReplayName}, nil); !errors.Is(err, ErrCannotScore) {
		t.Errorf("the offline replay generator: %v", err)
	}
}

// popi-tui backends says a server can score when eval can use it, in any
// of the ways scoring asks, and not otherwise.
func TestCheckReportsPromptLogprobs(t *testing.T) {
	noLogprobs := func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"choices":[{"index":0,"text":" It","logprobs":{"token_logprobs":[-0.3],"tokens":[" It"]}}]}`)
	}
	noEcho := func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"error":{"code":400,"message":"'echo' is not supported","type":"invalid_request_error"}}`)
	}
	tests := []struct {
		name      string
		shape     string
		onRequest bool
		override  http.HandlerFunc
		want      bool
	}{
		{"echo", "token_logprobs", false, nil, true},
		{"prompt_logprobs", "prompt_logprobs", false, nil, true},
		{"prompt_logprobs on request only", "prompt_logprobs", true, nil, true},
		{"generated tokens only (Ollama)", "token_logprobs", false, noLogprobs, false},
		{"no echo (llama.cpp)", "token_logprobs", false, noEcho, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newScoringFake(t)
			f.Shape, f.PromptLogprobsOnRequest = tt.shape, tt.onRequest
			if tt.override != nil {
				f.Override = map[string]http.HandlerFunc{"/v1/completions": tt.override}
			}
			e := scoringEngine(accuracyDB(t), f.URL(), 2)
			defer e.Close()
			h := e.Check(context.Background(), "vllm")
			if len(h.Replicas) != 1 || h.Replicas[0].PromptLogprobs != tt.want || !h.Replicas[0].Tokenize {
				t.Errorf("Check = %+v; want prompt log-probabilities %v", h, tt.want)
			}
		})
	}
}

func TestAccuracyOptionsAreChecked(t *testing.T) {
	db := accuracyDB(t)
	f := newScoringFake(t)
	e := scoringEngine(db, f.URL(), 2)
	defer e.Close()
	tests := []struct {
		opt  AccuracyOptions
		want string
	}{
		{AccuracyOptions{Backend: "vllm", Summary: "newest"}, `unknown summary "newest"`},
		{AccuracyOptions{Backend: "vllm", Conditions: []string{"persona"}}, `unknown condition "persona"`},
		{AccuracyOptions{Backend: "nope"}, `nope`},
	}
	for _, tt := range tests {
		if _, err := e.Accuracy(context.Background(), tt.opt, nil); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: err %v, want %q", tt.opt, err, tt.want)
		}
	}
}

// --summary picks which version conditions the summary condition.
func TestAccuracySummaryKinds(t *testing.T) {
	db := accuracyDB(t)
	// u1: a person's edit after the model's; u2: a heuristic one.
	for _, s := range []store.Summary{{User: "u1", Text: "Edited by hand.", Source: store.SourceHuman}, {User: "u2", Text: "Baseline.", Source: store.SourceHeuristic}} {
		if _, err := db.AddSummary(s); err != nil {
			t.Fatal(err)
		}
	}
	e := New(db, Config{}, Options{})
	tests := []struct {
		user, kind string
		want       string
		ok         bool
	}{
		{"u1", SummaryCurrent, "Edited by hand.", true},
		{"u1", SummaryModel, "Likes short replies for u1.", true},
		{"u1", SummaryHuman, "Edited by hand.", true},
		{"u1", SummaryHeuristic, "", false},
		{"u2", SummaryHeuristic, "Baseline.", true},
		{"u4", SummaryCurrent, "", false},
	}
	for _, tt := range tests {
		s, ok, err := e.summaryOfKind(tt.user, tt.kind)
		if err != nil || ok != tt.ok || s.Text != tt.want {
			t.Errorf("%s %s: %q %v %v, want %q %v", tt.user, tt.kind, s.Text, ok, err, tt.want, tt.ok)
		}
	}
}

// The response's tokens are what the continued conversation adds to the
// prompt, token for token.
func TestResponseTokens(t *testing.T) {
	tests := []struct {
		name              string
		prompt, continued []int
		want              []int
		err               bool
	}{
		{"extends", []int{1, 2, 3}, []int{1, 2, 3, 7, 8}, []int{7, 8}, false},
		{"one token", []int{1}, []int{1, 9}, []int{9}, false},
		{"differs inside", []int{1, 2, 3}, []int{1, 5, 3, 7}, nil, true},
		{"nothing added", []int{1, 2}, []int{1, 2}, nil, true},
		{"shorter", []int{1, 2, 3}, []int{1, 2}, nil, true},
	}
	for _, tt := range tests {
		got, err := responseTokens(tt.prompt, tt.continued)
		if (err != nil) != tt.err || fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s: %v, %v; want %v (error %v)", tt.name, got, err, tt.want, tt.err)
		}
	}
}

// Only the response's log-probabilities are added: from From on, not the
// prompt's, nor a token the server generated after.
func TestSumFrom(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	tests := []struct {
		name string
		lps  []*float64
		seq  scoreSeq
		want float64
		err  bool
	}{
		{"response only", []*float64{nil, f(-1), f(-2), f(-0.5), f(-0.25)}, scoreSeq{IDs: []int{1, 2, 3, 4, 5}, From: 3}, -0.75, false},
		{"a generated token after", []*float64{nil, f(-1), f(-0.5), f(-7)}, scoreSeq{IDs: []int{1, 2, 3}, From: 2}, -0.5, false},
		{"-inf as -9999", []*float64{nil, f(-1), f(negInfLogprob)}, scoreSeq{IDs: []int{1, 2, 3}, From: 2}, -9999, false},
		{"a null inside", []*float64{nil, f(-1), nil}, scoreSeq{IDs: []int{1, 2, 3}, From: 1}, 0, true},
		{"too few", []*float64{nil, f(-1)}, scoreSeq{IDs: []int{1, 2, 3}, From: 1}, 0, true},
	}
	for _, tt := range tests {
		got, err := sumFrom(tt.lps, tt.seq)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("%s: %v, %v; want %v (error %v)", tt.name, got, err, tt.want, tt.err)
		}
	}
}

// The token-span arithmetic: after tokenizing the prompt and the
// conversation continued by the response, the score is the response's
// log-probability and nothing of the prompt's (whose tokens the fake
// scores too, at −0.25 each).
func TestScoreSequencesSumsTheResponseOnly(t *testing.T) {
	// Whatever recipe the server needs, only the response's tokens count:
	// not the prompt's, nor a token a server generates anyway.
	servers := []struct {
		name      string
		shape     string
		generates bool
		onRequest bool
		top1      bool // refuses logprobs 0
	}{
		{"echo", "token_logprobs", false, false, false},
		{"echo, max_tokens 0 refused", "token_logprobs", true, false, false},
		{"prompt_logprobs", "prompt_logprobs", false, false, false},
		{"prompt_logprobs on request, max_tokens 0 refused", "prompt_logprobs", true, true, false},
		{"prompt_logprobs on request, logprobs 0 refused", "prompt_logprobs", false, true, true},
	}
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			f := newScoringFake(t)
			f.Shape, f.Generates, f.PromptLogprobsOnRequest, f.TopAtLeastOne = srv.shape, srv.generates, srv.onRequest, srv.top1
			checkResponseSums(t, f)
		})
	}
}

func checkResponseSums(t *testing.T, f *vllmtest.Server) {
	db := accuracyDB(t)
	e := scoringEngine(db, f.URL(), 2)
	defer e.Close()
	ob := e.backends[0].chat.(*openAIBackend)
	ctx := context.Background()
	tests := []struct {
		condition, response string
		want                float64
	}{
		{store.ConditionNone, "alpha answer one", -10},
		{store.ConditionSummary, "alpha answer one", -6},
		{store.ConditionRaw, "beta answer one", -9},
		{store.ConditionSummary, "kappa answer five", -9999},
	}
	signals, err := db.Signals("u1")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		msgs, err := generatorMessages(tt.condition, "held question", "A summary that prefers brevity.", selectHistory(signals, DefaultHistoryBudget))
		if err != nil {
			t.Fatal(err)
		}
		p, err := ob.tokenizeChat(ctx, msgs, false)
		if err != nil {
			t.Fatal(err)
		}
		full, err := ob.tokenizeChat(ctx, append(msgs, store.Message{Role: "assistant", Content: tt.response}), true)
		if err != nil {
			t.Fatal(err)
		}
		y, err := responseTokens(p, full)
		if err != nil || len(y) != len(strings.Fields(tt.response)) {
			t.Fatalf("%s: response tokens %v, %v", tt.response, y, err)
		}
		sums, errs := ob.scoreSequences(ctx, []scoreSeq{{IDs: append(p, y...), From: len(p)}, {IDs: append(p, y...), From: len(p) - 2}})
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		if math.Abs(sums[0]-tt.want) > 1e-9 {
			t.Errorf("%s after %s: %v, want %v", tt.response, tt.condition, sums[0], tt.want)
		}
		if math.Abs(sums[1]-(tt.want+2*vllmtest.PromptLogprob)) > 1e-9 {
			t.Errorf("%s after %s from two tokens earlier: %v, want %v", tt.response, tt.condition, sums[1], tt.want+2*vllmtest.PromptLogprob)
		}
	}
}
