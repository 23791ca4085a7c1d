package engine

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
)

// builtinGenerator is what a generator on the built-in set is sent for
// prompt under a condition, with summary and the history in d.
func builtinGenerator(condition, prompt, summary string, d PromptData) ([]store.Message, error) {
	d.Prompt, d.Summary = prompt, summary
	return DefaultPromptSet().Generator(condition, d)
}

// builtinSummarizer is the built-in set's summarizer request for a user.
func builtinSummarizer(user string, signals []store.Signal) ([]store.Message, error) {
	return SummarizerPrompt{}.Input(user, signals)
}

// Held-out pairs, tasks and the persona must never reach the summarizer:
// held-out pairs test the summary, tasks are what it is used for, and the
// persona is the ground truth it is judged against.
func TestSummarizerInputNeverLeaksHeldOutTasksOrPersona(t *testing.T) {
	db := storetest.DemoDB(t)
	users := 0
	err := db.EachUser("", func(u store.User) (bool, error) {
		users++
		signals, err := db.Signals(u.ID)
		if err != nil {
			return false, err
		}
		msgs, err := builtinSummarizer(u.ID, signals)
		if err != nil {
			return false, err
		}
		if len(msgs) != 2 || msgs[0].Role != "system" || msgs[1].Role != "user" {
			t.Fatalf("%s: %d messages, want a system turn and a user turn: %+v", u.ID, len(msgs), msgs)
		}
		input := msgs[0].Content + msgs[1].Content
		example := 0
		for _, s := range signals {
			switch {
			case s.Kind == store.KindPair && s.Split == store.SplitHeldout:
				for _, text := range []string{s.Prompt, s.Chosen, s.Rejected} {
					if strings.Contains(input, text) {
						t.Errorf("%s: held-out pair %s leaks into the summarizer input: %q", u.ID, s.ID, text)
					}
				}
			case s.Kind == store.KindTask:
				if strings.Contains(input, s.Prompt) {
					t.Errorf("%s: task %s leaks: %q", u.ID, s.ID, s.Prompt)
				}
			case s.Kind == store.KindPersona:
				if strings.Contains(input, s.Text) {
					t.Errorf("%s: the persona leaks: %q", u.ID, s.Text)
				}
			case s.Kind == store.KindPair:
				example++
				want := "## Example " + strconv.Itoa(example) + "\n\n### Prompt\n\n" + s.Prompt + "\n\n### Preferred response\n\n" + s.Chosen +
					"\n\n### Dispreferred response\n\n" + s.Rejected + "\n"
				if !strings.Contains(input, want) {
					t.Errorf("%s: history pair %s is not laid out as example %d", u.ID, s.ID, example)
				}
			case s.Kind == store.KindText || s.Kind == store.KindProfile:
				if !strings.Contains(input, s.Text) {
					t.Errorf("%s: %s %s is missing", u.ID, s.Kind, s.ID)
				}
			}
		}
		// POPI's order: the examples, then the instruction.
		if i, j := strings.Index(msgs[1].Content, "## Example 1\n"), strings.Index(msgs[1].Content, "# Your task\n\nStudy the examples above."); i < 0 || j < i || !strings.HasSuffix(msgs[1].Content, "Write only the summary.") {
			t.Errorf("%s: the examples do not come before the instruction, or the input does not end with it", u.ID)
		}
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if users != 8 {
		t.Fatalf("checked %d demo users, want 8", users)
	}
}

func TestSummarizerInputNeedsHistory(t *testing.T) {
	signals := []store.Signal{
		{User: "u", ID: "h", Kind: store.KindPair, Split: store.SplitHeldout, Prompt: "p", Chosen: "a", Rejected: "b"},
		{User: "u", ID: "t", Kind: store.KindTask, Prompt: "p"},
		{User: "u", ID: "persona", Kind: store.KindPersona, Text: "x"},
	}
	if _, err := builtinSummarizer("u", signals); !errors.Is(err, store.ErrNoHistory) || !strings.Contains(err.Error(), `user "u" has no history`) {
		t.Fatalf("err = %v", err)
	}
	msgs, err := builtinSummarizer("u", append(signals, store.Signal{User: "u", ID: "p", Kind: store.KindProfile, Text: "likes brevity"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 || !strings.HasPrefix(msgs[1].Content, "# About this user\n\nlikes brevity\n\n# Your task") {
		t.Fatalf("messages = %+v", msgs)
	}
}

// The raw condition puts the history in place of a summary: the same
// rule holds, nothing held out, no tasks, no persona.
func TestGeneratorRawConditionNeverLeaks(t *testing.T) {
	db := storetest.DemoDB(t)
	signals, err := db.Signals("skeptic-sam")
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := builtinGenerator(store.ConditionRaw, "What should I ask?", "", historyData("skeptic-sam", signals, DefaultHistoryBudget, nil))
	if err != nil {
		t.Fatal(err)
	}
	content := msgs[0].Content
	for _, s := range signals {
		var secret []string
		switch {
		case s.Kind == store.KindPair && s.Split == store.SplitHeldout:
			secret = []string{s.Chosen, s.Rejected, s.Prompt}
		case s.Kind == store.KindTask, s.Kind == store.KindPersona:
			secret = []string{s.Prompt, s.Text}
		}
		for _, x := range secret {
			if x != "" && strings.Contains(content, x) {
				t.Errorf("%s %s leaks into the raw condition", s.Kind, s.ID)
			}
		}
	}
	if len(msgs) != 1 || !strings.HasSuffix(content, "# Prompt\n\nWhat should I ask?") {
		t.Errorf("the prompt is not last: …%q", content[max(0, len(content)-60):])
	}
}

// POPI's generator layout: the summary, the instruction, then the prompt;
// the none condition is the bare prompt as a single user turn.
func TestGeneratorLayout(t *testing.T) {
	none, _ := builtinGenerator(store.ConditionNone, "Hi", "", PromptData{})
	summary, _ := builtinGenerator(store.ConditionSummary, "Hi", "  Likes brevity.\n", PromptData{})
	if len(none) != 1 || none[0] != (store.Message{Role: "user", Content: "Hi"}) {
		t.Errorf("none = %+v, want the bare prompt as one user turn", none)
	}
	want := "# What this user prefers\n\nLikes brevity.\n\n# Your task\n\nAnswer the prompt below the way this user would prefer, following the preferences above. Write only the answer.\n\n# Prompt\n\nHi"
	if len(summary) != 1 || summary[0].Role != "user" || summary[0].Content != want {
		t.Errorf("summary = %+v", summary)
	}
	if _, err := builtinGenerator(store.ConditionRaw, "Hi", "", PromptData{}); !errors.Is(err, store.ErrNoHistory) {
		t.Errorf("raw without history: %v", err)
	}
	if _, err := builtinGenerator("best", "Hi", "", PromptData{}); err == nil {
		t.Error("an unknown condition was rendered")
	}
}

func TestHistoryDataKeepsTheMostRecentWithinBudget(t *testing.T) {
	var signals []store.Signal
	for i := 1; i <= 10; i++ {
		signals = append(signals, store.Signal{ID: string(rune('a' + i)), Kind: store.KindPair, Seq: uint64(i),
			Prompt: strings.Repeat("p", 400) + strconv.Itoa(i), Chosen: strings.Repeat("c", 400), Rejected: strings.Repeat("r", 400)})
	}
	signals = append(signals,
		store.Signal{ID: "profile", Kind: store.KindProfile, Seq: 11, Text: "a profile"},
		store.Signal{ID: "held", Kind: store.KindPair, Split: store.SplitHeldout, Seq: 12, Prompt: "x", Chosen: "y", Rejected: "z"})
	d := historyData("u", signals, 1000, nil) // each pair costs about 320 tokens
	if !d.HistoryCut || len(d.Pairs) != 3 || !strings.HasSuffix(d.Pairs[0].Prompt, "8") || d.Pairs[0].N != 1 || d.Pairs[2].N != 3 || d.Profile != "a profile" {
		t.Errorf("cut %v, pairs %d (first %+v), profile %q", d.HistoryCut, len(d.Pairs), d.Pairs[0].N, d.Profile)
	}
	all := historyData("u", signals, DefaultHistoryBudget, nil)
	if all.HistoryCut || len(all.Pairs) != 10 {
		t.Errorf("the default budget cut %d pairs to %d", 10, len(all.Pairs))
	}
	// Even a budget too small for one signal keeps the newest.
	one := historyData("u", signals, 1, nil)
	if len(one.Pairs) != 1 || !strings.HasSuffix(one.Pairs[0].Prompt, "10") || !one.HistoryCut {
		t.Errorf("tiny budget: %+v", one.Pairs)
	}
}

// signals chooses what the history holds: AlignX's in-context setting
// (everything but the profile) and its profile-only setting.
func TestSignalsLeaveKindsOut(t *testing.T) {
	signals := []store.Signal{
		{ID: "h1", Kind: store.KindPair, Seq: 1, Prompt: "post one", Chosen: "liked", Rejected: "disliked"},
		{ID: "t1", Kind: store.KindText, Seq: 2, Text: "my comment", Source: "comment", Post: "the post it answered"},
		{ID: "profile", Kind: store.KindProfile, Seq: 3, Text: "traits derived from the answer"},
		{ID: "demographics", Kind: store.KindProfile, Seq: 4, Text: "age 30", Source: "demographics"},
	}
	ica := historyData("u", signals, DefaultHistoryBudget, []string{SignalPairs, SignalTexts, SignalDemographics})
	if ica.Profile != "" || ica.Demographics != "age 30" || len(ica.Pairs) != 1 || len(ica.Texts) != 1 || ica.Texts[0].Post != "the post it answered" {
		t.Errorf("pairs, texts and demographics: %+v", ica)
	}
	pba := historyData("u", signals, DefaultHistoryBudget, []string{SignalProfile})
	if pba.Profile != "traits derived from the answer" || pba.Demographics != "" || len(pba.Pairs)+len(pba.Texts) != 0 {
		t.Errorf("the profile alone: %+v", pba)
	}
	msgs, err := SummarizerPrompt{Signals: []string{SignalPairs, SignalTexts, SignalDemographics}}.Input("u", signals)
	if err != nil {
		t.Fatal(err)
	}
	if in := msgs[1].Content; strings.Contains(in, "traits derived") || !strings.Contains(in, "age 30") || !strings.Contains(in, "### In reply to\n\nthe post it answered\n\n### What they wrote\n\nmy comment\n") {
		t.Errorf("the summarizer input: %q", in)
	}
	if _, err := (SummarizerPrompt{Signals: []string{SignalProfile}}).Input("u", signals[:2]); !errors.Is(err, store.ErrNoHistory) {
		t.Errorf("no signal of the kinds allowed: %v", err)
	}
	if err := CheckSignals([]string{"pairs", "profiles"}); err == nil || !strings.Contains(err.Error(), `unknown signal "profiles"`) {
		t.Errorf("CheckSignals: %v", err)
	}
}
