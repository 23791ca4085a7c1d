package eval

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/engine/eval/stats"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
)

// The candidates the label tests compare, each with its slot (its place
// in the comparison before the panes are shuffled).
var (
	lsSum      = store.Candidate{Slot: 0, Backend: "vllm", Model: "m", Condition: store.ConditionSummary, GenerationID: "g1"}
	lsNone     = store.Candidate{Slot: 1, Backend: "vllm", Model: "m", Condition: store.ConditionNone, GenerationID: "g2"}
	lsRaw      = store.Candidate{Slot: 2, Backend: "llama", Model: "m", Condition: store.ConditionRaw, GenerationID: "g3"}
	lsChosen   = store.Candidate{Slot: 0, Backend: engine.ReplayName, Model: engine.ReplayName, Condition: store.ConditionNone, Replay: store.ReplayChosen, GenerationID: "g4"}
	lsRejected = store.Candidate{Slot: 1, Backend: engine.ReplayName, Model: engine.ReplayName, Condition: store.ConditionNone, Replay: store.ReplayRejected, GenerationID: "g5"}
)

// lsDecision is one label to store: the candidates in the order shown
// (pane a first), and the verdict or ranking.
type lsDecision struct {
	annotator, user, prompt string
	shown                   []store.Candidate
	verdict                 string
	ranking                 []string
	took                    time.Duration // DecidedAt − ShownAt
}

