package uitest

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// CheckFrame checks that the frame fills the terminal exactly: h lines of
// w cells.
func CheckFrame(t testing.TB, v string, w, h int) {
	t.Helper()
	ls := strings.Split(v, "\n")
	if len(ls) != h {
		t.Errorf("%d lines, want %d", len(ls), h)
	}
	for i, l := range ls {
		if n := ansi.StringWidth(l); n != w {
			t.Errorf("line %d is %d cells, want %d: %q", i, n, w, l)
		}
	}
}

// WantIn and WantNotIn check the frame for texts.
func WantIn(t testing.TB, view string, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if !strings.Contains(view, s) {
			t.Errorf("view lacks %q:\n%s", s, view)
		}
	}
}

func WantNotIn(t testing.TB, view string, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(view, s) {
			t.Errorf("view has %q:\n%s", s, view)
		}
	}
}

// LineWith is the first line of view that contains s.
func LineWith(view, s string) string {
	for _, l := range strings.Split(view, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}
