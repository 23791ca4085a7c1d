package compare

// The end of the queue: what this annotator decided in this comparison,
// the session's pace, and how to export the labels: the Export screen (E),
// or the command, run after quitting (the database is locked while the UI
// runs).

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// What a decision counts as at the end of the queue.
const (
	tallyBest   = "best"
	tallyRanked = "ranked"
	tallyTie    = "tie"
	tallyAllBad = "all bad"
	tallySkip   = "skipped"
)

// tallyKind is what a decision counts as.
func tallyKind(l store.Label) string {
	switch {
	case len(l.Ranking) > 0:
		return tallyRanked
	case l.Verdict == store.VerdictTie:
		return tallyTie
	case l.Verdict == store.VerdictBothBad:
		return tallyAllBad
	case l.Verdict == store.VerdictSkip:
		return tallySkip
	}
	return tallyBest
}

// tally counts the current decisions by kind.
func (s *Screen) tally() map[string]int {
	n := map[string]int{}
	for _, kind := range s.verdicts {
		n[kind]++
	}
	return n
}

// endOfQueue is the screen once every item is decided.
func (s *Screen) endOfQueue(w int) string {
	st := s.ctx.Styles
	n := s.tally()
	lines := []string{s.progressLine(w), "",
		st.Success.Render(screen.Fit(fmt.Sprintf("All %d items are decided.", s.q.len()), w)), ""}
	rows := [][2]string{
		{"labeled", fmt.Sprintf("%d  (%d with a best answer, %d ranked)", n[tallyBest]+n[tallyRanked], n[tallyBest], n[tallyRanked])},
		{"ties", fmt.Sprint(n[tallyTie])},
		{"all bad", fmt.Sprint(n[tallyAllBad])},
		{"skipped", fmt.Sprint(n[tallySkip])},
		{"labels per hour", fmt.Sprintf("%s  (this session: %s)", s.rate(), screen.Plural(s.sessionN, "label", "labels"))},
	}
	for _, r := range rows {
		lines = append(lines, screen.Fit(st.Muted.Render(fmt.Sprintf("  %-16s", r[0]))+r[1], w))
	}
	lines = append(lines, "", screen.Fit("Export them for training: E here, or this command once you quit:", w))
	for _, l := range wrapWords(s.exportCommand(), w-4) {
		lines = append(lines, screen.Fit("  "+st.Accent.Render(l), w))
	}
	lines = append(lines, "", st.Muted.Render(screen.Fit("u takes back the last decision · C amends its rationale · q goes back", w)))
	if s.input.Focused() { // a rationale for the last decision
		lines = append(lines, "", screen.Fit(s.input.View(), w))
	}
	return strings.Join(lines, "\n")
}

// exportCommand is the command line that exports this annotator's labels
// as DPO pairs.
func (s *Screen) exportCommand() string {
	cmd := "popi-tui"
	if s.dbPath != "" {
		cmd += " --db " + shellQuote(s.dbPath)
	}
	return cmd + " export labels --format dpo --annotators " + shellQuote(s.ctx.Annotator) + " -o " + shellQuote("labels-"+s.ctx.Annotator+".jsonl")
}

// wrapWords breaks a command line at spaces only (a break after a "-"
// would read as an option); a word wider than w has a line of its own.
func wrapWords(text string, w int) []string {
	var out []string
	line := ""
	for _, word := range strings.Fields(text) {
		switch {
		case line == "":
			line = word
		case ansi.StringWidth(line)+1+ansi.StringWidth(word) <= w:
			line += " " + word
		default:
			out = append(out, line)
			line = word
		}
	}
	return append(out, line)
}

// shellQuote quotes a word for a POSIX shell when it needs it; what is
// shown passes screen.Line too.
func shellQuote(w string) string {
	w = screen.Line(w)
	if w != "" && strings.IndexFunc(w, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@+,=", r))
	}) < 0 {
		return w
	}
	return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
}
