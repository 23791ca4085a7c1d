package export

import (
	"fmt"
	"strings"

	"github.com/popi-tui/popi-tui/ui/screen"
)

// View is the form (what, whose, the file), then the running export or
// the last one's report. The focused row is marked with ▸, not by colour
// alone.
func (s *Screen) View() string {
	st := s.ctx.Styles
	w := max(screen.MinWidth, s.ctx.Width)
	k := kinds[s.kind]
	lines := []string{
		screen.Fit(st.Title.Render("Export")+st.Muted.Render("  the exports of popi-tui export, while the program holds the database"), w), "",
		s.formRow(rowKind, "what", fmt.Sprintf("◂ %s %s ▸", k.what, k.format), k.says, w),
	}
	if k.what == "labels" {
		whose := "everyone's"
		if s.mine {
			whose = "yours only (" + screen.Line(s.ctx.Annotator) + ")"
		}
		lines = append(lines, s.formRow(rowWhose, "whose", "◂ "+whose+" ▸", "where annotators disagree, every decision is exported", w))
	}
	s.path.Width = max(8, w-14)
	lines = append(lines, s.formRow(rowPath, "file", s.path.View(), "", w), "",
		st.Muted.Render(screen.Fit("enter exports · the file is written beside itself and replaced only once complete", w)), "")
	switch {
	case s.running:
		lines = append(lines, st.Warning.Render("exporting…"))
	case s.err != nil:
		for _, l := range strings.Split(screen.Wrap("error: "+screen.Line(s.err.Error()), w), "\n") {
			lines = append(lines, st.Error.Render(l))
		}
	case s.report != nil:
		lines = append(lines, st.Header.Render("Report"))
		for _, l := range s.report {
			lines = append(lines, screen.Fit(l, w))
		}
	}
	return strings.Join(lines, "\n")
}

// formRow is one row of the form: its name, its value and a note.
func (s *Screen) formRow(r int, name, value, note string, w int) string {
	st := s.ctx.Styles
	mark := "  "
	if s.row == r {
		mark = "▸ "
		name = st.Accent.Render(fmt.Sprintf("%-6s", name))
	} else {
		name = st.Muted.Render(fmt.Sprintf("%-6s", name))
	}
	if note != "" {
		value += "  " + st.Muted.Render(note)
	}
	return screen.Fit(mark+name+" "+value, w)
}
