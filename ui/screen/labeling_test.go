package screen

import (
	"slices"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/store"
)

func TestNextOpenWrapsAround(t *testing.T) {
	done := []bool{true, false, true, false}
	open := func(i int) bool { return done[i] }
	for from, want := range map[int]int{0: 1, 1: 1, 2: 3, 3: 3, -1: 1} {
		if got := NextOpen(len(done), from, open); got != want {
			t.Errorf("NextOpen from %d = %d, want %d", from, got, want)
		}
	}
	if got := NextOpen(2, 0, func(int) bool { return true }); got != -1 {
		t.Errorf("all done: %d", got)
	}
	if got := NextOpen(0, 0, open); got != -1 {
		t.Errorf("empty: %d", got)
	}
}

func TestUndoableIsTheNewestByTime(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var labels []store.Label
	for _, m := range []int{3, 1, 4, 2} { // storage order is not time order after a merge
		labels = append(labels, store.Label{ID: string(rune('0' + m)), DecidedAt: at.Add(time.Duration(m) * time.Minute)})
	}
	var ids []string
	for _, l := range Undoable(labels, 3) {
		ids = append(ids, l.ID)
	}
	if !slices.Equal(ids, []string{"2", "3", "4"}) || labels[0].ID != "3" {
		t.Errorf("undoable %v (the input kept: %v)", ids, labels[0].ID)
	}
}
