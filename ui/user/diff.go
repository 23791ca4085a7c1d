package user

import (
	"strings"

	"github.com/popi-tui/popi-tui/ui/screen"
)

// A line diff for summary versions: summaries are a few dozen lines, so
// the plain LCS table is small, and owning these lines beats a dependency.

// diffOp is what happened to a line going from one version to the next.
type diffOp int

const (
	diffSame diffOp = iota
	diffAdd
	diffDel
)

// diffLine is one line of a diff.
type diffLine struct {
	Op   diffOp
	Text string
}

// maxDiffCells bounds the LCS table (lines of one × lines of the other, after the
// common ends are trimmed): past it the middle is shown as removed then
// added, which is still a correct diff, only not a minimal one.
const maxDiffCells = 4 << 20

// splitLines splits text into lines; a final newline does not make an
// empty last line, and "" has no lines.
func splitLines(s string) []string {
	s = strings.TrimSuffix(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// lineDiff is the line diff from one text to another: every line of from
// in order as kept or removed, interleaved with every line of to as added.
// Removed lines come before the added lines that replace them.
func lineDiff(from, to string) []diffLine {
	a, b := splitLines(from), splitLines(to)
	var out []diffLine
	// Common ends first: they are most of an edit, and cost nothing.
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		out = append(out, diffLine{diffSame, a[pre]})
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	out = append(out, lcsDiff(a[pre:len(a)-suf], b[pre:len(b)-suf])...)
	for _, l := range a[len(a)-suf:] {
		out = append(out, diffLine{diffSame, l})
	}
	return out
}

// lcsDiff diffs a and b through their longest common subsequence.
func lcsDiff(a, b []string) []diffLine {
	out := make([]diffLine, 0, len(a)+len(b))
	if len(a) == 0 || len(b) == 0 || len(a)*len(b) > maxDiffCells {
		for _, l := range a {
			out = append(out, diffLine{diffDel, l})
		}
		for _, l := range b {
			out = append(out, diffLine{diffAdd, l})
		}
		return out
	}
	// n[i][j] is the LCS length of a[i:] and b[j:], so the walk below can
	// go forwards.
	w := len(b) + 1
	n := make([]int32, (len(a)+1)*w)
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				n[i*w+j] = n[(i+1)*w+j+1] + 1
			} else {
				n[i*w+j] = max(n[(i+1)*w+j], n[i*w+j+1])
			}
		}
	}
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			out = append(out, diffLine{diffSame, a[i]})
			i++
			j++
		case n[(i+1)*w+j] >= n[i*w+j+1]:
			out = append(out, diffLine{diffDel, a[i]})
			i++
		default:
			out = append(out, diffLine{diffAdd, b[j]})
			j++
		}
	}
	for ; i < len(a); i++ {
		out = append(out, diffLine{diffDel, a[i]})
	}
	for ; j < len(b); j++ {
		out = append(out, diffLine{diffAdd, b[j]})
	}
	return out
}

// diffStats counts the added and removed lines.
func diffStats(d []diffLine) (added, removed int) {
	for _, l := range d {
		switch l.Op {
		case diffAdd:
			added++
		case diffDel:
			removed++
		}
	}
	return added, removed
}

// marker is a line's text prefix: the change is readable without colour.
func (op diffOp) marker() string {
	switch op {
	case diffAdd:
		return "+ "
	case diffDel:
		return "- "
	}
	return "  "
}

// renderDiff lays a diff out w cells wide. Every line, wrapped
// continuations included, starts with its marker, so a long changed line
// never looks kept. The texts are sanitized here; colour, when the styles
// have it, only repeats what the markers say.
func renderDiff(d []diffLine, w int, st screen.Styles) string {
	var b strings.Builder
	for _, l := range d {
		style := st.Base
		switch l.Op {
		case diffAdd:
			style = st.Success
		case diffDel:
			style = st.Error
		}
		text := screen.Detab(screen.Clean(l.Text))
		for _, part := range strings.Split(screen.Wrap(text, max(1, w-2)), "\n") {
			b.WriteString(style.Render(l.Op.marker()+part) + "\n")
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}
