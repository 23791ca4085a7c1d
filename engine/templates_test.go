package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/engine/internal/enginetest"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/format/formattest"
	"github.com/popi-tui/popi-tui/store/storetest"
)

// A custom template set, end to end: what the templates say reaches the
// server word for word, and what was sent is what is stored.

const customSet = `version = "custom-1"

[summarizer]
system = "SYS {{.User}}"
user = """
{{range .Pairs}}<{{.N}}|{{.Prompt}}|{{.Chosen}}|{{.Rejected}}>
{{end}}{{range .Texts}}(T{{.N}} {{.Source}} re: {{.Post}}) {{.Text}}
{{end}}P={{.Profile}} D={{.Demographics}}"""

[generator.summary]
system = "GEN"
user = "S={{.Summary}} Q={{.Prompt}}"

[generator.raw]
user = "{{range .Pairs}}<{{.N}}|{{.Prompt}}>{{end}} Q={{.Prompt}}"

[generator.none]
user = "Q={{.Prompt}}"

[judge]
user = "{{.Persona}}|{{.Prompt}}|{{.AnswerA}}|{{.AnswerB}}"
`

// customEngine is an engine over db with one backend "custom" (every role)
// on url, worded by the set in text, showing it the signals allowed.
func customEngine(t *testing.T, db *store.DB, url, text string, signals []string) *Engine {
	t.Helper()
	path := filepath.Join(t.TempDir(), "custom.toml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := LoadPromptSet(path)
	if err != nil {
		t.Fatal(err)
	}
	e := New(db, Config{HistoryBudget: DefaultHistoryBudget, MaxAttempts: 1, Concurrency: 8, Backends: []BackendConfig{{
		Name: "custom", Kind: KindOpenAI, Roles: []string{RoleSummarizer, RoleGenerator, RoleJudge}, BaseURLs: []string{url}, Model: "fake-model",
		MaxTokens: 64, Concurrency: 4, Timeout: 5 * time.Second, Prompts: set, Signals: signals}}}, Options{})
	t.Cleanup(e.Close)
	return e
}

// wantSummarizer is what customSet's summarizer turn says for signals, by
// hand: pairs, then texts, then the profiles.
func wantSummarizer(signals []store.Signal, allowed ...string) string {
	var b strings.Builder
	var profile, demographics []string
	n := 0
	for _, s := range signals {
		if s.Kind == store.KindPair && s.Split == store.SplitHistory && slices.Contains(allowed, SignalPairs) {
			n++
			fmt.Fprintf(&b, "<%d|%s|%s|%s>\n", n, s.Prompt, s.Chosen, s.Rejected)
		}
	}
	n = 0
	for _, s := range signals {
		if s.Kind == store.KindText && slices.Contains(allowed, SignalTexts) {
			n++
			fmt.Fprintf(&b, "(T%d %s re: %s) %s\n", n, s.Source, s.Post, s.Text)
		}
		if s.Kind == store.KindProfile && s.Source == "demographics" && slices.Contains(allowed, SignalDemographics) {
			demographics = append(demographics, strings.TrimSpace(s.Text))
		} else if s.Kind == store.KindProfile && s.Source == "" && slices.Contains(allowed, SignalProfile) {
			profile = append(profile, strings.TrimSpace(s.Text))
		}
	}
	fmt.Fprintf(&b, "P=%s D=%s", strings.Join(profile, "\n\n"), strings.Join(demographics, "\n\n"))
	return b.String()
}

func TestCustomSetReachesTheServerWordForWord(t *testing.T) {
	f := newFake(t, nil)
	rec := enginetest.NewRecorder(t, f.url())
	db := storetest.DemoDB(t)
	e := customEngine(t, db, rec.URL(), customSet, nil)
	ctx := context.Background()
	signals, _ := db.Signals("terse-tom")

	s, err := e.Summarize(ctx, "terse-tom", "custom", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []enginetest.Message{{Role: "system", Content: "SYS terse-tom"}, {Role: "user", Content: wantSummarizer(signals, AllSignals...)}}
	chats := rec.Chats()
	if len(chats) != 1 || !slices.Equal(chats[0], want) {
		t.Fatalf("the server was sent %q\nwant %q", chats, want)
	}
	if s.TemplateSet != "custom-1" || len(s.Messages) != 2 || s.Messages[1].Content != want[1].Content || s.Signals != nil {
		t.Errorf("stored summary: set %q, messages %+v, signals %v", s.TemplateSet, s.Messages, s.Signals)
	}

	task := signals[slices.IndexFunc(signals, func(s store.Signal) bool { return s.Kind == store.KindTask })]
	var history strings.Builder
	n := 0
	for _, p := range signals {
		if p.Kind == store.KindPair && p.Split == store.SplitHistory {
			n++
			fmt.Fprintf(&history, "<%d|%s>", n, p.Prompt)
		}
	}
	for _, tt := range []struct {
		condition string
		want      []enginetest.Message
	}{
		{store.ConditionSummary, []enginetest.Message{{Role: "system", Content: "GEN"}, {Role: "user", Content: "S=" + s.Text + " Q=" + task.Prompt}}},
		{store.ConditionRaw, []enginetest.Message{{Role: "user", Content: history.String() + " Q=" + task.Prompt}}},
		{store.ConditionNone, []enginetest.Message{{Role: "user", Content: "Q=" + task.Prompt}}},
	} {
		g, _, err := e.Generate(ctx, GenerateRequest{User: "terse-tom", PromptID: task.ID, Condition: tt.condition, Backend: "custom"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		chats := rec.Chats()
		if got := chats[len(chats)-1]; !slices.Equal(got, tt.want) {
			t.Errorf("%s: the server was sent %q\nwant %q", tt.condition, got, tt.want)
		}
		if g.TemplateSet != "custom-1" || len(g.Messages) != len(tt.want) || g.Messages[len(g.Messages)-1].Content != tt.want[len(tt.want)-1].Content {
			t.Errorf("%s: stored generation: set %q, messages %+v", tt.condition, g.TemplateSet, g.Messages)
		}
	}
	// prompts show's path gives the same messages.
	r, err := e.GeneratorRequest(GenerateRequest{User: "terse-tom", PromptID: task.ID, Condition: store.ConditionSummary, Backend: "custom"})
	if err != nil || r.TemplateSet != "custom-1" || len(r.Messages) != 2 || r.Messages[1].Content != "S="+s.Text+" Q="+task.Prompt || r.SummaryID != s.ID {
		t.Errorf("GeneratorRequest = %+v, %v", r, err)
	}
	j, err := e.JudgeRequest("custom", "terse-tom", task.ID, "first", "second")
	if err != nil || len(j.Messages) != 1 || j.Messages[0].Content != Persona(signals)+"|"+task.Prompt+"|first|second" {
		t.Errorf("JudgeRequest = %+v, %v", j, err)
	}
}

// infer's signals: the summarizer is shown the kinds allowed, the summary
// records them, and a run with other signals is not skipped as done.
func TestInferSignals(t *testing.T) {
	f := newFake(t, nil)
	rec := enginetest.NewRecorder(t, f.url())
	db := storetest.DemoDB(t)
	e := customEngine(t, db, rec.URL(), customSet, []string{SignalPairs, SignalTexts})
	var user string
	var signals []store.Signal
	db.EachUser("", func(u store.User) (bool, error) {
		signals, _ = db.Signals(u.ID)
		user = u.ID
		return !slices.ContainsFunc(signals, func(s store.Signal) bool { return s.Kind == store.KindProfile }), nil
	})
	ctx := context.Background()
	for _, tt := range []struct {
		signals, want []string
	}{
		{nil, []string{SignalPairs, SignalTexts}}, // the backend's
		{[]string{SignalProfile}, []string{SignalProfile}},
		{AllSignals, nil},
	} {
		rep, err := e.InferAll(ctx, InferOptions{Users: []string{user}, Backend: "custom", Signals: tt.signals}, nil)
		if err != nil || rep.Done != 1 {
			t.Fatalf("signals %v: %+v, %v", tt.signals, rep, err)
		}
		chats := rec.Chats()
		allowed := tt.want
		if allowed == nil {
			allowed = AllSignals
		}
		if got := chats[len(chats)-1][1].Content; got != wantSummarizer(signals, allowed...) {
			t.Errorf("signals %v: the summarizer was shown %q", tt.signals, got)
		}
		if s, _, _ := db.CurrentSummary(user); !slices.Equal(s.Signals, tt.want) {
			t.Errorf("signals %v: the summary records %v, want %v", tt.signals, s.Signals, tt.want)
		}
		if rep, _ := e.InferAll(ctx, InferOptions{Users: []string{user}, Backend: "custom", Signals: tt.signals}, nil); rep.Skipped != 1 {
			t.Errorf("signals %v again: %+v, want it skipped as done", tt.signals, rep)
		}
	}
}

// A template that only fails on some user's data fails that item with the
// file, table and line, and nothing is sent.
func TestTemplateFailingOnAUserSendsNothing(t *testing.T) {
	f := newFake(t, nil)
	rec := enginetest.NewRecorder(t, f.url())
	db := storetest.DemoDB(t)
	set := strings.Replace(customSet, `user = "Q={{.Prompt}}"`, `user = "Q={{.Prompt}} {{(index .Texts 0).Text}}"`, 1)
	e := customEngine(t, db, rec.URL(), set, nil)
	var user string
	db.EachUser("", func(u store.User) (bool, error) {
		user = u.ID
		return u.Counts.Texts > 0, nil
	})
	rep, err := e.GenerateAll(context.Background(), GenerateOptions{Users: []string{user}, Backends: []string{"custom"}, Conditions: []string{store.ConditionNone}}, nil)
	if err != nil || rep.Failed == 0 || rep.Failed != rep.Total {
		t.Fatalf("GenerateAll: %+v, %v", rep, err)
	}
	for _, e := range rep.Errors {
		if !strings.Contains(e.Reason, "custom.toml:18: [generator.none] user: at <index .Texts 0>") {
			t.Errorf("reason %q, want the file, table and line", e.Reason)
		}
	}
	if n := len(rec.Requests()); n != 0 {
		t.Errorf("%d requests were sent", n)
	}
}

// AlignX's posts reach the summarizer, under the comments they were
// written under, with the built-in alignx set.
func TestAlignXPostsReachTheSummarizer(t *testing.T) {
	f := newFake(t, nil)
	rec := enginetest.NewRecorder(t, f.url())
	db := storetest.Open(t)
	data, err := os.ReadFile("../testdata/alignx-example.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Import(context.Background(), "alignx-example.json", strings.NewReader(string(data)), store.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	set, _ := LoadPromptSet("builtin:alignx")
	e := New(db, Config{Backends: []BackendConfig{{Name: "ax", Kind: KindOpenAI, Roles: []string{RoleSummarizer}, BaseURLs: []string{rec.URL()},
		Model: "m", MaxTokens: 64, Concurrency: 1, Timeout: 5 * time.Second, Prompts: set}}}, Options{})
	defer e.Close()
	users, _ := e.SelectUsers(nil)
	if _, err := e.Summarize(context.Background(), users[0], "ax", nil); err != nil {
		t.Fatal(err)
	}
	in := rec.Chats()[0][1].Content
	for _, want := range []string{
		"# Who this user is\n\nA 17-year-old student who wants to build small games.\n\n",
		"# Posts this user commented on\n\n## Post 1\n\nTabs or spaces?\n\n## Their comment 1\n\nWhatever the formatter picks. I just want to ship.\n\n",
		"## Post 2\n\nShould I learn Git?\n\n## Comment they preferred 2\n\n",
	} {
		if !strings.Contains(in, want) {
			t.Errorf("the summarizer input lacks %q:\n%s", want, in)
		}
	}
}

// The real AlignX sample: its profile can give away the held-out answer,
// and signals leaves it out; alone, it is what the summarizer is shown.
func TestAlignXSampleSignalsLeaveTheProfileOut(t *testing.T) {
	path := formattest.AlignXSample(t)
	db := storetest.Open(t)
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	if _, err := db.Import(context.Background(), "sample.json", file, store.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	set, _ := LoadPromptSet("builtin:alignx")
	users, _ := New(db, Config{}, Options{}).SelectUsers(nil)
	checked := 0
	for _, u := range users[:20] {
		signals, _ := db.Signals(u)
		profile := signals[slices.IndexFunc(signals, func(s store.Signal) bool { return s.Kind == store.KindProfile })]
		ica, err := SummarizerPrompt{Prompts: set, Signals: []string{SignalPairs, SignalTexts, SignalDemographics}}.Input(u, signals)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(ica[1].Content, profile.Text) || !strings.Contains(ica[1].Content, "# Comments this user preferred and dispreferred") {
			t.Errorf("%s: without the profile: %q", u, ica[1].Content)
		}
		pba, err := SummarizerPrompt{Prompts: set, Signals: []string{SignalProfile}}.Input(u, signals)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(pba[1].Content, "# This user's traits\n\n"+strings.TrimSpace(profile.Text)+"\n\n# Your task\n\nTurn the traits above") {
			t.Errorf("%s: the profile alone: %q", u, pba[1].Content)
		}
		checked++
	}
	if checked != 20 {
		t.Errorf("checked %d users", checked)
	}
}