func lsAdd(t *testing.T, db *store.DB, ds ...lsDecision) []store.Label {
	t.Helper()
	shownAt := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	var out []store.Label
	for _, d := range ds {
		cands := slices.Clone(d.shown)
		for i := range cands {
			cands[i].Pane = store.PaneLetter(i)
		}
		l, err := db.AddLabel(store.Label{Kind: store.LabelDecision, User: d.user, PromptID: d.prompt, Prompt: "prompt " + d.prompt,
			Candidates: cands, Verdict: d.verdict, Ranking: d.ranking, Annotator: d.annotator,
			ShownAt: shownAt, DecidedAt: shownAt.Add(d.took)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, l)
	}
	return out
}

// lsReport runs LabelStats and checks that the report encodes as JSON:
// a NaN anywhere would make `eval --json` fail.
func lsReport(t *testing.T, db *store.DB) LabelReport {
	t.Helper()
	rep, err := LabelStats(db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := json.Marshal(rep); err != nil {
		t.Fatalf("the report does not encode: %v", err)
	}
	return rep
}

func lsNear(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// lsKappa reads a κ that may be null.
func lsKappa(k *float64) float64 {
	if k == nil {
		return math.NaN()
	}
	return *k
}

// TestLabelStatsTwoAnnotators works through a small set of decisions by
// two annotators: comparison X is vllm (summary) against vllm (none), Y
// adds llama (raw), R replays a held-out pair's two responses.
func TestLabelStatsTwoAnnotators(t *testing.T) {
	db := storetest.Open(t)
	s := time.Second
	// Taken back or replaced, so not counted: ann's first word on u1/t1 X
	// (vllm (none) best), and bob's decision on u2/t2 X.
	// (Decided before the decision that replaces it: the newest by
	// DecidedAt counts.)
	lsAdd(t, db, lsDecision{"ann", "u1", "t1", []store.Candidate{lsNone, lsSum}, "a", nil, 5 * s})
	retracted := lsAdd(t, db, lsDecision{"bob", "u2", "t2", []store.Candidate{lsSum, lsNone}, "a", nil, 99 * s})[0]
	if _, err := db.AddLabel(retracted.Retraction(time.Now(), "test"), nil); err != nil {
		t.Fatal(err)
	}
	lsAdd(t, db,
		// ann
		lsDecision{"ann", "u1", "t1", []store.Candidate{lsNone, lsSum}, "b", nil, 10 * s},                           // L1 summary > none
		lsDecision{"ann", "u1", "t2", []store.Candidate{lsSum, lsNone}, "tie", nil, 20 * s},                         // L2 tie
		lsDecision{"ann", "u2", "t1", []store.Candidate{lsSum, lsNone}, "both_bad", nil, 30 * s},                    // L3 both bad
		lsDecision{"ann", "u2", "t2", []store.Candidate{lsSum, lsNone}, "skip", nil, 1 * s},                         // L4 skip
		lsDecision{"ann", "u1", "t1", []store.Candidate{lsRaw, lsSum, lsNone}, "", []string{"b", "c", "a"}, 40 * s}, // L5 summary > none > raw
		lsDecision{"ann", "u1", "h1", []store.Candidate{lsRejected, lsChosen}, "b", nil, 0},                         // L6 chosen: agrees; no time
		// bob
		lsDecision{"bob", "u1", "t1", []store.Candidate{lsSum, lsNone}, "a", nil, 5 * s},         // L7 summary > none
		lsDecision{"bob", "u1", "t2", []store.Candidate{lsNone, lsSum}, "a", nil, 15 * s},        // L8 none > summary
		lsDecision{"bob", "u1", "h1", []store.Candidate{lsChosen, lsRejected}, "b", nil, 25 * s}, // L9 rejected: disagrees
		lsDecision{"bob", "u2", "t1", []store.Candidate{lsNone, lsSum}, "both_bad", nil, -3 * s}, // L10 both bad; clock went back
	)
	rep := lsReport(t, db)

	if rep.Decisions != 9 || rep.Skips != 1 {
		t.Errorf("decisions %d, skips %d; want 9 and 1", rep.Decisions, rep.Skips)
	}
	ln73 := math.Log(7.0 / 3)
	type want struct {
		name                               string
		decisions, wins, losses, ties, bad int
		rate                               float64
		score                              float64 // wins + ties/2, for the Wilson interval
		n                                  int
		estimable                          bool
		reason                             string
		theta, se                          float64
	}
	// Pairwise outcomes:
	//   summary: wins L1, L5 (×2: none and raw), L7 = 4; loses L8; ties L2; both bad L3, L10.
	//   none:    wins L5 (raw), L8 = 2; loses L1, L5, L7 = 3; ties L2; both bad L3, L10.
	//   raw:     loses L5 twice.  chosen: wins L6, loses L9.  rejected: the reverse.
	// Bradley–Terry: summary–none, the main group (5 games against the
	// replay pair's 2): summary has 3 wins + ½ tie = 3.5 of 5, p = .7,
	// θ = ±ln(7/3)/2; information 5·.7·.3 = 1.05, Var = 1/(4·1.05).
	// raw never won or tied; the replay pair is a group of its own.
	wants := []want{
		{"llama (raw)", 1, 0, 2, 0, 0, 0, 0, 2, false, stats.ReasonNeverWon, 0, 0},
		{"replay (chosen)", 2, 1, 1, 0, 0, 0.5, 1, 2, false, stats.ReasonApart, 0, 0},
		{"replay (rejected)", 2, 1, 1, 0, 0, 0.5, 1, 2, false, stats.ReasonApart, 0, 0},
		{"vllm (none)", 7, 2, 3, 1, 2, 2.5 / 6, 2.5, 6, true, "", -ln73 / 2, math.Sqrt(1 / 4.2)},
		{"vllm (summary)", 7, 4, 1, 1, 2, 4.5 / 6, 4.5, 6, true, "", ln73 / 2, math.Sqrt(1 / 4.2)},
	}
	if len(rep.Candidates) != len(wants) {
		t.Fatalf("%d candidates, want %d: %+v", len(rep.Candidates), len(wants), rep.Candidates)
	}
	for i, w := range wants {
		c := rep.Candidates[i]
		lo, hi := stats.Wilson(w.score, w.n)
		if c.Name != w.name || c.Decisions != w.decisions || c.Wins != w.wins || c.Losses != w.losses || c.Ties != w.ties || c.BothBad != w.bad {
			t.Errorf("candidate %d = %+v, want %+v", i, c, w)
		}
		if !lsNear(c.WinRate, w.rate) || !lsNear(c.Low, lo) || !lsNear(c.High, hi) {
			t.Errorf("%s: win rate %v [%v, %v], want %v [%v, %v]", c.Name, c.WinRate, c.Low, c.High, w.rate, lo, hi)
		}
		st := c.Strength
		if st.Estimable != w.estimable || st.Reason != w.reason || !lsNear(st.Theta, w.theta) || !lsNear(st.SE, w.se) {
			t.Errorf("%s: strength %+v, want estimable %v %q θ %v SE %v", c.Name, st, w.estimable, w.reason, w.theta, w.se)
		}
	}
	if rep.StronglyConnected {
		t.Error("strongly connected, with raw never winning")
	}
	if c := rep.Candidates[1]; c.Backend != engine.ReplayName || c.Replay != store.ReplayChosen {
		t.Errorf("replay candidate fields: %+v", c)
	}

	// Times: ann 10, 20, 30, 40 s (L6 took 0, the skip is left out) → 25 s;
	// bob 5, 15, 25 s (L10 went back) → 15 s.
	// Replay: ann agrees 1 of 1, bob 0 of 1; together 1 of 2.
	wantAnn := []AnnotatorStats{
		{Annotator: "ann", Decisions: 5, Skips: 1, MedianDecisionTime: 25 * s, Timed: 4, Replay: lsAgreement(1, 1)},
		{Annotator: "bob", Decisions: 4, Skips: 0, MedianDecisionTime: 15 * s, Timed: 3, Replay: lsAgreement(0, 1)},
	}
	if !slices.Equal(rep.Annotators, wantAnn) {
		t.Errorf("annotators\n %+v\nwant\n %+v", rep.Annotators, wantAnn)
	}
	if rep.Replay != lsAgreement(1, 2) || rep.Replay.Rate != 0.5 {
		t.Errorf("replay agreement %+v, want 1 of 2", rep.Replay)
	}

	// Items both rated, as slots: u1/t1 X 0|0, u1/t2 X tie|1, u2/t1 X
	// both_bad|both_bad, u1/h1 R 0|1 (u1/t1 Y is ann's alone; u2/t2 X is a
	// skip and a retraction). po = 2/4. ann: 0×2 tie×1 both_bad×1; bob:
	// 0×1 1×2 both_bad×1; pe = (2·1 + 1·1)/16 = 3/16.
	// κ = (8/16 − 3/16)/(13/16) = 5/13.
	ia := rep.InterAnnotator
	if ia.Method != AgreementCohen || ia.Annotators != 2 || ia.Items != 4 || !lsNear(lsKappa(ia.Kappa), 5.0/13) || ia.ObservedAgreement != 0.5 {
		t.Errorf("inter-annotator %+v (κ %v), want cohen over 4 items, κ 5/13, agreement .5", ia, lsKappa(ia.Kappa))
	}
	if len(ia.Pairs) != 1 || ia.Pairs[0].A != "ann" || ia.Pairs[0].B != "bob" || ia.Pairs[0].Items != 4 || !lsNear(lsKappa(ia.Pairs[0].Kappa), 5.0/13) {
		t.Errorf("pairs %+v", ia.Pairs)
	}
}

func lsAgreement(agree, decisive int) ReplayAgreement {
	r := ReplayAgreement{Agree: agree, Decisive: decisive}
	if decisive > 0 {
		r.Rate = float64(agree) / float64(decisive)
	}
	r.Low, r.High = stats.Wilson(float64(agree), decisive)
	return r
}

// TestLabelStatsThreeAnnotators: three annotators, panes shuffled
// differently for each, so that only slots can match their ratings.
func TestLabelStatsThreeAnnotators(t *testing.T) {
	db := storetest.Open(t)
	sn, ns := []store.Candidate{lsSum, lsNone}, []store.Candidate{lsNone, lsSum}
	lsAdd(t, db,
		lsDecision{"ann", "u1", "t1", sn, "a", nil, time.Second},   // slot 0
		lsDecision{"bob", "u1", "t1", ns, "b", nil, time.Second},   // slot 0
		lsDecision{"carol", "u1", "t1", sn, "a", nil, time.Second}, // slot 0
		lsDecision{"ann", "u1", "t2", ns, "b", nil, time.Second},   // slot 0
		lsDecision{"bob", "u1", "t2", ns, "a", nil, time.Second},   // slot 1
		lsDecision{"carol", "u1", "t2", sn, "b", nil, time.Second}, // slot 1: another letter, the same answer as bob
		lsDecision{"ann", "u2", "t1", sn, "tie", nil, time.Second},
		lsDecision{"bob", "u2", "t1", ns, "tie", nil, time.Second},
		lsDecision{"carol", "u2", "t1", sn, "skip", nil, time.Second},
		lsDecision{"ann", "u2", "t2", ns, "a", nil, time.Second},   // slot 1
		lsDecision{"carol", "u2", "t2", sn, "b", nil, time.Second}, // slot 1
		lsDecision{"ann", "u3", "t1", sn, "a", nil, time.Second},   // rated by ann alone: not in κ
	)
	rep := lsReport(t, db)
	// Items with two or more ratings, counts over (0, 1, tie):
	//   u1/t1 (3,0,0): P = (9−3)/6 = 1     u1/t2 (1,2,0): P = (1+4−3)/6 = 1/3
	//   u2/t1 (0,0,2): P = (4−2)/2 = 1     u2/t2 (0,2,0): P = 1
	// P̄ = (10/3)/4 = 5/6. Totals 4, 4, 2 of 10: P_e = .16+.16+.04 = .36.
	// κ = (5/6 − 9/25)/(16/25) = (71/150)(25/16) = 71/96.
	ia := rep.InterAnnotator
	if ia.Method != AgreementFleiss || ia.Annotators != 3 || ia.Items != 4 || !lsNear(lsKappa(ia.Kappa), 71.0/96) || !lsNear(ia.ObservedAgreement, 5.0/6) {
		t.Errorf("inter-annotator %+v (κ %v), want fleiss over 4 items, κ 71/96, agreement 5/6", ia, lsKappa(ia.Kappa))
	}
	// Pairs, Cohen over the items both rated:
	//   ann–bob   (u1/t1, u1/t2, u2/t1): 0 0 tie | 0 1 tie. po 2/3, pe (2·1 + 1·1)/9 = 1/3, κ = 1/2.
	//   ann–carol (u1/t1, u1/t2, u2/t2): 0 0 1 | 0 1 1.     po 2/3, pe (2·1 + 1·2)/9 = 4/9, κ = 2/5.
	//   bob–carol (u1/t1, u1/t2; carol skipped u2/t1): 0 1 | 0 1. po 1, pe 1/2, κ = 1.
	wantPairs := []struct {
		a, b     string
		items    int
		kappa, o float64
	}{{"ann", "bob", 3, 0.5, 2.0 / 3}, {"ann", "carol", 3, 0.4, 2.0 / 3}, {"bob", "carol", 2, 1, 1}}
	if len(ia.Pairs) != len(wantPairs) {
		t.Fatalf("pairs %+v", ia.Pairs)
	}
	for i, w := range wantPairs {
		p := ia.Pairs[i]
		if p.A != w.a || p.B != w.b || p.Items != w.items || !lsNear(lsKappa(p.Kappa), w.kappa) || !lsNear(p.ObservedAgreement, w.o) {
			t.Errorf("pair %d = %+v (κ %v), want %+v", i, p, lsKappa(p.Kappa), w)
		}
	}
	if rep.Skips != 1 || rep.Annotators[2].Annotator != "carol" || rep.Annotators[2].Skips != 1 || rep.Annotators[2].Decisions != 3 {
		t.Errorf("skips %d, annotators %+v", rep.Skips, rep.Annotators)
	}
	// No replayed pair: nothing decisive, the interval is all of [0, 1].
	if rep.Replay != (ReplayAgreement{Low: 0, High: 1}) {
		t.Errorf("replay agreement %+v", rep.Replay)
	}
}

// TestLabelStatsEdges covers reports with little in them.
func TestLabelStatsEdges(t *testing.T) {
	sn := []store.Candidate{lsSum, lsNone}
	tests := []struct {
		name      string
		decisions []lsDecision
		check     func(t *testing.T, rep LabelReport)
	}{
		{"no labels", nil, func(t *testing.T, rep LabelReport) {
			ia := rep.InterAnnotator
			if rep.Decisions != 0 || len(rep.Candidates) != 0 || len(rep.Annotators) != 0 || ia.Method != "" || ia.Kappa != nil || ia.Note == "" {
				t.Errorf("report %+v", rep)
			}
		}},
		{"one annotator", []lsDecision{{"ann", "u1", "t1", sn, "a", nil, time.Second}, {"ann", "u1", "t2", sn, "b", nil, time.Second}},
			func(t *testing.T, rep LabelReport) {
				ia := rep.InterAnnotator
				if ia.Method != "" || ia.Annotators != 1 || ia.Kappa != nil || len(ia.Pairs) != 0 {
					t.Errorf("inter-annotator %+v", ia)
				}
			}},
		{"two annotators always picking the same slot", []lsDecision{
			{"ann", "u1", "t1", sn, "a", nil, time.Second}, {"bob", "u1", "t1", []store.Candidate{lsNone, lsSum}, "b", nil, time.Second},
			{"ann", "u1", "t2", sn, "a", nil, time.Second}, {"bob", "u1", "t2", sn, "a", nil, time.Second},
		}, func(t *testing.T, rep LabelReport) {
			// Every rating is slot 0: pe = 1, κ undefined, agreement complete.
			ia := rep.InterAnnotator
			if ia.Method != AgreementCohen || ia.Items != 2 || ia.Kappa != nil || ia.ObservedAgreement != 1 || !strings.Contains(ia.Note, "undefined") {
				t.Errorf("inter-annotator %+v", ia)
			}
		}},
		{"two annotators, one shared item", []lsDecision{
			{"ann", "u1", "t1", sn, "a", nil, time.Second}, {"bob", "u1", "t1", sn, "b", nil, time.Second},
		}, func(t *testing.T, rep LabelReport) {
			ia := rep.InterAnnotator
			if ia.Items != 1 || ia.Kappa != nil || ia.Note == "" || ia.ObservedAgreement != 0 {
				t.Errorf("inter-annotator %+v", ia)
			}
		}},
		{"a ranking rates its first", []lsDecision{
			{"ann", "u1", "t1", []store.Candidate{lsRaw, lsSum, lsNone}, "", []string{"b", "a", "c"}, time.Second}, // summary: slot 0
			{"bob", "u1", "t1", []store.Candidate{lsSum, lsNone, lsRaw}, "a", nil, time.Second},                    // slot 0
			{"ann", "u1", "t2", []store.Candidate{lsRaw, lsSum, lsNone}, "", []string{"a", "c", "b"}, time.Second}, // raw: slot 2
			{"bob", "u1", "t2", []store.Candidate{lsSum, lsNone, lsRaw}, "c", nil, time.Second},                    // slot 2
		}, func(t *testing.T, rep LabelReport) {
			// 0 2 | 0 2: po = 1, pe = (1·1 + 1·1)/4 = ½, κ = 1.
			ia := rep.InterAnnotator
			if ia.Items != 2 || !lsNear(lsKappa(ia.Kappa), 1) || ia.ObservedAgreement != 1 {
				t.Errorf("inter-annotator %+v (κ %v)", ia, lsKappa(ia.Kappa))
			}
		}},
		{"three-way tie", []lsDecision{{"ann", "u1", "t1", []store.Candidate{lsRaw, lsSum, lsNone}, "tie", nil, time.Second}},
			func(t *testing.T, rep LabelReport) {
				// Each of the three pairs ties once: 2 ties each, win rate ½.
				// Bradley–Terry: θ = 0 each; information .25 per pair, I = .25(3I − J),
				// whose pseudo-inverse is (4/3)(I − J/3): Var = (4/3)(2/3) = 8/9.
				if !rep.StronglyConnected || len(rep.Candidates) != 3 {
					t.Fatalf("report %+v", rep)
				}
				for _, c := range rep.Candidates {
					if c.Ties != 2 || c.Wins != 0 || c.Losses != 0 || c.WinRate != 0.5 || !c.Strength.Estimable ||
						!lsNear(c.Strength.Theta, 0) || !lsNear(c.Strength.SE, math.Sqrt(8.0/9)) {
						t.Errorf("%+v", c)
					}
				}
			}},
		{"both bad only", []lsDecision{{"ann", "u1", "t1", sn, "both_bad", nil, time.Second}},
			func(t *testing.T, rep LabelReport) {
				// No outcome: win rate 0 over [0, 1], and no strength.
				for _, c := range rep.Candidates {
					if c.BothBad != 1 || c.Decisions != 1 || c.WinRate != 0 || c.Low != 0 || c.High != 1 || c.Strength.Reason != stats.ReasonNoGames {
						t.Errorf("%+v", c)
					}
				}
			}},
		{"skips only", []lsDecision{{"ann", "u1", "t1", sn, "skip", nil, time.Second}},
			func(t *testing.T, rep LabelReport) {
				if rep.Decisions != 0 || rep.Skips != 1 || len(rep.Candidates) != 0 || len(rep.Annotators) != 1 || rep.Annotators[0].Skips != 1 {
					t.Errorf("report %+v", rep)
				}
			}},
		{"a replay tie is not decisive", []lsDecision{{"ann", "u1", "h1", []store.Candidate{lsChosen, lsRejected}, "tie", nil, time.Second}},
			func(t *testing.T, rep LabelReport) {
				if rep.Replay.Decisive != 0 {
					t.Errorf("replay %+v", rep.Replay)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := storetest.Open(t)
			lsAdd(t, db, tt.decisions...)
			tt.check(t, lsReport(t, db))
		})
	}
}

// TestLabelReportJSON pins the snake_case names `eval --json` prints.
func TestLabelReportJSON(t *testing.T) {
	db := storetest.Open(t)
	lsAdd(t, db, lsDecision{"ann", "u1", "t1", []store.Candidate{lsSum, lsNone}, "a", nil, time.Second},
		lsDecision{"bob", "u1", "t1", []store.Candidate{lsSum, lsNone}, "a", nil, time.Second})
	b, err := json.Marshal(lsReport(t, db))
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"decisions":`, `"skips":`, `"candidates":`, `"strongly_connected":`, `"annotators":`,
		`"replay_agreement":`, `"inter_annotator":`, `"win_rate":`, `"ci95_low":`, `"ci95_high":`, `"bradley_terry":`,
		`"estimable":`, `"theta":`, `"se":`, `"median_decision_ns":`, `"both_bad":`, `"observed_agreement":`, `"kappa":`, `"pairs":`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("no %s in %s", key, b)
		}
	}
}

// A ranking with equal ranks: each candidate beats every one ranked below
// it, and those ranked equal tie.
func TestLabelStatsRankingWithEqualRanks(t *testing.T) {
	tests := []struct {
		name    string
		ranking []string // panes: a = summary, b = none, c = raw
		// wins, losses, ties of summary, none, raw
		want [3][3]int
	}{
		{"strict", []string{"a", "b", "c"}, [3][3]int{{2, 0, 0}, {1, 1, 0}, {0, 2, 0}}},
		{"last two equal", []string{"a", "b=c"}, [3][3]int{{2, 0, 0}, {0, 1, 1}, {0, 1, 1}}},
		{"first two equal", []string{"c=a", "b"}, [3][3]int{{1, 0, 1}, {0, 2, 0}, {1, 0, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := storetest.Open(t)
			lsAdd(t, db, lsDecision{"ann", "u1", "t1", []store.Candidate{lsSum, lsNone, lsRaw}, "", tt.ranking, time.Second})
			rep := lsReport(t, db)
			got := map[string][3]int{}
			for _, c := range rep.Candidates {
				got[c.Name] = [3]int{c.Wins, c.Losses, c.Ties}
			}
			for i, name := range []string{"vllm (summary)", "vllm (none)", "llama (raw)"} {
				if got[name] != tt.want[i] {
					t.Errorf("%s: wins, losses, ties %v, want %v", name, got[name], tt.want[i])
				}
			}
		})
	}
}
