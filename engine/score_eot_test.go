package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/popi-tui/popi-tui/engine/vllmtest"
	"github.com/popi-tui/popi-tui/store"
)

// The end of turn (score_eot.go) against the fake vLLM, whose toy chat
// template ends every finished message with an end token (and, with
// EndNewline, a newline token after it, as ChatML does).

// eotScores are what the end-of-turn token scores after the test pair's
// responses: alpha's depends on the condition, beta's is the fake's
// default, vllmtest.EndLogprob (−0.125), everywhere.
var eotScores = map[string]map[string]float64{
	"alpha answer one": {"none": -0.5, "summary": -0.25, "raw": -2},
}

// testPrompts are the test pair's prompts under none (the reference),
// summary and raw.
func testPrompts(t *testing.T) [][]store.Message {
	t.Helper()
	var prompts [][]store.Message
	for _, c := range []string{store.ConditionNone, store.ConditionSummary, store.ConditionRaw} {
		msgs, err := builtinGenerator(c, "held question", "A summary that prefers brevity.", pairHistory())
		if err != nil {
			t.Fatal(err)
		}
		prompts = append(prompts, msgs)
	}
	return prompts
}

// With the end of turn, a response's log-probability is its words' and
// the end token's, worked out by hand from the fake's scores:
//
//	alpha after none:    −10 − 0.5   = −10.5    beta after none:    −10 − 0.125 = −10.125
//	alpha after summary:  −6 − 0.25  =  −6.25   beta after summary:  −9 − 0.125 =  −9.125
//	alpha after raw:     −12 − 2     = −14      beta after raw:      −9 − 0.125 =  −9.125
//
// and without it the words' alone. A template that puts a newline after
// the end token (ChatML) counts the end token only; one that trims the
// finished message (its last word "!" left out) is read from the finished
// render, without the trimmed word. Every build of vLLM gives the same.
func TestScorePairEndOfTurn(t *testing.T) {
	prompts := testPrompts(t)
	withEOT := [2][]float64{{-10.5, -6.25, -14}, {-10.125, -9.125, -9.125}}
	without := [2][]float64{{-10, -6, -12}, {-10, -9, -9}}
	templates := []struct {
		name              string
		newline           bool
		trim              string
		chosen, rejected  string
		tokens, tokensEOT [2]int
	}{
		{"end token", false, "", "alpha answer one", "beta answer one", [2]int{3, 3}, [2]int{4, 4}},
		{"end token and newline", true, "", "alpha answer one", "beta answer one", [2]int{3, 3}, [2]int{4, 4}},
		// The continued render keeps "!" (and scores it: the fake's
		// sums are per word list, so the test gives "… !" the same
		// scores); the finished render drops it.
		{"trimming template", false, "!", "alpha answer one !", "beta answer one", [2]int{4, 3}, [2]int{4, 4}},
	}
	for _, tmpl := range templates {
		for _, build := range vllmtest.Builds {
			t.Run(tmpl.name+"/"+build.Name, func(t *testing.T) {
				scores := map[string]map[string]float64{"alpha answer one !": pairScores["alpha answer one"]}
				for k, v := range pairScores {
					scores[k] = v
				}
				f := newScoringFake(t, scores)
				f.Be(build)
				f.EndScores, f.EndNewline, f.TrimWord = eotScores, tmpl.newline, tmpl.trim
				_, srv := scoringServer(t, f.URL(), 4)
				for _, eot := range []bool{true, false} {
					sc, err := srv.ScorePair(context.Background(), prompts, tmpl.chosen, tmpl.rejected, ScoreOptions{EndOfTurn: eot})
					if err != nil {
						t.Fatal(err)
					}
					want, tokens, requests := without, tmpl.tokens, 7
					if eot {
						want, tokens, requests = withEOT, tmpl.tokensEOT, 9
					}
					for i := range prompts {
						if math.Abs(sc.Chosen[i]-want[0][i]) > 1e-9 || math.Abs(sc.Rejected[i]-want[1][i]) > 1e-9 || sc.Errs[i] != nil {
							t.Errorf("end of turn %v, prompt %d: chosen %v, rejected %v (%v); want %v and %v", eot, i, sc.Chosen[i], sc.Rejected[i], sc.Errs[i], want[0][i], want[1][i])
						}
					}
					if sc.Tokens != tokens || sc.Requests != requests {
						t.Errorf("end of turn %v: %v tokens in %d requests, want %v in %d", eot, sc.Tokens, sc.Requests, tokens, requests)
					}
				}
			})
		}
	}
}

