package store_test

import (
	"strings"
	"testing"

	"github.com/popi-tui/popi-tui/store/storetest"
)

func TestEvalRunsKeepTheLatestOfEachKey(t *testing.T) {
	db := storetest.Open(t)
	runs := []struct{ metric, key, result string }{
		{"accuracy", "accuracy vllm current", `{"accuracy":0.5}`},
		{"judge", "judge gpt vllm", `{"win_rate":0.7}`},
		{"accuracy", "accuracy vllm current", `{"accuracy":0.75}`},
	}
	for _, r := range runs {
		if _, err := db.AddEvalRun(r.metric, r.key, []byte(r.result)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.LatestEvalRuns()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Key != "accuracy vllm current" || string(got[0].Result) != `{"accuracy":0.75}` ||
		got[1].Metric != "judge" || got[0].ID == "" || got[0].CreatedAt.IsZero() {
		t.Errorf("latest runs: %+v", got)
	}
	tests := []struct{ metric, key, result, want string }{
		{"", "k", `{}`, "no metric or key"},
		{"accuracy", " ", `{}`, "no metric or key"},
		{"accuracy", "k", `{"half":`, "not JSON"},
	}
	for _, tt := range tests {
		if _, err := db.AddEvalRun(tt.metric, tt.key, []byte(tt.result)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("AddEvalRun(%q, %q, %q): %v, want %q", tt.metric, tt.key, tt.result, err, tt.want)
		}
	}
}
