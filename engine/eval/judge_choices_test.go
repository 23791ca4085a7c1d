package eval

import (
	"context"
	"maps"
	"strings"
	"testing"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
)

// jsonlDB is a database of the popi JSONL records given, every user with
// a summary saying summaryText.
func jsonlDB(t *testing.T, records ...string) *store.DB {
	t.Helper()
	db := storetest.Open(t)
	in := strings.Join(records, "\n") + "\n"
	if _, err := db.Import(context.Background(), "choices.jsonl", strings.NewReader(in), store.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	addSummaries(t, db)
	return db
}

// alwaysA is a judge script that picks answer A of every prompt given.
func alwaysA(prompts ...string) map[string]func(string) string {
	script := map[string]func(string) string{}
	for _, p := range prompts {
		script[p] = func(string) string { return "Verdict: A" }
	}
	return script
}

// The opponent's answers come from the backend and condition chosen; the
// summary answer is always the generator's with the summary. An opponent
// whose condition a user cannot be answered under is a skip, with why.
func TestJudgeAgainst(t *testing.T) {
	records := []string{
		`{"user":"ann","kind":"persona","text":"Ann wants one line."}`,
		`{"user":"ann","kind":"pair","prompt":"an old question","chosen":"brief","rejected":"verbose"}`,
		`{"user":"ann","kind":"task","prompt":"ann-q"}`,
		`{"user":"nohist","kind":"persona","text":"No history here."}`,
		`{"user":"nohist","kind":"task","prompt":"nohist-q"}`,
	}
	tests := []struct {
		against  Opponent
		want     string // the opponent's answer's tag and model
		backend  string // the report's opponent
		model    string
		skipped  map[string]int
		verdicts int
	}{
		{Opponent{}, "PLAIN@g", "gen", "g", map[string]int{}, 4},
		{Opponent{"base", "none"}, "PLAIN@b", "base", "b", map[string]int{}, 4},
		{Opponent{"base", "summary"}, "SUMMARY@b", "base", "b", map[string]int{}, 4},
		{Opponent{"base", "raw"}, "RAW@b", "base", "b", map[string]int{SkipNoRawInput: 1}, 2},
		{Opponent{"gen", "raw"}, "RAW@g", "gen", "g", map[string]int{SkipNoRawInput: 1}, 2},
	}
	for _, tt := range tests {
		f := newJudgeFake(t, alwaysA("ann-q", "nohist-q"))
		e := judgeEngine(t, jsonlDB(t, records...), f, 0)
		rep, err := JudgeWinRate(context.Background(), e, JudgeOptions{Judge: "judge", Generator: "gen", Against: tt.against}, nil)
		if err != nil || rep.Run.Failed != 0 {
			t.Fatalf("%v: %v, run %+v", tt.against, err, rep.Run)
		}
		condition := tt.against.Condition
		if condition == "" {
			condition = store.ConditionNone
		}
		if rep.AgainstBackend != tt.backend || rep.AgainstModel != tt.model || rep.AgainstCondition != condition ||
			rep.Verdicts != tt.verdicts || !maps.Equal(rep.SkippedReasons, tt.skipped) {
			t.Errorf("%v: report against %s (%s) %s, %d verdicts, skipped %v; want %s (%s) %s, %d, %v", tt.against,
				rep.AgainstBackend, rep.AgainstModel, rep.AgainstCondition, rep.Verdicts, rep.SkippedReasons, tt.backend, tt.model, condition, tt.verdicts, tt.skipped)
		}
		asked := f.requests()
		summaryFirst := 0
		for _, a := range asked {
			summary, opponent := a.a, a.b
			if !strings.HasPrefix(summary, "SUMMARY@g ") {
				summary, opponent = a.b, a.a
			} else {
				summaryFirst++
			}
			if summary != "SUMMARY@g "+a.prompt || opponent != tt.want+" "+a.prompt {
				t.Errorf("%v: the judge compared %q with %q, want the summary answer with %q", tt.against, summary, opponent, tt.want+" "+a.prompt)
			}
		}
		if len(asked) != tt.verdicts || 2*summaryFirst != len(asked) {
			t.Errorf("%v: %d judgements, %d with the summary answer first; want %d, half of them", tt.against, len(asked), summaryFirst, tt.verdicts)
		}
	}
}

// SummaryFirst is SHA-256(seed, NUL, user, NUL, prompt id)'s first byte
// even: the bytes below were worked out with
// printf '%s\0%s\0%s' SEED USER ID | sha256sum.
func TestSummaryFirst(t *testing.T) {
	tests := []struct {
		seed     int64
		user, id string
		first    byte
	}{
		{1, "ann", "t1", 0xe7}, {1, "ann", "t2", 0xb7}, {1, "ann", "t3", 0x49}, {1, "ann", "t4", 0x42}, {1, "bob", "t1", 0x87},
		{2, "ann", "t1", 0x64}, {2, "ann", "t2", 0x2f}, {2, "ann", "t3", 0xe9}, {2, "ann", "t4", 0x97}, {2, "bob", "t1", 0x89},
	}
	for _, tt := range tests {
		if got, want := SummaryFirst(tt.seed, tt.user, tt.id), tt.first%2 == 0; got != want {
			t.Errorf("SummaryFirst(%d, %q, %q) = %v, want %v (first byte %#x)", tt.seed, tt.user, tt.id, got, want, tt.first)
		}
	}
}

// One order: each prompt is judged once, in the order its seed draws (by
// hand, above: with seed 1 only ann/t4 shows the summary answer first,
// with seed 2 only ann/t1), the same in a run over a subset of the users;
// its one verdict is its vote. A judge that always says A wins exactly
// the prompts that showed the summary answer first.
func TestJudgeOneOrder(t *testing.T) {
	records := []string{`{"user":"bob","kind":"persona","text":"Bob."}`, `{"user":"bob","kind":"task","id":"t1","prompt":"bob/t1"}`,
		`{"user":"ann","kind":"persona","text":"Ann."}`}
	for _, id := range []string{"t1", "t2", "t3", "t4"} {
		records = append(records, `{"user":"ann","kind":"task","id":"`+id+`","prompt":"ann/`+id+`"}`)
	}
	tests := []struct {
		seed  int64
		users []string
		first []string // the prompts shown with the summary answer first
		items int
	}{
		{1, nil, []string{"ann/t4"}, 5},
		{2, nil, []string{"ann/t1"}, 5},
		{1, []string{"ann"}, []string{"ann/t4"}, 4},
		{2, []string{"bob"}, nil, 1},
	}
	for _, tt := range tests {
		f := newJudgeFake(t, alwaysA("ann/t1", "ann/t2", "ann/t3", "ann/t4", "bob/t1"))
		e := judgeEngine(t, jsonlDB(t, records...), f, 0)
		opt := JudgeOptions{Judge: "judge", Generator: "gen", Orders: OrdersOne, Seed: tt.seed, Users: tt.users}
		rep, err := JudgeWinRate(context.Background(), e, opt, nil)
		if err != nil || rep.Run.Failed != 0 {
			t.Fatalf("seed %d: %v, run %+v", tt.seed, err, rep.Run)
		}
		asked := f.requests()
		var first []string
		for _, a := range asked {
			if strings.HasPrefix(a.a, "SUMMARY@g ") {
				first = append(first, a.prompt)
			}
		}
		wins := len(tt.first)
		if len(asked) != tt.items || strings.Join(first, ",") != strings.Join(tt.first, ",") {
			t.Errorf("seed %d, users %v: %d judgements, the summary answer first in %v; want %d, in %v", tt.seed, tt.users, len(asked), first, tt.items, tt.first)
		}
		if rep.Items != tt.items || rep.Wins != wins || rep.Losses != tt.items-wins || rep.Ties != 0 || rep.Verdicts != tt.items ||
			rep.FirstPicked != tt.items || rep.SummaryFirst != wins || rep.Consistent != 0 || rep.Orders != OrdersOne || rep.Seed != tt.seed {
			t.Errorf("seed %d, users %v: report %+v", tt.seed, tt.users, rep)
		}
	}
}

// What the judge is told is the one thing chosen, word for word, and
// nothing else of the user; the history is cut to the history budget as
// the summarizer's is; a user who lacks what was chosen is skipped, with
// the reason.
func TestJudgeTold(t *testing.T) {
	const (
		persona = "Full is a night-shift nurse who reads on her phone."
		profile = "PROFILE: lives in Oslo, rides a bike to work."
		demo    = "DEMO: 34, female, Norway"
		text    = "TEXT: I never read long answers."
		post    = "POST: What do you read on the bus?"
	)
	records := []string{
		`{"user":"full","kind":"persona","text":"` + persona + `"}`,
		`{"user":"full","kind":"profile","text":"` + profile + `"}`,
		`{"user":"full","kind":"profile","source":"demographics","text":"` + demo + `"}`,
		`{"user":"full","kind":"pair","prompt":"OLD-PAIR-PROMPT","chosen":"ok","rejected":"` + strings.Repeat("long ", 1000) + `"}`,
		`{"user":"full","kind":"text","source":"comment","post":"` + post + `","text":"` + text + `"}`,
		`{"user":"full","kind":"pair","prompt":"NEW-PAIR-PROMPT","chosen":"NEW-CHOSEN","rejected":"NEW-REJECTED"}`,
		`{"user":"full","kind":"task","prompt":"full-q"}`,
	}
	for _, u := range []string{"nopersona", "noprofile", "nohistory"} {
		if u != "nopersona" {
			records = append(records, `{"user":"`+u+`","kind":"persona","text":"A persona."}`)
		}
		if u != "noprofile" {
			records = append(records, `{"user":"`+u+`","kind":"profile","text":"A profile."}`)
		}
		if u != "nohistory" {
			records = append(records, `{"user":"`+u+`","kind":"pair","prompt":"p","chosen":"c","rejected":"r"}`)
		}
		records = append(records, `{"user":"`+u+`","kind":"task","prompt":"`+u+`-q"}`)
	}
	everything := []string{persona, profile, demo, text, post, "NEW-PAIR-PROMPT", "NEW-CHOSEN", "NEW-REJECTED", "OLD-PAIR-PROMPT"}
	tests := []struct {
		told    string
		want    []string
		skipped string
	}{
		{engine.JudgeToldPersona, []string{persona}, "nopersona"},
		{engine.JudgeToldProfile, []string{profile, demo}, "noprofile"},
		{engine.JudgeToldHistory, []string{text, post, "NEW-PAIR-PROMPT", "NEW-CHOSEN", "NEW-REJECTED"}, "nohistory"}, // the old pair is over the budget
	}
	for _, tt := range tests {
		f := newJudgeFake(t, alwaysA("full-q", "nopersona-q", "noprofile-q", "nohistory-q"))
		e := judgeEngine(t, jsonlDB(t, records...), f, 200)
		rep, err := JudgeWinRate(context.Background(), e, JudgeOptions{Judge: "judge", Generator: "gen", Told: tt.told}, nil)
		if err != nil || rep.Run.Failed != 0 {
			t.Fatalf("%s: %v, run %+v", tt.told, err, rep.Run)
		}
		if rep.Told != tt.told || rep.Items != 4 || !maps.Equal(rep.SkippedReasons, map[string]int{"no " + tt.told: 1}) {
			t.Errorf("%s: told %q, %d items, skipped %v; want 4 items, %s skipped", tt.told, rep.Told, rep.Items, rep.SkippedReasons, tt.skipped)
		}
		judged := 0
		for _, a := range f.requests() {
			if a.prompt == tt.skipped+"-q" {
				t.Errorf("%s: %s was judged", tt.told, tt.skipped)
			}
			if a.prompt != "full-q" {
				continue
			}
			judged++
			for _, s := range everything {
				if want := strings.Contains(strings.Join(tt.want, "\n"), s); strings.Contains(a.content, s) != want {
					t.Errorf("%s: the judge was told %q: %v, want %v:\n%s", tt.told, s, !want, want, a.content)
				}
			}
		}
		if judged != 2 {
			t.Errorf("%s: full-q judged %d times, want 2", tt.told, judged)
		}
	}
}
