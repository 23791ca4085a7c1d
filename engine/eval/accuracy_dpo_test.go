package eval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/engine/vllmtest"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
)

// The paper's accuracy with a reference model of its own, the end of turn
// and DPO's quantities, against two fake vLLMs: the generator "gen" and
// the reference "ref", whose log-probabilities differ.
//
// Two users, each with one held-out pair and a model summary: u1 of
// dataset ds-a (chosen "alpha one", rejected "beta one"), u2 of ds-b
// ("gamma two" over "delta two"). The responses' words score, in total:
//
//	              gen none  gen summary  ref none
//	alpha one       −4         −2          −3
//	beta one        −4         −5          −6
//	gamma two       −6         −7          −5
//	delta two       −6         −3          −4
//
// and the end-of-turn token after a response −0.125 (vllmtest.EndLogprob),
// but −0.5 after alpha one on gen under the summary and −1 after alpha one
// on ref. With r(y) = logp − logp_ref and h = r(y_w) − r(y_l):
//
// with the end of turn (each response is 2 words and the end: 3 tokens):
//
//	u1 summary: logp −2.5, −5.125; ref −4, −6.125; r 1.5, 1;     h  0.5   correct
//	u1 none:    logp −4.125, −4.125;                r −0.125, 2;  h −2.125 wrong
//	u2 summary: logp −7.125, −3.125; ref −5.125, −4.125; r −2, 1; h −3     wrong
//	u2 none:    logp −6.125, −6.125;                r −1, −2;     h  1     correct
//
// without it (2 tokens each): u1 summary r 1, 1, h 0, a tie; u1 none r −1, 2,
// h −3; u2 summary r −2, 1, h −3; u2 none r −1, −2, h 1.
//
// The DPO loss is −log σ(β·h) = ln(1 + e^(−β·h)):
//
//	β·h     0.05     −0.2125   −0.3     0.1      0       0.5      −3       −2.125   1
//	loss    0.668460 0.805031  0.854355 0.644397 0.693147 0.474077 3.048587 2.237822 0.313262
var dpoGenScores = map[string]map[string]float64{
	"alpha one": {"none": -4, "summary": -2}, "beta one": {"none": -4, "summary": -5},
	"gamma two": {"none": -6, "summary": -7}, "delta two": {"none": -6, "summary": -3},
}

var dpoRefScores = map[string]map[string]float64{
	"alpha one": {"none": -3}, "beta one": {"none": -6}, "gamma two": {"none": -5}, "delta two": {"none": -4},
}

