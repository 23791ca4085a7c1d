package screen

import (
	"testing"

	"github.com/charmbracelet/x/ansi"
)

func TestFitMiddle(t *testing.T) {
	tests := []struct {
		in   string
		w    int
		want string
	}{
		{"user-000123", 20, "user-000123         "},
		{"alignx-user-4f2a9b7c91c0", 11, "align…c91c0"},
		{"alignx-user-4f2a9b7c91c1", 11, "align…c91c1"},
		{"abcdef", 4, "abc…"}, // too narrow to keep both ends
		{"日本語のユーザー名です", 9, "日本…です"},
	}
	for _, tt := range tests {
		got := FitMiddle(tt.in, tt.w)
		if got != tt.want || ansi.StringWidth(got) != tt.w {
			t.Errorf("FitMiddle(%q, %d) = %q (%d cells), want %q", tt.in, tt.w, got, ansi.StringWidth(got), tt.want)
		}
	}
}
