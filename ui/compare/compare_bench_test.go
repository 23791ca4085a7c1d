package compare

import (
	"fmt"
	"io"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/muesli/termenv"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
	"github.com/popi-tui/popi-tui/themes"
	"github.com/popi-tui/popi-tui/ui/markdown"
	"github.com/popi-tui/popi-tui/ui/screen"
	"github.com/popi-tui/popi-tui/ui/uitest"
)

// The figures of issue 4 for Compare:
//   - View() with 3 panes of 8 KB Markdown each, once rendered: ≤ 5 ms.
//   - decision key → next (prefetched) item drawn, Update + View: ≤ 16 ms.
// Both drive the real root model at 120×40 with colour on (the costlier
// case: styled text is longer).

// markdown8K is an answer of about 8 KB: headings, paragraphs with
// emphasis and inline code, lists, a code block, a table.
func markdown8K(seed int) string {
	var b strings.Builder
	for i := 0; b.Len() < 8<<10; i++ {
		fmt.Fprintf(&b, "## Part %d of answer %d\n\n", i+1, seed)
		b.WriteString("Start with the **simplest** thing that works: a well-known, boring tool beats a clever one. ")
		b.WriteString("Call `os.Open` once, check `err`, and keep the file open only as long as you need it; ")
		b.WriteString("close it with `defer f.Close()` so that every return path releases it.\n\n")
		b.WriteString("- measure before you optimise\n- keep the hot path free of allocations\n- write the test first, then the fix\n\n")
		b.WriteString("```go\nf, err := os.Open(name)\nif err != nil {\n\treturn err\n}\ndefer f.Close()\n```\n\n")
		b.WriteString("| option | cost | when |\n|---|---|---|\n| cache | memory | reads dominate |\n| batch | latency | writes dominate |\n\n")
	}
	return b.String()
}

// benchCompare is a compare screen on top of the program's frame, over
// n synthetic items of 3 candidates each; nothing generated yet.
func benchCompare(b testing.TB, n int) (*uitest.Env, *Screen) {
	b.Helper()
	spec := screen.CompareSpec{Mode: screen.CompareList, Candidates: []screen.CandidateSpec{
		{Backend: "alpha", Condition: store.ConditionSummary}, {Backend: "beta", Condition: store.ConditionSummary}, {Backend: "alpha", Condition: store.ConditionNone}}}
	// Colour on, whatever the test's output is: the realistic cost.
	env := uitest.New(b, 120, 40, uitest.Options{DB: storetest.Open(b), Annotator: "bench", AppVersion: "bench", Compare: spec, Color: true})
	s := New(env.Ctx)
	env.Ctx.Push(s)
	env.Frame.Navigate() // on the stack; its Init (reading the queue) is not run: the items come below
	items := make([]queueItem, n)
	for i := range items {
		items[i] = queueItem{User: fmt.Sprintf("user-%06d", i), PromptID: "t1", Prompt: "How should I structure a small Go service so that it stays fast and easy to test?"}
	}
	s.Update(compareLoadedMsg{queueData: queueData{items: items, session: store.Session{Annotator: "bench", Seed: 1}}})
	return env, s
}

// answer delivers every pane of the items at the given positions as the
// engine would: a StreamDone per pane (which renders it, as the
// prefetch does), and the user's summary.
func benchAnswer(s *Screen, positions ...int) {
	for _, pos := range positions {
		it := s.item(pos)
		s.summaries[it.q.User] = &summaryEntry{loaded: true, ok: true,
			s: store.Summary{ID: "s-" + it.q.User, User: it.q.User, Version: 1, Source: store.SourceHuman, Text: "Prefers short, concrete answers with code first and the reasoning after."}}
		for i, p := range it.panes {
			if p.done {
				continue
			}
			if p.st == nil || p.st.Err() != nil {
				// Not asked yet, or asked by the prefetch, whose request
				// failed (the synthetic user is not in the database): ask
				// again without running the request; the answer comes below.
				s.generate(it, p, false)
			}
			g := store.Generation{ID: fmt.Sprintf("g-%d-%d", pos, i), User: it.q.User, PromptID: it.q.PromptID,
				Backend: p.cand.Backend, Model: p.cand.Backend + "-model", Condition: p.cand.Condition, Text: markdown8K(pos*10 + i)}
			runRenders(s, s.Update(screen.StreamDone[store.Generation]{Stream: p.st, Result: g}))
		}
	}
}