// dpoDB holds u1 (dataset ds-a) and u2 (ds-b), each with a history pair,
// a held-out pair and a model summary.
func dpoDB(t testing.TB) *store.DB {
	t.Helper()
	db := storetest.Open(t)
	for _, u := range []struct{ user, dataset, chosen, rejected string }{
		{"u1", "ds-a", "alpha one", "beta one"}, {"u2", "ds-b", "gamma two", "delta two"},
	} {
		in := fmt.Sprintf(`{"user":%q,"kind":"pair","prompt":"old question","chosen":"short reply","rejected":"long reply"}`+"\n"+
			`{"user":%q,"kind":"pair","split":"heldout","id":"p-%s","prompt":"held question","chosen":%q,"rejected":%q}`+"\n", u.user, u.user, u.user, u.chosen, u.rejected)
		if _, err := db.Import(context.Background(), u.dataset+".jsonl", strings.NewReader(in), store.ImportOptions{Dataset: u.dataset}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.AddSummary(store.Summary{User: u.user, Text: "Likes it short.", Source: "vllm/fake-vllm"}); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// dpoFakes are the generator's and the reference's fake servers. The
// reference is worded by the AlignX template set, whose none template
// asks for a comment on a "Reddit post": the reference fake scores only
// prompts worded so, so a reference scored after the generator's none
// prompt (the bare question) fails the test. Each fake numbers words as
// it first meets them, so ids tokenized by one server mean other words
// (or none) on the other: each server must tokenize for itself.
func dpoFakes(t *testing.T) (gen, ref *vllmtest.Server, e *engine.Engine) {
	gen, ref = vllmtest.New(t, dpoGenScores), vllmtest.New(t, dpoRefScores)
	gen.EndScores = map[string]map[string]float64{"alpha one": {"summary": -0.5}}
	ref.EndScores = map[string]map[string]float64{"alpha one": {"none": -1}}
	ref.Condition = func(prompt string) string {
		if strings.Contains(prompt, "Reddit post") {
			return store.ConditionNone
		}
		return "not the reference's none template"
	}
	alignx := alignxSet(t)
	backend := func(name, url string, prompts *engine.PromptSet) engine.BackendConfig {
		return engine.BackendConfig{Name: name, Kind: engine.KindOpenAI, Roles: []string{engine.RoleGenerator}, BaseURLs: []string{url + "/v1"},
			Model: name + "-model", Concurrency: 4, Timeout: 10 * time.Second, Prompts: prompts}
	}
	e = engine.New(dpoDB(t), engine.Config{MaxAttempts: 1, Concurrency: 16, Backends: []engine.BackendConfig{
		backend("gen", gen.URL(), engine.DefaultPromptSet()), backend("ref", ref.URL(), alignx)}}, engine.Options{})
	t.Cleanup(e.Close)
	return gen, ref, e
}

// dpoPair is a pair's expected PairScore: [chosen, rejected] each.
type dpoPair struct {
	user, condition       string
	logp, ref, rewards    [2]float64
	tokens                int
	margin, loss, correct float64
}

// dpoRow is a condition's expected row.
type dpoRow struct {
	condition                      string
	correct, ties, wrong           int
	accuracy, meanMargin, meanLoss float64
}

// referenceCases are the settings TestAccuracyAgainstAReferenceModel
// runs, with the numbers worked out above.
var referenceCases = []struct {
	name      string
	reference string
	noEOT     bool
	beta      float64
	pairs     []dpoPair
	rows      []dpoRow
}{
	{"end of turn, β 0.1", "ref", false, 0.1, []dpoPair{
		{"u1", "summary", [2]float64{-2.5, -5.125}, [2]float64{-4, -6.125}, [2]float64{0.15, 0.1}, 3, 0.5, 0.6684596480132863, 1},
		{"u1", "none", [2]float64{-4.125, -4.125}, [2]float64{-4, -6.125}, [2]float64{-0.0125, 0.2}, 3, -2.125, 0.8050311234277943, 0},
		{"u2", "summary", [2]float64{-7.125, -3.125}, [2]float64{-5.125, -4.125}, [2]float64{-0.2, 0.1}, 3, -3, 0.8543552444685272, 0},
		{"u2", "none", [2]float64{-6.125, -6.125}, [2]float64{-5.125, -4.125}, [2]float64{-0.1, -0.2}, 3, 1, 0.6443966600735709, 1},
	}, []dpoRow{
		// (0.5 − 3)/2; (0.668460 + 0.854355)/2
		{"summary", 1, 0, 1, 0.5, -1.25, 0.7614074462409067},
		// (−2.125 + 1)/2; (0.805031 + 0.644397)/2
		{"none", 1, 0, 1, 0.5, -0.5625, 0.7247138917506826},
	}},
	{"without the end of turn, β 0.1", "ref", true, 0.1, []dpoPair{
		{"u1", "summary", [2]float64{-2, -5}, [2]float64{-3, -6}, [2]float64{0.1, 0.1}, 2, 0, 0.6931471805599453, 0.5},
		{"u1", "none", [2]float64{-4, -4}, [2]float64{-3, -6}, [2]float64{-0.1, 0.2}, 2, -3, 0.8543552444685272, 0},
		{"u2", "summary", [2]float64{-7, -3}, [2]float64{-5, -4}, [2]float64{-0.2, 0.1}, 2, -3, 0.8543552444685272, 0},
		{"u2", "none", [2]float64{-6, -6}, [2]float64{-5, -4}, [2]float64{-0.1, -0.2}, 2, 1, 0.6443966600735709, 1},
	}, []dpoRow{
		{"summary", 0, 1, 1, 0.25, -1.5, 0.7737512125142363}, // (ln 2 + 0.854355)/2
		{"none", 1, 0, 1, 0.5, -1, 0.749375952271049},        // (0.854355 + 0.644397)/2
	}},
	{"end of turn, β 1", "ref", false, 1, []dpoPair{
		{"u1", "summary", [2]float64{-2.5, -5.125}, [2]float64{-4, -6.125}, [2]float64{1.5, 1}, 3, 0.5, 0.4740769841801067, 1},
		{"u1", "none", [2]float64{-4.125, -4.125}, [2]float64{-4, -6.125}, [2]float64{-0.125, 2}, 3, -2.125, 2.2378222787715694, 0},
		{"u2", "summary", [2]float64{-7.125, -3.125}, [2]float64{-5.125, -4.125}, [2]float64{-2, 1}, 3, -3, 3.048587351573742, 0},
		{"u2", "none", [2]float64{-6.125, -6.125}, [2]float64{-5.125, -4.125}, [2]float64{-1, -2}, 3, 1, 0.31326168751822286, 1},
	}, []dpoRow{
		{"summary", 1, 0, 1, 0.5, -1.25, 1.7613321678769243}, // (0.474077 + 3.048587)/2
		{"none", 1, 0, 1, 0.5, -0.5625, 1.2755419831448962},  // (2.237822 + 0.313262)/2
	}},
	// The generator as its own reference (the default): its none
	// prompt is the reference's, so none ties every pair (h = 0,
	// loss ln 2), and under the summary u1 has r 1.625, −1, h 2.625
	// (β·h 0.2625: loss 0.570486), u2 r −1, 3, h −4 (loss 0.913015).
	{"the generator as its own reference", "", false, 0.1, []dpoPair{
		{"u1", "summary", [2]float64{-2.5, -5.125}, [2]float64{-4.125, -4.125}, [2]float64{0.1625, -0.1}, 3, 2.625, 0.5704858452825178, 1},
		{"u1", "none", [2]float64{-4.125, -4.125}, [2]float64{-4.125, -4.125}, [2]float64{0, 0}, 3, 0, 0.6931471805599453, 0.5},
		{"u2", "summary", [2]float64{-7.125, -3.125}, [2]float64{-6.125, -6.125}, [2]float64{-0.1, 0.3}, 3, -4, 0.9130152523999526, 0},
		{"u2", "none", [2]float64{-6.125, -6.125}, [2]float64{-6.125, -6.125}, [2]float64{0, 0}, 3, 0, 0.6931471805599453, 0.5},
	}, []dpoRow{
		{"summary", 1, 0, 1, 0.5, -0.6875, 0.7417505488412353}, // (2.625 − 4)/2; (0.570486 + 0.913015)/2
		{"none", 0, 2, 0, 0.5, 0, 0.6931471805599453},
	}},
}

// A separate reference, with and without the end of turn and at two βs,
// and the generator as its own reference: every pair's numbers and each
// condition's means are the hand-worked ones above.
func TestAccuracyAgainstAReferenceModel(t *testing.T) {
	for _, tt := range referenceCases {
		t.Run(tt.name, func(t *testing.T) {
			gen, ref, e := dpoFakes(t)
			rep, err := Accuracy(context.Background(), e, AccuracyOptions{Backend: "gen", Reference: tt.reference, NoEndOfTurn: tt.noEOT, Beta: tt.beta,
				Conditions: []string{"summary", "none"}, KeepPairs: true, Concurrency: 2}, nil)
			if err != nil || rep.Run.Done != 2 || rep.Run.Failed != 0 {
				t.Fatalf("%v; run %+v", err, rep.Run)
			}
			refName, refSet, refCalls := "ref", alignxVersion(t), int32(5)
			if tt.reference == "" {
				refName, refSet, refCalls = "gen", engine.DefaultPromptSet().Version(), 0
			}
			if rep.Reference != refName || rep.ReferenceModel != refName+"-model" || rep.EndOfTurn == tt.noEOT || rep.Beta != tt.beta ||
				rep.ReferenceTemplateSet != refSet || rep.TemplateSet != engine.DefaultPromptSet().Version() {
				t.Errorf("report names reference %q (%q, set %q), end of turn %v, β %v", rep.Reference, rep.ReferenceModel, rep.ReferenceTemplateSet, rep.EndOfTurn, rep.Beta)
			}
			if len(rep.Pairs) != len(tt.pairs) {
				t.Fatalf("%d pair scores, want %d: %+v", len(rep.Pairs), len(tt.pairs), rep.Pairs)
			}
			for i, w := range tt.pairs {
				want := PairScore{User: w.user, Pair: "p-" + w.user, Condition: w.condition, LogpChosen: w.logp[0], LogpRejected: w.logp[1],
					RefLogpChosen: w.ref[0], RefLogpRejected: w.ref[1], TokensChosen: w.tokens, TokensRejected: w.tokens, Margin: w.margin,
					RewardChosen: w.rewards[0], RewardRejected: w.rewards[1], DPOLoss: w.loss, Correct: w.correct}
				if !closePairScores(rep.Pairs[i], want) {
					t.Errorf("pair %d:\n got %+v\nwant %+v", i, rep.Pairs[i], want)
				}
			}
			for i, w := range tt.rows {
				got := rep.Rows[i]
				if got.Condition != w.condition || got.Pairs != 2 || got.Correct != w.correct || got.Ties != w.ties || got.Wrong != w.wrong ||
					got.Accuracy != w.accuracy || !near(got.MeanMargin, w.meanMargin) || !near(got.MeanLoss, w.meanLoss) {
					t.Errorf("row %d: %+v, want %+v", i, got, w)
				}
			}
			// One scoring request per response and server asked (and each
			// server's probe): the reference is not asked the generator's
			// prompts, nor the generator the reference's.
			if g, r := gen.ScoreCalls.Load(), ref.ScoreCalls.Load(); g != 5 || r != refCalls {
				t.Errorf("scoring requests: %d to the generator, %d to the reference server; want 5 (a probe, then two a pair) and %d", g, r, refCalls)
			}
		})
	}
}

func alignxSet(t *testing.T) *engine.PromptSet {
	t.Helper()
	set, err := engine.LoadPromptSet(engine.BuiltinPrefix + engine.BuiltinAlignX)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func alignxVersion(t *testing.T) string { return alignxSet(t).Version() }

// The users of a dataset alone (--dataset), and each dataset's rows beside
// the overall ones (--by dataset), from the same pairs as above (the end
// of turn, β 0.1): u1 (ds-a) is correct under the summary with h = 0.5,
// u2 (ds-b) wrong with h = −3.
func TestAccuracyByDataset(t *testing.T) {
	type row struct {
		dataset              string
		correct, wrong       int
		meanMargin, meanLoss float64
	}
	tests := []struct {
		name      string
		datasets  []string
		byDataset bool
		heldout   int
		overall   row
		groups    []row
	}{
		{"every user, by dataset", nil, true, 2, row{"", 1, 1, -1.25, 0.7614074462409067},
			[]row{{"ds-a", 1, 0, 0.5, 0.6684596480132863}, {"ds-b", 0, 1, -3, 0.8543552444685272}}},
		{"ds-b only", []string{"ds-b"}, false, 1, row{"", 0, 1, -3, 0.8543552444685272}, nil},
		{"ds-b only, by dataset", []string{"ds-b"}, true, 1, row{"", 0, 1, -3, 0.8543552444685272},
			[]row{{"ds-b", 0, 1, -3, 0.8543552444685272}}},
	}
	check := func(t *testing.T, where string, got AccuracyRow, w row) {
		t.Helper()
		if got.Condition != "summary" || got.Correct != w.correct || got.Wrong != w.wrong || !near(got.MeanMargin, w.meanMargin) || !near(got.MeanLoss, w.meanLoss) {
			t.Errorf("%s: %+v, want %+v", where, got, w)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, e := dpoFakes(t)
			rep, err := Accuracy(context.Background(), e, AccuracyOptions{Backend: "gen", Reference: "ref", Datasets: tt.datasets, ByDataset: tt.byDataset}, nil)
			if err != nil || rep.Run.Failed != 0 || rep.HeldoutPairs != tt.heldout || rep.Run.Done != tt.heldout {
				t.Fatalf("%v; %d held-out pairs, run %+v", err, rep.HeldoutPairs, rep.Run)
			}
			check(t, "overall", rep.Rows[0], tt.overall)
			if len(rep.ByDataset) != len(tt.groups) {
				t.Fatalf("by dataset: %+v, want %d datasets", rep.ByDataset, len(tt.groups))
			}
			for i, g := range tt.groups {
				if rep.ByDataset[i].Dataset != g.dataset || len(rep.ByDataset[i].Rows) != 1 {
					t.Fatalf("dataset %d: %+v, want %s", i, rep.ByDataset[i], g.dataset)
				}
				check(t, g.dataset, rep.ByDataset[i].Rows[0], g)
			}
		})
	}
}

// near says whether two numbers worked out differently are the same but
// for rounding.
func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9 }

func closePairScores(a, b PairScore) bool {
	return a.User == b.User && a.Pair == b.Pair && a.Condition == b.Condition && a.TokensChosen == b.TokensChosen && a.TokensRejected == b.TokensRejected &&
		near(a.LogpChosen, b.LogpChosen) && near(a.LogpRejected, b.LogpRejected) && near(a.RefLogpChosen, b.RefLogpChosen) && near(a.RefLogpRejected, b.RefLogpRejected) &&
		near(a.Margin, b.Margin) && near(a.RewardChosen, b.RewardChosen) && near(a.RewardRejected, b.RewardRejected) && near(a.DPOLoss, b.DPOLoss) && a.Correct == b.Correct
}

// A reference that cannot score is refused before the run, named as the
// reference; one whose chat template puts nothing after a finished answer
// cannot count the end of turn, and is fine without it.
func TestAccuracyRefusesAReferenceThatCannotScore(t *testing.T) {
	noEnd := func(f *vllmtest.Server) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			var req struct {
				Messages            []store.Message `json:"messages"`
				AddGenerationPrompt bool            `json:"add_generation_prompt"`
			}
			json.NewDecoder(r.Body).Decode(&req)
			// A finished render is the continued one: no end of turn.
			json.NewEncoder(w).Encode(map[string]any{"tokens": f.Render(req.Messages, req.AddGenerationPrompt, !req.AddGenerationPrompt)})
		}
	}
	tests := []struct {
		name     string
		tokenize func(f *vllmtest.Server) http.HandlerFunc
		noEOT    bool
		want     []string // nil: no error
	}{
		{"no /tokenize", func(*vllmtest.Server) http.HandlerFunc { return http.NotFound }, false,
			[]string{"the reference model: backend ref cannot score given responses", "HTTP 404"}},
		{"nothing after a finished answer", noEnd, false, []string{"the reference model: backend ref cannot score given responses with the end of turn", "--no-eot"}},
		{"nothing after a finished answer, without the end of turn", noEnd, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ref, e := dpoFakes(t)
			ref.Override = map[string]http.HandlerFunc{"/tokenize": tt.tokenize(ref)}
			rep, err := Accuracy(context.Background(), e, AccuracyOptions{Backend: "gen", Reference: "ref", NoEndOfTurn: tt.noEOT}, nil)
			if tt.want == nil {
				if err != nil || rep.Run.Done != 2 {
					t.Errorf("%v, run %+v", err, rep.Run)
				}
				return
			}
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
}
