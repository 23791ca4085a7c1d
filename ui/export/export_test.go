package export

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/popi-tui/popi-tui/store/format/trl"
	"github.com/popi-tui/popi-tui/ui/compare"
	"github.com/popi-tui/popi-tui/ui/exportreport"
	"github.com/popi-tui/popi-tui/ui/uitest"
)

// labeled is the demo in the program's frame after three decisions on
// Compare (a pane best, a tie, a skip), with the Export screen open.
func labeled(t *testing.T, w, h int) (*uitest.Env, *Screen) {
	t.Helper()
	env := uitest.Replay(t, w, h, uitest.Options{})
	env.Open(compare.New(env.Ctx))
	env.Press("1", "t", "s", "esc")
	s := New(env.Ctx)
	env.Open(s)
	return env, s
}

// typePath goes to the file's row and types path over what it holds.
func typePath(env *uitest.Env, s *Screen, path string) {
	for s.row != rowPath {
		env.Press("down")
	}
	env.Send(tea.KeyMsg{Type: tea.KeyCtrlU})
	env.Press(path)
}

// An export from the UI writes what the command line writes, replaces the
// file only when asked, and shows the command line's report.
func TestExportWritesTheFileAndTheReport(t *testing.T) {
	env, s := labeled(t, 120, 30)
	uitest.WantIn(t, env.View(), "Export", "▸ what", "labels dpo", "everyone's", "labels-dpo.jsonl", "enter exports")
	path := filepath.Join(t.TempDir(), "dpo.jsonl")
	typePath(env, s, path)
	if !s.Typing() {
		t.Fatal("the file's row does not take the keys as text")
	}
	env.Press("q") // text here, not back
	env.Press("backspace", "enter")

	var want bytes.Buffer
	rep, err := trl.ExportLabels(env.DB, &want, trl.LabelExport{Format: trl.LabelsDPO})
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) || rep.Rows != 1 {
		t.Errorf("the file is not the command line's export (%d rows):\n%s\nwant:\n%s", rep.Rows, got, want.Bytes())
	}
	v := env.View()
	report := append(exportreport.Labels(rep, trl.LabelsDPO, nil), exportreport.Wrote("labels", path))
	uitest.WantIn(t, v, "Report", "labels (dpo): 1 row(s) from 3 decision(s) of 1 annotator(s): tester 3", "1 tie", "1 skipped")
	for _, l := range report {
		uitest.WantIn(t, v, l)
	}

	// Again: the file is there, so the screen asks; n leaves it.
	os.WriteFile(path, []byte("kept\n"), 0o644)
	env.Press("enter")
	uitest.WantIn(t, env.View(), "exists: replace it?")
	env.Press("n")
	if b, _ := os.ReadFile(path); string(b) != "kept\n" {
		t.Errorf("n replaced the file: %q", b)
	}
	env.Press("enter", "y")
	if b, _ := os.ReadFile(path); !bytes.Equal(b, want.Bytes()) {
		t.Errorf("y did not replace the file: %q", b)
	}
}

// Left and right choose what to export; the file follows the format until
// one is typed. Summaries and users skip the row of whose labels.
func TestExportChoosesTheFormatAndTheFile(t *testing.T) {
	env, s := labeled(t, 100, 30)
	env.Press("right")
	uitest.WantIn(t, env.View(), "labels kto", "labels-kto.jsonl", "shuffled")
	env.Press("right", "right")
	uitest.WantIn(t, env.View(), "summaries sft", "summaries-sft.jsonl")
	uitest.WantNotIn(t, env.View(), "everyone's")
	env.Press("down")
	if s.row != rowPath {
		t.Errorf("down from the format of summaries: row %d, want the file's", s.row)
	}
	env.Press("up", "left", "left", "left", "down", "right")
	if !s.mine {
		t.Error("right on whose labels did not choose yours")
	}
	uitest.WantIn(t, env.View(), "labels dpo", "yours only (tester)")

	dir := t.TempDir()
	typePath(env, s, filepath.Join(dir, "mine.jsonl"))
	env.Press("up", "up", "right") // a typed file stays when the format changes
	uitest.WantIn(t, env.View(), "mine.jsonl")
	env.Press("right", "right", "right", "right")
	uitest.WantIn(t, env.View(), "users popi")
	env.Press("enter")
	uitest.WantIn(t, env.View(), "users (popi):", "record(s) of 8 user(s)", "wrote users to")
	if fi, err := os.Stat(filepath.Join(dir, "mine.jsonl")); err != nil || fi.Size() == 0 {
		t.Errorf("users export: %v", err)
	}
}

// A file that cannot be written is an error on the screen; nothing is
// left beside it.
func TestExportErrorIsShown(t *testing.T) {
	env, s := labeled(t, 100, 30)
	dir := t.TempDir()
	typePath(env, s, filepath.Join(dir, "missing", "x.jsonl"))
	env.Press("enter")
	v := env.View()
	uitest.WantIn(t, v, "error: export to")
	if !strings.Contains(v, "missing") || s.running {
		t.Errorf("after a failed export:\n%s", v)
	}
	if es, _ := os.ReadDir(dir); len(es) != 0 {
		t.Errorf("left behind: %v", es)
	}
}
