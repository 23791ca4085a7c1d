package eval

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/engine/eval/stats"
	"github.com/popi-tui/popi-tui/engine/vllmtest"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
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
	db := storetest.Open(t)
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

// newScoringFake is a fake vLLM giving accuracyScores. It tells the
// conditions apart by the generator's wording as the fake does by
// default: the summary condition's heading says what the user "prefers",
// the raw condition's task what they "chose".
func newScoringFake(t testing.TB) *vllmtest.Server {
	return vllmtest.New(t, accuracyScores)
}

// generatorMessages is what the generator backend is sent for a held-out
// pair's prompt under a condition, with summary.
func generatorMessages(t testing.TB, e *engine.Engine, backend, condition string, pair store.Signal, summary string, signals []store.Signal) []store.Message {
	t.Helper()
	set, err := e.Prompts(backend)
	if err != nil {
		t.Fatal(err)
	}
	d, err := e.PromptData(backend, pair.User, signals)
	if err != nil {
		t.Fatal(err)
	}
	d.Prompt, d.Summary = pair.Prompt, summary
	msgs, err := set.Generator(condition, d)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

// scoringEngine is an engine with one generator, "vllm", on the fake at
// url.
func scoringEngine(db *store.DB, url string, concurrency int) *engine.Engine {
	return engine.New(db, engine.Config{MaxAttempts: 1, Concurrency: 4 * concurrency, Backends: []engine.BackendConfig{{Name: "vllm", Kind: engine.KindOpenAI,
		Roles: []string{engine.RoleGenerator}, BaseURLs: []string{url + "/v1"}, Model: "fake-vllm", Concurrency: concurrency, Timeout: 10 * time.Second}}}, engine.Options{})
}

// The accuracy of each condition is what the log-probabilities make it,
// whichever shape the server answers in and whether it takes batches.
// (What the engine learns of each build is tested with the scoring, in
// engine's TestScorePairOnEveryBuild.)
func TestAccuracyIsExact(t *testing.T) {
	want := map[string]AccuracyRow{
		// correct u1, u5; wrong u2; tie u3; u4 has no summary.
		"summary": {Condition: "summary", Pairs: 4, Correct: 2, Ties: 1, Wrong: 1, Accuracy: 0.625, Skipped: 1},
		// correct u2, u4; wrong u1; ties u3, u5.
		"raw": {Condition: "raw", Pairs: 5, Correct: 2, Ties: 2, Wrong: 1, Accuracy: 0.6},
		// the reference against itself: every pair a tie.
		"none": {Condition: "none", Pairs: 5, Ties: 5, Accuracy: 0.5},
	}
	for _, build := range vllmtest.Builds {
		t.Run(build.Name, func(t *testing.T) {
			db := accuracyDB(t)
			f := newScoringFake(t)
			f.Be(build)
			e := scoringEngine(db, f.URL(), 4)
			defer e.Close()
			rep, err := Accuracy(context.Background(), e, AccuracyOptions{Backend: "vllm", Conditions: []string{"summary", "raw", "none"}, Concurrency: 3}, nil)
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
				if ctx := expectedContext(t, e, f, got.Condition); math.Abs(got.MeanContextTokens-ctx) > 1e-9 {
					t.Errorf("%s: mean context %v tokens, want %v", got.Condition, got.MeanContextTokens, ctx)
				}
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
	e := scoringEngine(db, f.URL(), 4)
	defer e.Close()
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
				msgs := generatorMessages(t, e, "vllm", c, s, sum.Text, signals)
				for _, y := range []string{s.Chosen, s.Rejected} {
					n := len(f.Render(msgs, true, false)) + len(strings.Fields(y)) + 1 // and the end of turn
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
	rep, err := Accuracy(context.Background(), e, AccuracyOptions{Backend: "vllm", Conditions: []string{"summary", "raw"}}, nil)
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
	rep, err := Accuracy(context.Background(), e, AccuracyOptions{Backend: "vllm", Conditions: []string{"summary", "raw"}, Concurrency: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Run.Done != 4 || rep.Run.Failed != 1 || len(rep.Run.Errors) != 1 || !strings.Contains(rep.Run.Errors[0].Reason, "HTTP 503") {
		t.Errorf("run %+v; want the pair hit by the 503 failed with it, the rest done", rep.Run)
	}
	// Two a pair after the 503 too: a backend that had taken it for a
	// refusal of batches would ask each pair's sequences one at a time
	// (three or two requests a response) from then on.
	if n := f.ScoreCalls.Load(); n != 11 {
		t.Errorf("%d scoring requests, want 11 (the probe, then two a pair): one 503 made the backend score one sequence per request", n)
	}
}

// expectedContext is the mean token length of the prompts the condition's
// pairs were scored after, rendered by the fake's template.
func expectedContext(t *testing.T, e *engine.Engine, f *vllmtest.Server, condition string) float64 {
	t.Helper()
	total, n := 0, 0
	for _, u := range []string{"u1", "u2", "u3", "u4", "u5"} {
		signals, err := e.DB().Signals(u)
		if err != nil {
			t.Fatal(err)
		}
		sum, ok, _ := e.DB().CurrentSummary(u)
		if condition == store.ConditionSummary && !ok {
			continue
		}
		for _, s := range signals {
			if s.Split != store.SplitHeldout {
				continue
			}
			msgs := generatorMessages(t, e, "vllm", condition, s, sum.Text, signals)
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
	rep, err := Accuracy(context.Background(), e, AccuracyOptions{Backend: "vllm", Concurrency: 1, Users: []string{"u1", "u2"}}, nil)
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
			_, err := Accuracy(context.Background(), e, AccuracyOptions{Backend: "vllm"}, nil)
			if !errors.Is(err, engine.ErrCannotScore) {
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
	e := engine.New(db, engine.Config{}, engine.Options{})
	if _, err := Accuracy(context.Background(), e, AccuracyOptions{Backend: engine.ReplayName}, nil); !errors.Is(err, engine.ErrCannotScore) {
		t.Errorf("the offline replay generator: %v", err)
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
		{AccuracyOptions{Backend: "vllm", Reference: "nope"}, `the reference model: no backend named "nope"`},
		{AccuracyOptions{Backend: "vllm", Beta: -0.1}, `β must be a positive number, not -0.1`},
		{AccuracyOptions{Backend: "vllm", Beta: math.NaN()}, `β must be a positive number, not NaN`},
		{AccuracyOptions{Backend: "vllm", Beta: math.Inf(1)}, `β must be a positive number, not +Inf`},
	}
	for _, tt := range tests {
		if _, err := Accuracy(context.Background(), e, tt.opt, nil); err == nil || !strings.Contains(err.Error(), tt.want) {
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
		s, ok, err := summaryOfKind(db, tt.user, tt.kind)
		if err != nil || ok != tt.ok || s.Text != tt.want {
			t.Errorf("%s %s: %q %v %v, want %q %v", tt.user, tt.kind, s.Text, ok, err, tt.want, tt.ok)
		}
	}
}