// rendered reports whether the current item's answers are rendered at
// the pane width: the frames measured show Markdown, not the plain text.
func rendered(s *Screen) bool {
	it := s.current()
	_, cw := s.paneWidths(len(it.panes))
	for _, p := range it.panes {
		if _, ok := s.md.Cached(p.text, cw); !ok {
			return false
		}
	}
	return true
}

// runRenders runs a command and hands the Markdown renders it yields back
// to the screen. The prefetch requests it also starts fail at once (the
// synthetic users are not in the database) and their messages are
// dropped: benchAnswer asks again and answers them.
func runRenders(s *Screen, cmd tea.Cmd) {
	var walk func(c tea.Cmd)
	walk = func(c tea.Cmd) {
		if c == nil {
			return
		}
		msg := c()
		switch m := msg.(type) {
		case tea.BatchMsg:
			for _, c := range m {
				walk(c)
			}
		case markdown.Msg:
			s.Update(m)
		}
	}
	walk(cmd)
}

func BenchmarkCompareView3Panes8KB(b *testing.B) {
	env, s := benchCompare(b, 5)
	benchAnswer(s, s.cur)
	frame := env.Frame.View()
	if strings.Count(frame, "Part 1 of answer") != 3 || !rendered(s) {
		b.Fatalf("frame does not show 3 rendered panes:\n%s", frame)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_ = env.Frame.View()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/frame")
}

func BenchmarkCompareDecisionToNextItem(b *testing.B) {
	env, s := benchCompare(b, b.N+8)
	benchAnswer(s, append([]int{s.cur}, s.q.upcoming(s.cur, 3)...)...)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, cmd := env.Frame.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'1'}})
		b.StopTimer()
		saved := commitOf(b, cmd) // I/O, in a command: not the UI's time
		b.StartTimer()
		env.Frame.Update(saved)
		frame := env.Frame.View()
		b.StopTimer()
		if it := s.current(); it == nil || !it.complete() || !rendered(s) || !strings.Contains(frame, it.q.User) {
			b.Fatalf("iteration %d: the next item is not on screen", i)
		}
		// The items now coming up are answered, as the engine would while
		// the person reads.
		benchAnswer(s, s.q.upcoming(s.cur, 3)...)
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/decision")
}

// commitOf runs the command a decision key returned: the label's commit.
func commitOf(b *testing.B, cmd tea.Cmd) labelSavedMsg {
	b.Helper()
	if cmd == nil {
		b.Fatal("the decision key returned no command")
	}
	var saved []labelSavedMsg
	var run func(c tea.Cmd)
	run = func(c tea.Cmd) { // the frame batches the screen's command with its own
		if c == nil {
			return
		}
		switch m := c().(type) {
		case tea.BatchMsg:
			for _, c := range m {
				run(c)
			}
		case labelSavedMsg:
			saved = append(saved, m)
		}
	}
	run(cmd)
	if len(saved) != 1 || saved[0].err != nil {
		b.Fatalf("commit: %+v", saved)
	}
	return saved[0]
}

// BenchmarkCompareDecisionCommit is the same with the commit counted: the
// label and the session written and fsync'd before the screen moves on.
func BenchmarkCompareDecisionCommit(b *testing.B) {
	env, s := benchCompare(b, b.N+8)
	benchAnswer(s, append([]int{s.cur}, s.q.upcoming(s.cur, 3)...)...)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, cmd := env.Frame.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'1'}})
		env.Frame.Update(commitOf(b, cmd))
		_ = env.Frame.View()
		b.StopTimer()
		benchAnswer(s, s.q.upcoming(s.cur, 3)...)
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/decision")
}

// BenchmarkMarkdownRender8KB is the cost the cache saves: one 8 KB answer
// through glamour at a pane's width (paid once, when the answer arrives).
func BenchmarkMarkdownRender8KB(b *testing.B) {
	theme, _ := themes.Lookup("dark")
	st := screen.NewStyles(theme, io.Discard, false)
	st.Renderer().SetColorProfile(termenv.TrueColor)
	md := markdown.New(st)
	text := markdown8K(0)
	md.Render(text, 36) // the renderer for the width is built once
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		md.Render(text, 36)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/answer")
}
