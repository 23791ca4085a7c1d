package eval

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/engine/internal/enginetest"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
)

// judgeFake is one server playing generator and judge. As generator it
// answers "SUMMARY <prompt>" when given the user's summary (every summary
// of judgeDB says summaryText) and "PLAIN <prompt>" otherwise; as judge
// (a request that shows two answers, headed "# Answer A" and "# Answer B"
// in the judge's wording) it follows the script of the prompt being
// judged, given where the summary answer is.
type judgeFake struct {
	srv *httptest.Server
	// script[prompt] says what the judge writes, given which answer (A
	// or B) is the summary one.
	script map[string]func(summaryIs string) string
	mu     sync.Mutex
	asked  []string // what the judge was sent
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
			if strings.Contains(content, summaryText) {
				enginetest.WriteStream(w, req.Model, []string{"SUMMARY " + prompt}, "stop")
			} else {
				enginetest.WriteStream(w, req.Model, []string{"PLAIN " + prompt}, "stop")
			}
			return
		}
		f.mu.Lock()
		f.asked = append(f.asked, content)
		f.mu.Unlock()
		a := between(content, "# Answer A\n\n", "\n\n# Answer B")
		prompt := strings.TrimPrefix(strings.TrimPrefix(a, "SUMMARY "), "PLAIN ")
		summaryIs := "B"
		if strings.HasPrefix(a, "SUMMARY ") {
			summaryIs = "A"
		}
		enginetest.WriteStream(w, req.Model, []string{f.script[prompt](summaryIs)}, "stop")
	}))
	t.Cleanup(f.srv.Close)
	return f
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

// judgeDB: users with one task each; all but "nosum" have a summary;
// "persona-pat" has a persona, the others only history.
func judgeDB(t *testing.T, prompts []string) *store.DB {
	t.Helper()
	db := storetest.Open(t)
	var in strings.Builder
	for i, p := range prompts {
		u := fmt.Sprintf("user%d", i)
		if i == 0 {
			u = "persona-pat"
			fmt.Fprintf(&in, `{"user":%q,"kind":"persona","text":"Pat is a retired sailor who wants one-line answers."}`+"\n", u)
		}
		fmt.Fprintf(&in, `{"user":%q,"kind":"pair","prompt":"an old question","chosen":"brief","rejected":"verbose"}`+"\n", u)
		fmt.Fprintf(&in, `{"user":%q,"kind":"task","prompt":%q}`+"\n", u, p)
	}
	fmt.Fprintf(&in, `{"user":"nosum","kind":"task","prompt":"unjudged"}`+"\n")
	if _, err := db.Import(context.Background(), "judge.jsonl", strings.NewReader(in.String()), store.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	ids, _ := db.UserIDs()
	for _, u := range ids {
		if u != "nosum" {
			if _, err := db.AddSummary(store.Summary{User: u, Text: summaryText, Source: "m/x"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return db
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
	e := engine.New(db, engine.Config{MaxAttempts: 1, Concurrency: 16, Backends: []engine.BackendConfig{
		{Name: "gen", Kind: engine.KindOpenAI, Roles: []string{engine.RoleGenerator}, BaseURLs: []string{f.srv.URL + "/v1"}, Model: "g", Concurrency: 4, Timeout: 5 * time.Second},
		{Name: "judge", Kind: engine.KindOpenAI, Roles: []string{engine.RoleJudge}, BaseURLs: []string{f.srv.URL + "/v1"}, Model: "j", Concurrency: 4, Timeout: 5 * time.Second},
	}}, engine.Options{})
	defer e.Close()
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
		if !strings.Contains(m.Item, "/") || (m.Order != "summary first" && m.Order != "none first") || m.Answer == "" {
			t.Errorf("malformed %+v", m)
		}
	}
	if rate := 5.0 / 7; got.WinRate != rate || !(got.Low < rate && rate < got.High) {
		t.Errorf("win rate %v [%v, %v], want %v inside its interval", got.WinRate, got.Low, got.High, rate)
	}
	// A's: q-win, q-win2, q-think summary-first (3); q-loss none-first (1);
	// q-first both (2); q-wintie first (1); q-halfread first (1).
	if got.FirstPicked != 8 {
		t.Errorf("first picked %d times, want 8", got.FirstPicked)
	}
	if rep.Run.Failed != 0 {
		t.Errorf("run: %+v", rep.Run)
	}
	// Who the judge was told about: the persona, or the history.
	f.mu.Lock()
	defer f.mu.Unlock()
	persona, history := 0, 0
	for _, a := range f.asked {
		switch {
		case strings.Contains(a, "retired sailor"):
			persona++
		case strings.Contains(a, "an old question") && strings.Contains(a, "verbose"): // the history pair
			history++
		default:
			t.Errorf("the judge was told nothing of the user:\n%s", a)
		}
	}
	if persona != 2 || history != 16 {
		t.Errorf("%d judgements with the persona (want 2), %d with the history (want 16)", persona, history)
	}
}

// The offline engine answers no condition: it is refused as the generator
// up front, not failed item by item. A run with no verdict reports an
// interval that says nothing is known, and lists (empty) in JSON.
func TestJudgeRefusesTheOfflineGenerator(t *testing.T) {
	db := judgeDB(t, []string{"q"})
	f := newJudgeFake(t, map[string]func(string) string{"q": func(string) string { return "Verdict: A" }})
	e := engine.New(db, engine.Config{MaxAttempts: 1, Backends: []engine.BackendConfig{
		{Name: "judge", Kind: engine.KindOpenAI, Roles: []string{engine.RoleJudge}, BaseURLs: []string{f.srv.URL + "/v1"}, Model: "j", Concurrency: 1, Timeout: 5 * time.Second},
	}}, engine.Options{})
	defer e.Close()
	if _, err := JudgeWinRate(context.Background(), e, JudgeOptions{Judge: "judge", Generator: engine.ReplayName}, nil); err == nil || !strings.Contains(err.Error(), "offline engine") {
		t.Errorf("the replay generator: err = %v, want a refusal naming the offline engine", err)
	}
	rep := (&judgeTally{}).report()
	if rep.Low != 0 || rep.High != 1 || rep.Malformed == nil {
		t.Errorf("empty report: interval [%v, %v], malformed %#v; want [0, 1] and an empty list", rep.Low, rep.High, rep.Malformed)
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
	e := engine.New(db, engine.Config{MaxAttempts: 1, Concurrency: 4, Backends: []engine.BackendConfig{
		{Name: "gen", Kind: engine.KindOpenAI, Roles: []string{engine.RoleGenerator}, BaseURLs: []string{f.srv.URL + "/v1"}, Model: "g", Concurrency: 4, Timeout: 5 * time.Second},
		{Name: "judge", Kind: engine.KindOpenAI, Roles: []string{engine.RoleJudge}, BaseURLs: []string{f.srv.URL + "/v1"}, Model: "j", Concurrency: 4, Timeout: 5 * time.Second},
	}}, engine.Options{})
	defer e.Close()
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
