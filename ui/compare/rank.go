package compare

// Ranking mode: with 3 or 4 panes the annotator presses the pane numbers
// best first; when every pane has a rank, the ranking is committed as one
// label (store.Label.Ranking), which the exporter turns into a preference
// pair for every two panes of different ranks. t makes the next pane rank
// equal to the last one.

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// ranking is the ranking being entered on the item on screen.
type ranking struct {
	ranks [][]int // pane indexes, best rank first
	equal bool    // t was pressed: the next pane joins the last rank
}

// ranked is the number of panes with a rank.
func (r *ranking) ranked() int {
	n := 0
	for _, rank := range r.ranks {
		n += len(rank)
	}
	return n
}

// rankOf is pane i's rank (1 the best), 0 when it has none yet.
func (r *ranking) rankOf(i int) int {
	for n, rank := range r.ranks {
		if slices.Contains(rank, i) {
			return n + 1
		}
	}
	return 0
}

// labelRanking is the ranking as a label stores it: the panes of a rank
// joined by store.RankTie, in letter order.
func (r *ranking) labelRanking() []string {
	out := make([]string, len(r.ranks))
	for n, rank := range r.ranks {
		letters := make([]string, len(rank))
		for j, i := range slices.Sorted(slices.Values(rank)) {
			letters[j] = store.PaneLetter(i)
		}
		out[n] = strings.Join(letters, store.RankTie)
	}
	return out
}

// toggleRanking enters or leaves ranking mode.
func (s *Screen) toggleRanking() tea.Cmd {
	it := s.current()
	switch {
	case s.rank != nil:
		s.rank = nil
		return screen.Notice("ranking mode left: 1–4 names the best again")
	case it == nil:
		return nil
	case len(it.panes) < 3:
		return screen.Notice(fmt.Sprintf("ranking needs 3 or 4 panes: with %d, a number names the best", len(it.panes)))
	}
	s.rank = &ranking{}
	return screen.Notice("ranking: press the panes' numbers best first (t: the next one ranks equal to the last)")
}

// rankKey takes the keys of ranking mode; ok is false for a key it leaves
// to the screen (the other verdicts, scrolling, the overlays).
func (s *Screen) rankKey(msg tea.KeyMsg) (tea.Cmd, bool) {
	k, r := s.keys, s.rank
	it := s.current()
	if it == nil {
		s.rank = nil
		return nil, false
	}
	switch {
	case key.Matches(msg, k.Rank.Leave):
		return s.toggleRanking(), true
	case key.Matches(msg, k.Rank.TakeBack):
		switch {
		case r.equal:
			r.equal = false
		case len(r.ranks) > 0:
			n := len(r.ranks) - 1
			if r.ranks[n] = r.ranks[n][:len(r.ranks[n])-1]; len(r.ranks[n]) == 0 {
				r.ranks = r.ranks[:n]
			}
		}
		return nil, true
	case key.Matches(msg, k.Rank.Equal):
		if len(r.ranks) == 0 {
			return screen.Notice("t after a pane's number: the next pane then ranks equal to it"), true
		}
		r.equal = true
		return nil, true
	case key.Matches(msg, k.Decide.Best):
		n, _ := strconv.Atoi(msg.String())
		return s.rankPane(it, n-1), true
	}
	return nil, false
}

// rankPane gives pane i the next rank (or the last one's, after t); the
// ranking is committed when every pane has one.
func (s *Screen) rankPane(it *compareItem, i int) tea.Cmd {
	r := s.rank
	switch {
	case s.saving:
		return nil
	case i < 0 || i >= len(it.panes):
		return screen.Notice(fmt.Sprintf("there are %d panes: 1–%d", len(it.panes), len(it.panes)))
	case r.rankOf(i) > 0:
		return screen.Notice(fmt.Sprintf("pane %s is ranked already (backspace takes back the last rank)", store.PaneLetter(i)))
	}
	if cmd := s.unready(it); cmd != nil {
		return cmd
	}
	if r.equal {
		r.ranks[len(r.ranks)-1] = append(r.ranks[len(r.ranks)-1], i)
		r.equal = false
	} else {
		r.ranks = append(r.ranks, []int{i})
	}
	if r.ranked() < len(it.panes) {
		return nil
	}
	if len(r.ranks) == 1 { // every pane equal: that is a tie
		return s.decide(store.VerdictTie, nil)
	}
	return s.decide("", r.labelRanking())
}

// rankingLine says the ranking so far, under the prompt.
func (s *Screen) rankingLine(w int) string {
	st := s.ctx.Styles
	r := s.rank
	text := "none yet"
	if len(r.ranks) > 0 {
		text = rankingText(r.labelRanking())
	}
	if r.equal {
		text += " = …"
	}
	return screen.Fit(st.Accent.Render("Ranking: ")+text+st.Muted.Render("  (best first · t: next is equal · esc leaves)"), w)
}

// rankingText reads a stored ranking: "b > a = c".
func rankingText(ranking []string) string {
	ranks := make([]string, len(ranking))
	for i, r := range ranking {
		ranks[i] = strings.ReplaceAll(screen.Line(r), store.RankTie, " = ")
	}
	return strings.Join(ranks, " > ")
}
