package trl

import (
	"encoding/json"
	"testing"

	. "github.com/popi-tui/popi-tui/store"
)

func TestReadStoredAnswerMatchesEncodingJSON(t *testing.T) {
	for _, g := range []Generation{
		{ID: "g", Messages: []Message{{Role: "system", Content: "be <brief> & kind \"now\""}, {Role: "user", Content: "a\nb\u2028c \\u003c not an escape é"}}, Text: "x < y && z > 0\t\u0001"},
		{ID: "g2", Messages: []Message{{Role: "user", Content: ""}}, Text: ""},
		{ID: "g3"},
	} {
		raw, err := json.Marshal(g)
		if err != nil {
			t.Fatal(err)
		}
		a, err := readStoredAnswer(raw)
		if err != nil {
			t.Fatal(err)
		}
		var text string
		if err := json.Unmarshal(a.text, &text); err != nil || text != g.Text {
			t.Errorf("%s: text %q (%v), want %q", g.ID, a.text, err, g.Text)
		}
		if len(a.msgs) != len(g.Messages) {
			t.Fatalf("%s: %d messages, want %d", g.ID, len(a.msgs), len(g.Messages))
		}
		for i, m := range a.msgs {
			var content string
			if err := json.Unmarshal(m.content, &content); err != nil || content != g.Messages[i].Content || m.role != g.Messages[i].Role {
				t.Errorf("%s message %d: %q %q (%v), want %+v", g.ID, i, m.role, m.content, err, g.Messages[i])
			}
		}
	}
}