// The end of turn is the first token the finished render adds to the
// continued one; a finished render that does not extend it is read up to
// the end-of-turn token the probe found, where the probe says it is, and
// is refused otherwise.
func TestWithEndOfTurn(t *testing.T) {
	const end, newline = 4, 5
	prompt := []int{1, 2, 3}
	tests := []struct {
		name                string
		probe               endOfTurn
		continued, finished []int
		want                []int
	}{
		{"extends by one", endOfTurn{end, 0}, []int{1, 2, 3, 7, 8}, []int{1, 2, 3, 7, 8, end}, []int{7, 8, end}},
		{"extends by two: the first", endOfTurn{end, 1}, []int{1, 2, 3, 7, 8}, []int{1, 2, 3, 7, 8, end, newline}, []int{7, 8, end}},
		{"trimmed: read from the finished render", endOfTurn{end, 0}, []int{1, 2, 3, 7, 8, 9}, []int{1, 2, 3, 7, 8, end}, []int{7, 8, end}},
		{"trimmed, newline after the end", endOfTurn{end, 1}, []int{1, 2, 3, 7, 9}, []int{1, 2, 3, 7, end, newline}, []int{7, end}},
		{"merged: no end token where the probe put it", endOfTurn{end, 0}, []int{1, 2, 3, 7, 8}, []int{1, 2, 3, 7, 11}, nil},
		{"the prompt changed", endOfTurn{end, 0}, []int{1, 2, 3, 7, 8}, []int{1, 6, 3, 7, end}, nil},
		{"nothing but the end", endOfTurn{end, 0}, []int{1, 2, 3, 7}, []int{1, 2, 3, end}, nil},
	}
	for _, tt := range tests {
		srv := &Server{}
		srv.eot.known, srv.eot.eot = true, tt.probe
		got, err := srv.withEndOfTurn(context.Background(), prompt, tt.continued, tt.finished)
		if (err != nil) != (tt.want == nil) || fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s: %v, %v; want %v", tt.name, got, err, tt.want)
		}
		if err != nil && !strings.Contains(err.Error(), "--no-eot") {
			t.Errorf("%s: %v does not say how to score without the end of turn", tt.name, err)
		}
	}
}

// A chat template that puts nothing after a finished answer cannot score
// with the end of turn: CheckScoring says so before a run, and without
// the end of turn the server is fine.
func TestCheckScoringEndOfTurn(t *testing.T) {
	f := newScoringFake(t, pairScores)
	f.Override = map[string]http.HandlerFunc{"/tokenize": func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Messages            []store.Message `json:"messages"`
			AddGenerationPrompt bool            `json:"add_generation_prompt"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		// A finished render is the continued one: no end of turn.
		json.NewEncoder(w).Encode(map[string]any{"tokens": f.Render(req.Messages, req.AddGenerationPrompt, !req.AddGenerationPrompt)})
	}}
	_, srv := scoringServer(t, f.URL(), 2)
	if err := srv.CheckScoring(context.Background(), ScoreOptions{}); err != nil {
		t.Fatalf("without the end of turn: %v", err)
	}
	err := srv.CheckScoring(context.Background(), ScoreOptions{EndOfTurn: true})
	if !errors.Is(err, ErrCannotScore) || !strings.Contains(err.Error(), "backend vllm") || !strings.Contains(err.Error(), "--no-eot") {
		t.Errorf("with the end of turn: %v; want ErrCannotScore naming the backend and --no-eot", err)
	}
	good := newScoringFake(t, pairScores)
	good.EndNewline = true
	_, srv = scoringServer(t, good.URL(), 2)
	if err := srv.CheckScoring(context.Background(), ScoreOptions{EndOfTurn: true}); err != nil || srv.eot.eot.after != 1 {
		t.Errorf("a ChatML-like template: %v, learnt %+v (want one token after the end)", err, srv.eot.eot)
	}
}
