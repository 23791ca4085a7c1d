package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/popi-tui/popi-tui/engine/eval"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
)

// modelJudge is a server for the generators and the judge: a generator
// answers "An answer by MODEL.", the judge always says A; what the judge
// was sent is kept.
type modelJudge struct {
	srv   *httptest.Server
	mu    sync.Mutex
	asked []string
}

func newModelJudge(t *testing.T) *modelJudge {
	m := &modelJudge{}
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Model    string
			Messages []struct{ Content string }
		}
		json.NewDecoder(r.Body).Decode(&req)
		last := req.Messages[len(req.Messages)-1].Content
		text := "An answer by " + req.Model + "."
		if strings.Contains(last, "Verdict: tie") {
			m.mu.Lock()
			m.asked = append(m.asked, last)
			m.mu.Unlock()
			text = "Verdict: A"
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprintf(w, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":%q},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n", text)
	}))
	t.Cleanup(m.srv.Close)
	return m
}

// config has the generator "fake" (model tiny), the generator "base"
// (model b) and the judge "judge" (model j), all on m.
func (m *modelJudge) config(e *testEnv) string {
	url := m.srv.URL + "/v1"
	return e.withConfig(url, fmt.Sprintf("\n[[backend]]\nname = \"base\"\nrole = \"generator\"\nbase_url = %q\nmodel = \"b\"\n"+
		"\n[[backend]]\nname = \"judge\"\nrole = \"judge\"\nbase_url = %q\nmodel = \"j\"\n", url, url))
}

// Mistakes in the judge's flags are usage errors, found before any metric
// runs: an unknown backend is named, an unknown condition lists the valid
// ones, and a flag that would change nothing is refused.
func TestEvalJudgeUsage(t *testing.T) {
	e := newTestEnv(t)
	db := e.evalDB()
	cfg := newModelJudge(t).config(e)
	judge := []string{"--metric", "context", "--metric", "judge", "--backend", "fake"}
	tests := []struct {
		args []string
		want string
	}{
		{append(judge, "--against", "nosuch:none"), `--against "nosuch": no backend of that name with role "generator" (configured: fake, base, replay)`},
		{append(judge, "--against", "base:bogus"), `opponent base:bogus: unknown condition "bogus" (want summary|raw|none)`},
		{append(judge, "--against", "base"), `--against: opponent "base": want BACKEND:CONDITION`},
		{append(judge, "--against", "fake:summary"), "opponent fake:summary is the summary answer itself"},
		{[]string{"--metric", "judge", "--against", "fake:summary"}, "opponent fake:summary is the summary answer itself"}, // fake is the default generator
		{append(judge, "--against", "replay:none"), `--against "replay:none": backend replay is the offline engine`},
		{append(judge, "--orders", "three"), `unknown orders "three" (want both or one)`},
		{append(judge, "--persona", "diary"), `unknown persona "diary": the judge can be told the user's persona, profile, history`},
		{append(judge, "--seed", "7"), "--seed applies to --orders one"},
		{[]string{"--metric", "context", "--orders", "one"}, "--against, --orders and --persona apply to --metric judge"},
		{[]string{"--metric", "context", "--persona", "history"}, "--against, --orders and --persona apply to --metric judge"},
	}
	for _, tt := range tests {
		r := e.mustRun(ExitUsage, append([]string{"eval", "--db", db, "--config", cfg}, tt.args...)...)
		if !strings.Contains(r.stderr, tt.want) || r.stdout != "" {
			t.Errorf("%v: stdout %q, stderr %q, want only %q", tt.args, r.stdout, r.stderr, tt.want)
		}
	}
}

// judgeRunJSON is the part of eval --json's judge object these tests read.
type judgeRunJSON struct {
	AgainstBackend   string         `json:"against_backend"`
	AgainstModel     string         `json:"against_model"`
	AgainstCondition string         `json:"against_condition"`
	Orders           string         `json:"orders"`
	Seed             int64          `json:"seed"`
	Persona          string         `json:"persona"`
	Items            int            `json:"items"`
	Wins             int            `json:"wins"`
	Losses           int            `json:"losses"`
	Verdicts         int            `json:"verdicts_read"`
	SummaryFirst     int            `json:"summary_first"`
	Skipped          int            `json:"skipped"`
	SkippedReasons   map[string]int `json:"skipped_reasons"`
}

