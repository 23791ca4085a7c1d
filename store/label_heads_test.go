package store

import (
	"encoding/binary"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// The scanner-based readers of stored records give what encoding/json
// gives for the same bytes.
func TestLabelHeadDecodeMatchesEncodingJSON(t *testing.T) {
	at := time.Date(2026, 2, 3, 4, 5, 6, 789_000_000, time.FixedZone("x", 3600))
	labels := []Label{
		{ID: "id1", Kind: LabelDecision, User: "u <1> & \"q\"", PromptID: "p\n1", Prompt: "long prompt \u2028", SummaryID: "S", SummaryVersion: 12,
			Candidates: fxCandidates(3), Verdict: "b", Rationale: "because\t", Annotator: "kim\u009b", ShownAt: at, DecidedAt: at, AppVersion: "v"},
		{ID: "id2", Kind: LabelDecision, User: "u", PromptID: "p", Candidates: fxCandidates(4), Ranking: []string{"d", "a", "c", "b"},
			Annotator: "a", DecidedAt: at.UTC()},
		{ID: "id3", Kind: LabelRetraction, Retracts: "id1", User: "u", PromptID: "p", Annotator: "a"},
		{ID: "id4", Kind: LabelDecision, Amends: "id2", User: "ü🐙", PromptID: "p", Candidates: fxCandidates(2), Verdict: VerdictBothBad, Annotator: "a"},
	}
	labels[0].Candidates[1].Replay = "chosen"
	for _, l := range labels {
		raw, err := json.Marshal(l)
		if err != nil {
			t.Fatal(err)
		}
		var want, got labelHead
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatal(err)
		}
		if err := got.decode(raw); err != nil {
			t.Fatalf("%s: %v", l.ID, err)
		}
		if !got.DecidedAt.Equal(want.DecidedAt) {
			t.Errorf("%s: decided at %v, want %v", l.ID, got.DecidedAt, want.DecidedAt)
		}
		got.DecidedAt, want.DecidedAt = time.Time{}, time.Time{}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", l.ID, got, want)
		}
	}
	// Damaged records are errors, not zero values.
	for _, bad := range []string{`{"id":"x","decided_at":"yesterday"}`, `{"id":1}`, `{"candidates":[{"slot":"one"}]}`, `{"ranking":"a"}`, `{"id":"x"`} {
		var h labelHead
		if err := h.decode([]byte(bad)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestReadStoredAnswerMatchesEncodingJSON(t *testing.T) {
	for _, g := range []Generation{
		{ID: "g", Messages: []Message{{"system", "be <brief> & kind \"now\""}, {"user", "a\nb\u2028c \\u003c not an escape é"}}, Text: "x < y && z > 0\t\u0001"},
		{ID: "g2", Messages: []Message{{"user", ""}}, Text: ""},
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

// The eight-bytes-at-a-time tests agree with testing byte by byte.
func TestWordAtATimeTests(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	interesting := []byte{0, 0x1f, 0x20, '"', '\\', 'a', 0x7e, 0x7f, 0x80, 0xc2, 0xff}
	for range 200_000 {
		var b [8]byte
		for i := range b {
			if rng.IntN(3) == 0 {
				b[i] = interesting[rng.IntN(len(interesting))]
			} else {
				b[i] = byte(rng.IntN(256))
			}
		}
		w := binary.LittleEndian.Uint64(b[:])
		special, above := false, false
		for _, c := range b {
			special = special || c == '"' || c == '\\' || c < 0x20
			above = above || c >= 0x7f
		}
		if stringSpecial(w) != special || hasByteAbove7E(w) != above || plainASCII(b[:]) == above {
			t.Fatalf("%x: stringSpecial %v (want %v), hasByteAbove7E %v (want %v)", b, stringSpecial(w), special, hasByteAbove7E(w), above)
		}
	}
}
