package eval

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/engine/internal/enginetest"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
)

// judgeFake is one server playing generators and judge. As a generator
// it answers "TAG@MODEL PROMPT", where TAG says what it was given: SUMMARY
// the user's summary (every summary of judgeDB says summaryText), RAW the
// history (a pair rejecting "verbose"), PLAIN nothing. As judge (a request
// that shows two answers, headed "# Answer A" and "# Answer B" in the
// judge's wording) it follows the script of the prompt being judged, given
// where the summary answer of generator model "g" is.
type judgeFake struct {
	srv *httptest.Server
	// script[prompt] says what the judge writes, given which answer (A
	// or B) is the summary one.
	script map[string]func(summaryIs string) string
	mu     sync.Mutex
	asked  []judgeAsked // what the judge was sent
}

// judgeAsked is one judge request: its last turn, and the answers in it.
type judgeAsked struct {
	content, a, b, prompt string
}

func newJudgeFake(t *testing.T, script map[string]func(summaryIs string) string) *judgeFake {
	f := &judgeFake{script: script}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Model    string          `json:"model"`
			Messages []store.Message `json:"messages"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		content := req.Messages[len(req.Messages)-1].Content
		if !strings.Contains(content, "# Answer A\n\n") {
			prompt := content[strings.LastIndex(content, "\n")+1:]
			tag := "PLAIN"
			switch {
			case strings.Contains(content, summaryText):
				tag = "SUMMARY"
			case strings.Contains(content, "verbose"):
				tag = "RAW"
			}
			enginetest.WriteStream(w, req.Model, []string{tag + "@" + req.Model + " " + prompt}, "stop")
			return
		}
		a := between(content, "# Answer A\n\n", "\n\n# Answer B")
		b := between(content, "# Answer B\n\n", "\n\n# Your task")
		_, prompt, _ := strings.Cut(a, " ")
		f.mu.Lock()
		f.asked = append(f.asked, judgeAsked{content, a, b, prompt})
		f.mu.Unlock()
		summaryIs := "B"
		if strings.HasPrefix(a, "SUMMARY@g ") {
			summaryIs = "A"
		}
		enginetest.WriteStream(w, req.Model, []string{f.script[prompt](summaryIs)}, "stop")
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// requests is what the judge was sent, so far.
func (f *judgeFake) requests() []judgeAsked {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.asked)
}

// judgeEngine is an engine with backends on f: generator "gen" (model
// g), generator "base" (model b), judge "judge" (model j).
func judgeEngine(t *testing.T, db *store.DB, f *judgeFake, budget int) *engine.Engine {
	t.Helper()
	backend := func(name, model, role string) engine.BackendConfig {
		return engine.BackendConfig{Name: name, Kind: engine.KindOpenAI, Roles: []string{role}, BaseURLs: []string{f.srv.URL + "/v1"}, Model: model, Concurrency: 4, Timeout: 5 * time.Second}
	}
	e := engine.New(db, engine.Config{MaxAttempts: 1, Concurrency: 16, HistoryBudget: budget, Backends: []engine.BackendConfig{
		backend("gen", "g", engine.RoleGenerator), backend("base", "b", engine.RoleGenerator), backend("judge", "j", engine.RoleJudge),
	}}, engine.Options{})
	t.Cleanup(e.Close)
	return e
}

func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	s = s[i+len(from):]
	if j := strings.Index(s, to); j >= 0 {
		return s[:j]
	}
	return s
}

// summaryText is what every summary of judgeDB says.
const summaryText = "Wants it short."

// judgeDB: users user0… with one task each, of the prompts given, and
// "nosum" with a task; each has a persona and a history pair; all but
// "nosum" have a summary.
func judgeDB(t *testing.T, prompts []string) *store.DB {
	t.Helper()
	db := storetest.Open(t)
	var in strings.Builder
	for i, p := range append(slices.Clone(prompts), "unjudged") {
		u := fmt.Sprintf("user%d", i)
		if i == len(prompts) {
			u = "nosum"
		}
		fmt.Fprintf(&in, `{"user":%q,"kind":"persona","text":"%s is a retired sailor who wants one-line answers."}`+"\n", u, u)
		fmt.Fprintf(&in, `{"user":%q,"kind":"pair","prompt":"an old question","chosen":"brief","rejected":"verbose"}`+"\n", u)
		fmt.Fprintf(&in, `{"user":%q,"kind":"task","prompt":%q}`+"\n", u, p)
	}
	if _, err := db.Import(context.Background(), "judge.jsonl", strings.NewReader(in.String()), store.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	addSummaries(t, db, "nosum")
	return db
}

// addSummaries gives every user of db but those named a summary saying
// summaryText.
func addSummaries(t *testing.T, db *store.DB, except ...string) {
	t.Helper()
	ids, err := db.UserIDs()
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range ids {
		if !slices.Contains(except, u) {
			if _, err := db.AddSummary(store.Summary{User: u, Text: summaryText, Source: "m/x"}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// The verdicts of both orders make one outcome; position bias, ties and
// unreadable verdicts are counted as such.
func TestJudgeWinRate(t *testing.T) {
	prefer := func(want string) func(string) string { // the judge picks the summary answer (want "summary") or the other
		return func(summaryIs string) string {
			other := map[string]string{"A": "B", "B": "A"}[summaryIs]
			if want == "summary" {
				return "The first fits better.\n\nVerdict: " + summaryIs
			}
			return "**Verdict:** " + other
		}
	}
	script := map[string]func(string) string{
		"q-win":     prefer("summary"),
		"q-win2":    prefer("summary"),
		"q-loss":    prefer("none"),
		"q-tie":     func(string) string { return "Both are fine.\nverdict: TIE" },
		"q-first":   func(string) string { return "Verdict: A" }, // always the first: a split, a tie
		"q-wintie":  func(s string) string { return map[string]string{"A": "Verdict: A", "B": "Verdict: tie"}[s] },
		"q-garbled": func(string) string { return "The quick brown fox jumps over the lazy dog." },
		"q-halfread": func(s string) string {
			return map[string]string{"A": "Verdict: A", "B": "I cannot decide, maybe B?"}[s]
		},
		"q-think": func(s string) string {
			return "<think>Verdict: " + map[string]string{"A": "B", "B": "A"}[s] + "</think>\nVerdict: " + s
		},
	}
	db := judgeDB(t, []string{"q-win", "q-win2", "q-loss", "q-tie", "q-first", "q-wintie", "q-garbled", "q-halfread", "q-think"})
	f := newJudgeFake(t, script)
	e := judgeEngine(t, db, f, 0)
	rep, err := JudgeWinRate(context.Background(), e, JudgeOptions{Judge: "judge", Generator: "gen", Concurrency: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// wins: q-win, q-win2, q-wintie (1 and ½), q-think (the block is not
	// read); losses: q-loss; ties: q-tie, q-first (1 and 0); malformed:
	// q-garbled (both), q-halfread (one); skipped: nosum.
	want := JudgeReport{Items: 10, Wins: 4, Ties: 2, Losses: 1, MalformedItems: 2, Skipped: 1, Consistent: 5, FirstPicked: 0, Verdicts: 15}
	got := rep
	if got.Items != want.Items || got.Wins != want.Wins || got.Ties != want.Ties || got.Losses != want.Losses ||
		got.MalformedItems != want.MalformedItems || got.Skipped != want.Skipped || got.Consistent != want.Consistent || got.Verdicts != want.Verdicts {
		t.Errorf("report %+v\nwant %+v", got, want)
	}
	if len(got.Malformed) != 3 {
		t.Errorf("malformed verdicts %+v, want 3 (two of q-garbled, one of q-halfread)", got.Malformed)
	}
	for _, m := range got.Malformed {
		if !strings.Contains(m.Item, "/") || (m.Order != "summary first" && m.Order != "opponent first") || m.Answer == "" {
			t.Errorf("malformed %+v", m)
		}
	}
	if rate := 5.0 / 7; got.WinRate != rate || !(got.Low < rate && rate < got.High) {
		t.Errorf("win rate %v [%v, %v], want %v inside its interval", got.WinRate, got.Low, got.High, rate)
	}
	// A's: q-win, q-win2, q-think summary-first (3); q-loss opponent-first (1);
	// q-first both (2); q-wintie first (1); q-halfread first (1).
	if got.FirstPicked != 8 {
		t.Errorf("first picked %d times, want 8", got.FirstPicked)
	}
	if rep.Run.Failed != 0 {
		t.Errorf("run: %+v", rep.Run)
	}
	// The judge was told the persona (the default), and only that; the
	// skipped user is counted with the reason.
	asked := f.requests()
	for _, a := range asked {
		if !strings.Contains(a.content, " is a retired sailor who wants one-line answers.") || strings.Contains(a.content, "verbose") {
			t.Errorf("the judge was not told the persona alone:\n%s", a.content)
		}
	}
	if len(asked) != 18 || rep.Told != engine.JudgeToldPersona || rep.Orders != OrdersBoth || !maps.Equal(rep.SkippedReasons, map[string]int{SkipNoSummary: 1}) {
		t.Errorf("%d judgements (want 18), told %q, orders %q, skipped %v", len(asked), rep.Told, rep.Orders, rep.SkippedReasons)
	}
}

// The offline engine answers no condition: it is refused as the generator
// or the opponent up front, not failed item by item, and so are choices
// that mean nothing. A run with no verdict reports an interval that says
// nothing is known, and lists (empty) in JSON.
func TestJudgeRefusals(t *testing.T) {
	db := judgeDB(t, []string{"q"})
	f := newJudgeFake(t, map[string]func(string) string{"q": func(string) string { return "Verdict: A" }})
	e := judgeEngine(t, db, f, 0)
	tests := []struct {
		name string
		opt  JudgeOptions
		want string
	}{
		{"replay generator", JudgeOptions{Generator: engine.ReplayName, Against: Opponent{"gen", "none"}}, "backend replay cannot be judged: it is the offline engine, which answers no condition (give --backend a model server)"},
		{"replay opponent", JudgeOptions{Generator: "gen", Against: Opponent{engine.ReplayName, "none"}}, "give --against a model server"},
		{"unknown opponent", JudgeOptions{Generator: "gen", Against: Opponent{"nosuch", "none"}}, `--against: no backend named "nosuch" (generators: gen, base`},
		{"the summary answer itself", JudgeOptions{Generator: "gen", Against: Opponent{"gen", "summary"}}, "opponent gen:summary is the summary answer itself"},
		{"unknown condition", JudgeOptions{Generator: "gen", Against: Opponent{"base", "bogus"}}, `opponent base:bogus: unknown condition "bogus" (want summary|raw|none)`},
		{"unknown orders", JudgeOptions{Generator: "gen", Orders: "three"}, `unknown orders "three" (want both or one)`},
		{"unknown persona", JudgeOptions{Generator: "gen", Told: "diary"}, `unknown persona "diary": the judge can be told the user's persona, profile, history`},
	}
	for _, tt := range tests {
		tt.opt.Judge = "judge"
		if _, err := JudgeWinRate(context.Background(), e, tt.opt, nil); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
	if asked := f.requests(); len(asked) != 0 {
		t.Errorf("a refused run asked the judge %d times", len(asked))
	}
	rep := (&judgeTally{}).report()
	if rep.Low != 0 || rep.High != 1 || rep.Malformed == nil || rep.SkippedReasons == nil {
		t.Errorf("empty report: interval [%v, %v], malformed %#v, skipped %#v; want [0, 1] and empty collections", rep.Low, rep.High, rep.Malformed, rep.SkippedReasons)
	}
}

// A judge that answers nothing has given no verdict: counted as
// unreadable (in both orders), not as a failure, and never guessed.
func TestJudgeEmptyAnswerIsUnreadable(t *testing.T) {
	db := judgeDB(t, []string{"q-empty", "q-ok"})
	f := newJudgeFake(t, map[string]func(string) string{
		"q-empty": func(string) string { return "" },
		"q-ok":    func(string) string { return "Verdict: tie" },
	})
	e := judgeEngine(t, db, f, 0)
	rep, err := JudgeWinRate(context.Background(), e, JudgeOptions{Judge: "judge", Generator: "gen"}, nil)
	if err != nil || rep.Run.Failed != 0 {
		t.Fatalf("run %+v, %v", rep.Run, err)
	}
	if rep.MalformedItems != 1 || len(rep.Malformed) != 2 || rep.Ties != 1 || rep.Wins+rep.Losses != 0 || rep.Verdicts != 2 {
		t.Errorf("report %+v; want q-empty unreadable in both orders, q-ok a tie", rep)
	}
}

func TestParseVerdict(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"Verdict: A", "A", true},
		{"reasons\n\nVerdict: b\n", "B", true},
		{"**Verdict:** Tie", "tie", true},
		{"Verdict: A.", "A", true},
		{"<think>Verdict: A</think>\nVerdict: B", "B", true},
		{"Verdict: A\nActually, wait.", "", false},
		{"Verdict: C", "", false},
		{"Verdict: A or B", "", false},
		{"I prefer A", "", false},
		{"", "", false},
		{"The quick brown fox jumps over the lazy dog.", "", false},
	}
	for _, tt := range tests {
		got, ok := parseVerdict(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseVerdict(%q) = %q %v, want %q %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