// The judge's choices reach the run and its report: the opponent's
// answers are base's, each prompt is judged once in the order seed 3
// draws, the judge is told the profile and the user without one is
// skipped with the reason; the JSON, the text and the kept run say so.
func TestEvalJudgeChoices(t *testing.T) {
	e := newTestEnv(t)
	db := e.demoDB()
	e.mustRun(ExitOK, "infer", "--db", db, "--backend", "heuristic")
	m := newModelJudge(t)
	cfg := m.config(e)
	args := []string{"eval", "--db", db, "--config", cfg, "--metric", "judge", "--backend", "fake", "--against", "base:none",
		"--orders", "one", "--seed", "3", "--persona", "profile", "--user", "terse-tom", "--user", "bullet-ben"}
	r := e.mustRun(ExitOK, append(args, "--json")...)
	var out struct{ Judge judgeRunJSON }
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("%v:\n%s", err, r.stdout)
	}
	// By hand from the demo data: terse-tom's prompts are judged, each
	// once, and the always-A judge wins those the seed showed the summary
	// answer first; bullet-ben has no profile.
	tom, ben := demoPrompts(t, db, "terse-tom"), demoPrompts(t, db, "bullet-ben")
	first := 0
	for _, id := range tom {
		if eval.SummaryFirst(3, "terse-tom", id) {
			first++
		}
	}
	j := out.Judge
	want := judgeRunJSON{AgainstBackend: "base", AgainstModel: "b", AgainstCondition: "none", Orders: "one", Seed: 3, Persona: "profile",
		Items: len(tom) + len(ben), Wins: first, Losses: len(tom) - first, Verdicts: len(tom), SummaryFirst: first, Skipped: len(ben)}
	if fmt.Sprint(j.SkippedReasons) != fmt.Sprint(map[string]int{"no profile": len(ben)}) {
		t.Errorf("skipped_reasons %v, want %d no profile", j.SkippedReasons, len(ben))
	}
	j.SkippedReasons = nil
	if fmt.Sprintf("%+v", j) != fmt.Sprintf("%+v", want) {
		t.Errorf("judge JSON %+v\nwant %+v", j, want)
	}
	m.mu.Lock()
	asked := m.asked
	m.mu.Unlock()
	for _, a := range asked {
		if !strings.Contains(a, "An answer by tiny.") || !strings.Contains(a, "An answer by b.") || !strings.Contains(a, "Software engi") {
			t.Errorf("the judge was not sent fake's answer, base's and terse-tom's profile:\n%s", a)
		}
	}
	r = e.mustRun(ExitOK, args...)
	for _, s := range []string{"the answer with the summary against base (b)'s answer with nothing, users: ", "judged in one order a prompt (seed 3), told the user's profile",
		fmt.Sprintf("%d wins, 0 ties, %d losses; 0 with an unreadable verdict, %d skipped (%d no profile)", first, len(tom)-first, len(ben), len(ben)),
		fmt.Sprintf("the summary answer shown first in %d of %d", first, len(tom))} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("output lacks %q:\n%s", s, r.stdout)
		}
	}
	runs := keptRuns(t, db)
	if len(runs) != 1 || runs[0].Key != `judge judge/j generator=fake users=["bullet-ben" "terse-tom"] against=base/b:none orders=one seed=3 persona=profile` {
		t.Errorf("kept runs %+v", runs)
	}
}

// demoPrompts are the ids of the user's held-out pairs and tasks: what
// the judge is asked about.
func demoPrompts(t *testing.T, path, user string) []string {
	t.Helper()
	db := storetest.OpenAt(t, path)
	defer db.Close()
	signals, err := db.Signals(user)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range signals {
		if s.Kind == store.KindTask || (s.Kind == store.KindPair && s.Split == store.SplitHeldout) {
			ids = append(ids, s.ID)
		}
	}
	if len(ids) == 0 {
		t.Fatalf("%s has no prompt to judge", user)
	}
	return ids
}
