package store

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// decodeSummary gives what encoding/json gives for the same bytes.
func TestDecodeSummaryMatchesEncodingJSON(t *testing.T) {
	at := time.Date(2026, 2, 3, 4, 5, 6, 789_000_000, time.FixedZone("x", 3600))
	tests := []struct {
		name string
		s    Summary
	}{
		{"heuristic", Summary{ID: "s1", User: "u", Version: 1, Text: "No consistent preference.\nHeuristic.", Source: SourceHeuristic,
			Backend: "heuristic", Model: "heuristic", HistoryTokens: 750, SummaryTokens: 57, TokensEstimated: true, CreatedAt: at.UTC()}},
		{"model, with its input", Summary{ID: "s2", User: "ü🐙 <1> & \"q\"", Version: 12, Text: "Terse \u2028 answers\t", Source: "b/m",
			Backend: "b", Model: "m", Parent: 3, TemplateSet: "popi-2", Messages: []Message{{Role: "system", Content: "S"}, {Role: "user", Content: "H\n"}},
			Signals: []string{"pairs", "texts"}, PromptTokens: 1000, CompletionTokens: 200, HistoryCut: true, CreatedAt: at}},
		{"old, one input", Summary{ID: "s3", User: "u", Version: 2, Text: "x", Source: "m", TemplateVersion: 1, Input: "in", Signals: []string{}}},
		{"human", Summary{ID: "s4", User: "u", Version: 3, Text: "Edited.", Source: SourceHuman, Parent: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := json.Marshal(tt.s)
			if err != nil {
				t.Fatal(err)
			}
			var want, got Summary
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatal(err)
			}
			if err := decodeSummary(raw, &got); err != nil {
				t.Fatal(err)
			}
			if !got.CreatedAt.Equal(want.CreatedAt) {
				t.Errorf("created at %v, want %v", got.CreatedAt, want.CreatedAt)
			}
			got.CreatedAt, want.CreatedAt = time.Time{}, time.Time{}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("\n got %+v\nwant %+v", got, want)
			}
		})
	}
	// Damaged records are errors, as they are for encoding/json.
	for _, bad := range []string{`{"id":1}`, `{"version":"one"}`, `{"created_at":"yesterday"}`, `{"messages":[1]}`,
		`{"tokens_estimated":"yes"}`, `{"id":"x"`} {
		var s Summary
		if err := decodeSummary([]byte(bad), &s); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
