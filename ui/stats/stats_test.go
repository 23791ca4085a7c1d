package stats

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/screen"
	"github.com/popi-tui/popi-tui/ui/uitest"
)

// The Stats screen reads the labels again when
// one is saved, keeps to the terminal's size and scrolls.
func TestStatsScreenFollowsTheLabels(t *testing.T) {
	env := uitest.New(t, 80, 24, uitest.Options{})
	db := env.DB
	s := New(env.Ctx)
	env.Open(s)
	v := env.View()
	for _, want := range []string{"Stats", "Human labels — 0 decisions (and 0 skips)", "No decisions yet", "Context saving"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
	uitest.CheckFrame(t, v, 80, 24)

	shown := time.Now().Add(-3 * time.Second).UTC()
	for _, verdict := range []string{"a", "b", "a"} {
		l, err := db.AddLabel(store.Label{Kind: store.LabelDecision, User: "terse-tom", PromptID: "ho1", Prompt: "p", Annotator: "bench" + verdict,
			Verdict: verdict, ShownAt: shown, Candidates: []store.Candidate{
				{Pane: "a", Slot: 0, Backend: "replay", Replay: "chosen", Condition: "none"},
				{Pane: "b", Slot: 1, Backend: "replay", Replay: "rejected", Condition: "none"}}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		_ = l
		env.Send(screen.LabelSavedMsg{})
		env.Settle()
	}
	v = env.View()
	for _, want := range []string{"Human labels — 2 decisions", "replay (chosen)", "50.0%", "Agreement with the dataset's choice"} {
		if !strings.Contains(v, want) {
			t.Errorf("after two labels the view lacks %q:\n%s", want, v)
		}
	}
	uitest.CheckFrame(t, v, 80, 24)
	top := s.vp.YOffset
	env.Press("end")
	if s.vp.YOffset <= top {
		t.Errorf("end did not scroll (offset %d)", s.vp.YOffset)
	}
	env.Send(tea.WindowSizeMsg{Width: 60, Height: 20})
	env.Settle()
	uitest.CheckFrame(t, env.View(), 60, 20)
	env.Press("esc")
	if env.Top() == screen.Screen(s) {
		t.Error("esc did not close the Stats screen")
	}
}

// Kept runs on the Stats screen: a run limited to some users says so, a
// judge run without verdicts says why, and what the database holds (any
// --db) reaches the terminal sanitized.
func TestStatsScreenKeptRuns(t *testing.T) {
	const evil = "\x1b]52;c;eA==\x07\x1b[2J"
	tests := []struct {
		name       string
		metric     string
		result     string
		want, lack []string
	}{
		{"accuracy over all users", "accuracy",
			`{"backend":"vllm","model":"m","summary":"current","conditions":[{"condition":"summary","pairs":4,"correct":3,"accuracy":0.75}]}`,
			[]string{"vllm (m), summaries: current · ", "summary  ", "75.0%", "4 pairs"}, []string{"users:"}},
		{"accuracy with a condition that failed for some pairs", "accuracy",
			`{"backend":"vllm","model":"m","summary":"current","conditions":[{"condition":"summary","pairs":4,"correct":3,"accuracy":0.75},{"condition":"raw","pairs":0,"failed":4}]}`,
			[]string{"4 pairs · 0 context tokens", "raw      no pairs (0 skipped) · 4 failed"}, []string{"4 pairs · 0 context tokens · "}},
		{"accuracy over two users", "accuracy",
			`{"backend":"vllm","model":"m","summary":"current","users":["u1","u2"],"conditions":[{"condition":"summary","pairs":2,"correct":2,"accuracy":1}]}`,
			[]string{"vllm (m), summaries: current · users: u1, u2 · "}, nil},
		{"judge over many users", "judge",
			`{"judge":"j","judge_model":"jm","generator":"g","users":["a","b","c","d","e"],"items":5,"wins":5,"win_rate":1}`,
			[]string{"judge j (jm) on g: summary vs none · users: a, b, c and 2 more · "}, nil},
		{"judge: every prompt skipped", "judge",
			`{"judge":"j","judge_model":"jm","generator":"g","items":4,"skipped":4}`,
			[]string{"no verdict to count: of 4 prompts, 4 skipped (no summary)"}, []string{"unreadable"}},
		{"judge: every verdict unreadable", "judge",
			`{"judge":"j","judge_model":"jm","generator":"g","items":3,"malformed_items":3}`,
			[]string{"no verdict to count: of 3 prompts, 3 with an unreadable verdict"}, []string{"skipped"}},
		{"judge: some of each", "judge",
			`{"judge":"j","judge_model":"jm","generator":"g","items":3,"skipped":1,"malformed_items":2}`,
			[]string{"no verdict to count: of 3 prompts, 1 skipped (no summary), 2 with an unreadable verdict"}, nil},
		{"judge: skipped beside verdicts", "judge",
			`{"judge":"j","judge_model":"jm","generator":"g","items":3,"wins":2,"skipped":1,"win_rate":1}`,
			[]string{"2/0/0 W/T/L · 0 unreadable · 1 skipped (no summary)"}, nil},
		{"accuracy against a reference, with β and datasets", "accuracy",
			`{"backend":"vllm","model":"m","reference":"base","reference_model":"bm","end_of_turn":true,"beta":0.1,"summary":"current",` +
				`"conditions":[{"condition":"summary","pairs":4,"correct":3,"accuracy":0.75,"mean_margin":1.25,"mean_dpo_loss":0.64}],` +
				`"by_dataset":[{"dataset":"alignx","conditions":[{"condition":"summary","pairs":2,"correct":2,"accuracy":1,"mean_margin":-0.5,"mean_dpo_loss":0.72}]}]}`,
			[]string{"vllm (m), summaries: current · reference base (bm) · end of turn counted · β 0.1 · ", "4 pairs · 0 context tokens · margin +1.25 · loss 0.640",
				"  dataset alignx", "    summary ", "margin −0.50 · loss 0.720"}, nil},
		{"judge against another backend, one order, told the profile", "judge",
			`{"judge":"j","judge_model":"jm","generator":"g","against_backend":"base","against_condition":"none","orders":"one","seed":7,"persona":"profile",` +
				`"items":4,"wins":1,"losses":1,"win_rate":0.5,"skipped":2,"skipped_reasons":{"no summary":1,"no profile":1}}`,
			[]string{"judge j (jm) on g: summary vs base:none · one order (seed 7) · told the profile · ", "1/0/1 W/T/L · 0 unreadable · 2 skipped (no profile: 1, no summary: 1)"}, nil},
		{"judge against the generator under raw", "judge",
			`{"judge":"j","judge_model":"jm","generator":"g","against_backend":"g","against_condition":"raw","orders":"both","persona":"persona","items":1,"wins":1,"win_rate":1}`,
			[]string{"judge j (jm) on g: summary vs raw · "}, []string{"one order", "told the"}},
		{"escapes in an accuracy run", "accuracy",
			`{"backend":"b` + jsonEscape(evil) + `","model":"m","summary":"current` + jsonEscape(evil) + `","users":["u` + jsonEscape(evil) + `"],` +
				`"conditions":[{"condition":"summary` + jsonEscape(evil) + `","pairs":1,"correct":1,"accuracy":1},{"condition":"raw` + jsonEscape(evil) + `","skipped":1}]}`,
			[]string{"summaries: current · users: u · ", "  summary  ", "  raw      no pairs (1 skipped)"}, []string{"\x1b", "\x07", "]52;", "[2J"}},
		{"escapes in a judge run", "judge",
			`{"judge":"j` + jsonEscape(evil) + `","judge_model":"jm","generator":"g","users":["u` + jsonEscape(evil) + `"],"items":1,"skipped":1}`,
			[]string{"judge j (jm) on g: summary vs none · users: u · "}, []string{"\x1b", "\x07", "]52;", "[2J"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := uitest.New(t, 80, 24, uitest.Options{})
			if _, err := env.DB.AddEvalRun(tt.metric, "run", []byte(tt.result)); err != nil {
				t.Fatal(err)
			}
			s := New(env.Ctx)
			env.Open(s)
			if s.err != nil {
				t.Fatal(s.err)
			}
			c := s.content(200)
			for _, want := range tt.want {
				if !strings.Contains(c, want) {
					t.Errorf("lacks %q:\n%s", want, c)
				}
			}
			for _, bad := range tt.lack {
				if strings.Contains(c, bad) {
					t.Errorf("has %q:\n%q", bad, c)
				}
			}
		})
	}
}

// jsonEscape is s as the inside of a JSON string.
func jsonEscape(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// The database's counts show at once, while the labels and summaries are
// still being worked out (seconds at a million), and stay when they come.
func TestStatsScreenShowsTheCountsFirst(t *testing.T) {
	env := uitest.New(t, 100, 24, uitest.Options{})
	s := New(env.Ctx)
	s.gen = 1
	st, err := env.DB.Stats()
	if err != nil {
		t.Fatal(err)
	}
	s.Update(countsLoadedMsg{gen: 1, data: countsData{stats: st, datasets: map[string]int{"": 2, "alignx": 3}}})
	v := s.View()
	for _, want := range []string{"Database", screen.Plural(st.Users, "user", "users"), "working out the labels and summaries",
		"Users per dataset: (none) 2, alignx 3"} {
		if !strings.Contains(v, want) {
			t.Errorf("before the analysis the view lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "Human labels") {
		t.Errorf("the labels are shown before they were read:\n%s", v)
	}
	s.Update(countsLoadedMsg{gen: 0, data: countsData{stats: store.Stats{Users: 99}}})
	if strings.Contains(s.View(), "99 users") {
		t.Error("an older read's counts replaced the newer ones")
	}
	env.Open(s)
	v = env.View()
	for _, want := range []string{"Database", "Human labels", "Context saving"} {
		if !strings.Contains(v, want) {
			t.Errorf("after the analysis the view lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "working out") {
		t.Errorf("still working out after the analysis:\n%s", v)
	}
}
