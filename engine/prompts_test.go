package engine

import (
	"strconv"
	"strings"
	"testing"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
)

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
		input, err := SummarizerInput(u.ID, signals)
		if err != nil {
			return false, err
		}
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
		if !strings.HasSuffix(input, summarizerInstruction) {
			t.Errorf("%s: the input does not end with the instruction", u.ID)
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
	if _, err := SummarizerInput("u", signals); err == nil || !strings.Contains(err.Error(), `user "u" has no history`) {
		t.Fatalf("err = %v", err)
	}
	msgs, err := SummarizerMessages("u", append(signals, store.Signal{User: "u", ID: "p", Kind: store.KindProfile, Text: "likes brevity"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].Role != "user" || !strings.Contains(msgs[0].Content, "# About this user\n\nlikes brevity\n") {
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
	msgs, err := GeneratorMessages(store.ConditionRaw, "What should I ask?", "", selectHistory(signals, DefaultHistoryBudget))
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
	if !strings.HasSuffix(content, "# Prompt\n\nWhat should I ask?") {
		t.Errorf("the prompt is not last: …%q", content[max(0, len(content)-60):])
	}
	none, _ := GeneratorMessages(store.ConditionNone, "Hi", "", History{})
	summary, _ := GeneratorMessages(store.ConditionSummary, "Hi", "Likes brevity.", History{})
	if none[0].Content != "Hi" || !strings.HasPrefix(summary[0].Content, "# What this user prefers\n\nLikes brevity.\n\n# Your task") {
		t.Errorf("none %q, summary %q", none[0].Content, summary[0].Content)
	}
}

func TestSelectHistoryKeepsTheMostRecentWithinBudget(t *testing.T) {
	var signals []store.Signal
	for i := 1; i <= 10; i++ {
		signals = append(signals, store.Signal{ID: string(rune('a' + i)), Kind: store.KindPair, Seq: uint64(i),
			Prompt: strings.Repeat("p", 400), Chosen: strings.Repeat("c", 400), Rejected: strings.Repeat("r", 400)})
	}
	signals = append(signals,
		store.Signal{ID: "profile", Kind: store.KindProfile, Seq: 11, Text: "a profile"},
		store.Signal{ID: "held", Kind: store.KindPair, Split: store.SplitHeldout, Seq: 12, Prompt: "x", Chosen: "y", Rejected: "z"})
	h := selectHistory(signals, 1000) // each pair costs about 320 tokens
	if !h.cut || len(h.pairs) != 3 || h.pairs[0].Seq != 8 || h.pairs[2].Seq != 10 || len(h.profiles) != 1 {
		t.Errorf("cut %v, pairs %d (first seq %d), profiles %d", h.cut, len(h.pairs), h.pairs[0].Seq, len(h.profiles))
	}
	all := selectHistory(signals, DefaultHistoryBudget)
	if all.cut || len(all.pairs) != 10 {
		t.Errorf("the default budget cut %d pairs to %d", 10, len(all.pairs))
	}
	// Even a budget too small for one signal keeps the newest.
	one := selectHistory(signals, 1)
	if len(one.pairs) != 1 || one.pairs[0].Seq != 10 || !one.cut {
		t.Errorf("tiny budget: %+v", one.pairs)
	}
}
