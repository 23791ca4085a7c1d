package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/engine/vllmtest"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
)

// Scoring given responses (score.go, score_pair.go) against the fake vLLM
// of engine/vllmtest. Preference accuracy, which is built on it, is
// tested in engine/eval.

// pairHistory is the history of the test pair's user: two pairs.
func pairHistory() PromptData {
	var signals []store.Signal
	for i := range 2 {
		signals = append(signals, store.Signal{ID: fmt.Sprint("h", i), Kind: store.KindPair, Split: store.SplitHistory, Seq: uint64(i + 1),
			Prompt: fmt.Sprint("history question ", i), Chosen: "short reply", Rejected: fmt.Sprint("long reply ", i)})
	}
	return historyData("u", signals, DefaultHistoryBudget, nil)
}

// newScoringFake is a fake vLLM giving scores, that tells the conditions
// by the generator's own headings.
func newScoringFake(t testing.TB, scores map[string]map[string]float64) *vllmtest.Server {
	f := vllmtest.New(t, scores)
	f.Condition = func(prompt string) string {
		switch {
		case strings.Contains(prompt, "# What this user prefers"):
			return store.ConditionSummary
		case strings.Contains(prompt, "# How this user chose between two responses"):
			return store.ConditionRaw
		}
		return store.ConditionNone
	}
	return f
}

// pairScores are the log-probabilities the fake model gives the test
// pair's responses under each condition.
var pairScores = map[string]map[string]float64{
	"alpha answer one": {"none": -10, "summary": -6, "raw": -12},
	"beta answer one":  {"none": -10, "summary": -9, "raw": -9},
	// vLLM writes −inf as −9999.0.
	"kappa answer five": {"none": -7, "summary": -9999, "raw": -7},
}

// scoringServer is an engine with one generator, "vllm", on the fake at
// url, and that generator as a Server.
func scoringServer(t *testing.T, url string, concurrency int) (*Engine, *Server) {
	t.Helper()
	e := New(storetest.DemoDB(t), Config{MaxAttempts: 1, Concurrency: 4 * concurrency, Backends: []BackendConfig{{Name: "vllm", Kind: KindOpenAI,
		Roles: []string{RoleGenerator}, BaseURLs: []string{url + "/v1"}, Model: "fake-vllm", Concurrency: concurrency, Timeout: 10 * time.Second}}}, Options{})
	t.Cleanup(e.Close)
	srv, err := e.Server("vllm", RoleGenerator)
	if err != nil {
		t.Fatal(err)
	}
	return e, srv
}

// A pair is scored exactly after every prompt whichever build of vLLM
// answers, and the engine learns how to ask it: whether it takes batches,
// and which recipe it answers.
func TestScorePairOnEveryBuild(t *testing.T) {
	conditions := []string{store.ConditionNone, store.ConditionSummary, store.ConditionRaw}
	var prompts [][]store.Message
	for _, c := range conditions {
		msgs, err := builtinGenerator(c, "held question", "A summary that prefers brevity.", pairHistory())
		if err != nil {
			t.Fatal(err)
		}
		prompts = append(prompts, msgs)
	}
	for _, build := range vllmtest.Builds {
		t.Run(build.Name, func(t *testing.T) {
			f := newScoringFake(t, pairScores)
			f.Be(build)
			_, srv := scoringServer(t, f.URL(), 4)
			for range 2 { // the second time as the engine has learnt to ask
				sc, err := srv.ScorePair(context.Background(), prompts, "alpha answer one", "beta answer one", ScoreOptions{})
				if err != nil {
					t.Fatal(err)
				}
				for i, c := range conditions {
					chosen, rejected := pairScores["alpha answer one"][c], pairScores["beta answer one"][c]
					if math.Abs(sc.Chosen[i]-chosen) > 1e-9 || math.Abs(sc.Rejected[i]-rejected) > 1e-9 || sc.Errs[i] != nil {
						t.Errorf("after %s: chosen %v, rejected %v (%v); want %v and %v", c, sc.Chosen[i], sc.Rejected[i], sc.Errs[i], chosen, rejected)
					}
					if want := len(f.Render(prompts[i], true, false)); sc.PromptTokens[i] != want {
						t.Errorf("after %s: %d prompt tokens, want %d", c, sc.PromptTokens[i], want)
					}
				}
				if sc.Requests != 7 {
					t.Errorf("%d requests, want 7 (five tokenizations, two scoring requests)", sc.Requests)
				}
			}
			if srv.ob.scoreSingly != build.SingleOnly || srv.ob.scoreRecipe != build.Recipe {
				t.Errorf("learnt scoreSingly = %v, recipe %d on a server that takes batches: %v and recipe %d", srv.ob.scoreSingly, srv.ob.scoreRecipe, !build.SingleOnly, build.Recipe)
			}
		})
	}
}

// A prompt the server refuses (longer than the model's context) fails
// alone; the reference failing fails the pair.
func TestScorePairPromptFailsAlone(t *testing.T) {
	none, _ := builtinGenerator(store.ConditionNone, "held question", "", pairHistory())
	raw, _ := builtinGenerator(store.ConditionRaw, "held question", "", pairHistory())
	f := newScoringFake(t, pairScores)
	f.MaxModelLen = len(f.Render(none, true, false)) + len(strings.Fields("alpha answer one"))
	_, srv := scoringServer(t, f.URL(), 4)
	prompts := [][]store.Message{none, raw}
	sc, err := srv.ScorePair(context.Background(), prompts, "alpha answer one", "beta answer one", ScoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sc.Errs[0] != nil || sc.Errs[1] == nil || !strings.Contains(sc.Errs[1].Error(), "maximum context length") || sc.Chosen[0] != -10 {
		t.Errorf("scores %+v; want the raw prompt refused, the reference scored", sc)
	}
	tiny := newScoringFake(t, pairScores)
	tiny.MaxModelLen = 3
	_, srv = scoringServer(t, tiny.URL(), 4)
	if _, err := srv.ScorePair(context.Background(), prompts, "alpha answer one", "beta answer one", ScoreOptions{}); err == nil || !strings.Contains(err.Error(), "maximum context length") {
		t.Errorf("the reference refused: %v", err)
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
			f := newScoringFake(t, pairScores)
			f.Override = map[string]http.HandlerFunc{"/v1/completions": func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				fmt.Fprint(w, `{"object":"error","message":"not now"}`)
			}}
			_, srv := scoringServer(t, f.URL(), 2)
			err := srv.CheckScoring(context.Background(), ScoreOptions{})
			if err == nil || errors.Is(err, ErrCannotScore) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "backend vllm") ||
				strings.Count(err.Error(), tt.want) != 1 {
				t.Errorf("CheckScoring = %v; want the %s, not ErrCannotScore", err, tt.want)
			}
		})
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
			f := newScoringFake(t, pairScores)
			f.Shape, f.Generates, f.PromptLogprobsOnRequest, f.TopAtLeastOne = srv.shape, srv.generates, srv.onRequest, srv.top1
			checkResponseSums(t, f)
		})
	}
}

func checkResponseSums(t *testing.T, f *vllmtest.Server) {
	_, srv := scoringServer(t, f.URL(), 2)
	ob := srv.ob
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
	for _, tt := range tests {
		msgs, err := builtinGenerator(tt.condition, "held question", "A summary that prefers brevity.", pairHistory())
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
