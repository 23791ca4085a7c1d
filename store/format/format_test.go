package format

import "testing"

func TestSniff(t *testing.T) {
	tests := []struct {
		name, first string
		want        Format
	}{
		{"popi pair", `{"user":"u","kind":"pair","prompt":"p","chosen":"a","rejected":"b"}`, Popi},
		{"popi record missing its kind", `{"user":"u1","prompt":"p","chosen":"a","rejected":"b"}`, Popi},
		{"AlignX record", `{"prompt":"p","chosen":"a","rejected":"b"}`, AlignX},
		{"AlignX record without its pair", `{"ground_truth_persona":"g"}`, AlignX},
		{"AlignX record with a user id", `{"user_id":"7","prompt":"p","chosen":"a","rejected":"b","Pair-wise Comparative Feedback":[]}`, AlignX},
		{"neither", `{"x":1}`, Popi},
	}
	for _, tt := range tests {
		if got, ok := sniff([]byte(tt.first)); !ok || got != tt.want {
			t.Errorf("%s: sniffed %s (%v), want %s", tt.name, got, ok, tt.want)
		}
	}
	if _, ok := sniff([]byte(`{"prompt":p}`)); ok {
		t.Error("decided from a record that is not JSON")
	}
}
