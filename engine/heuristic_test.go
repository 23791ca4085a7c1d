package engine

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/popi-tui/popi-tui/store"
)

const (
	heurDemoPath   = "../store/demo/demo.jsonl"
	heurAlignXPath = "../../shared/data/alignx-psoups-friendly-unfriendly.json"
)

// heurLoadDemo parses the demo dataset into signals, by user, in file order.
func heurLoadDemo(t testing.TB) (users []string, byUser map[string][]store.Signal) {
	t.Helper()
	f, err := os.Open(heurDemoPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	byUser = map[string][]store.Signal{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	line := 0
	for sc.Scan() {
		line++
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var r struct {
			User, Kind, ID, Prompt, Chosen, Rejected, Text, Split, Source string
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s:%d: %v", heurDemoPath, line, err)
		}
		k, ok := store.ParseKind(r.Kind)
		if !ok {
			t.Fatalf("%s:%d: kind %q", heurDemoPath, line, r.Kind)
		}
		sp, ok := store.ParseSplit(r.Split)
		if !ok {
			t.Fatalf("%s:%d: split %q", heurDemoPath, line, r.Split)
		}
		if _, seen := byUser[r.User]; !seen {
			users = append(users, r.User)
		}
		byUser[r.User] = append(byUser[r.User], store.Signal{
			User: r.User, ID: r.ID, Kind: k, Split: sp, Prompt: r.Prompt,
			Chosen: r.Chosen, Rejected: r.Rejected, Text: r.Text, Source: r.Source,
			Seq: uint64(line),
		})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(users) != 8 {
		t.Fatalf("demo data has %d users, want 8", len(users))
	}
	return users, byUser
}

func heurHistory(sigs []store.Signal) []store.Signal {
	var out []store.Signal
	for _, s := range sigs {
		if s.Kind == store.KindPair && s.Split == store.SplitHistory {
			out = append(out, s)
		}
	}
	return out
}

func heurMustSummary(t testing.TB, sigs []store.Signal) string {
	t.Helper()
	out, err := HeuristicSummary(sigs)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Each demo user's summary names that user's distinctive taste.
func TestHeuristicSummaryDemoTraits(t *testing.T) {
	users, byUser := heurLoadDemo(t)
	tests := []struct {
		user string
		want []string // regular expressions; every one must match
	}{
		{"terse-tom", []string{`(?i)shorter answers`}},
		{"thorough-theo", []string{`(?i)longer`, `(?i)headings`}},
		{"formal-fiona", []string{`(?i)formal register|fewer exclamation|dislikes (emoji|exclamation)`}},
		{"playful-pia", []string{`(?i)exclamat|emoji`}},
		{"code-first-kai", []string{`(?i)open with a code block`}},
		{"beginner-bea", []string{`(?i)simpler|lower grade|numbered steps|step-by-step`}},
		{"skeptic-sam", []string{`(?i)cite|citation|hedg`}},
		{"bullet-ben", []string{`(?i)bullet`}},
	}
	if len(tests) != len(users) {
		t.Fatalf("table covers %d users, demo has %d", len(tests), len(users))
	}
	for _, tc := range tests {
		t.Run(tc.user, func(t *testing.T) {
			sigs, ok := byUser[tc.user]
			if !ok {
				t.Fatalf("demo user %q missing", tc.user)
			}
			out := heurMustSummary(t, sigs)
			t.Logf("\n%s", out)
			for _, w := range tc.want {
				if !regexp.MustCompile(w).MatchString(out) {
					t.Errorf("summary does not match %s:\n%s", w, out)
				}
			}
			if len(out) > 1200 {
				t.Errorf("summary is %d characters, want ≤ 1200", len(out))
			}
			lines := strings.Split(out, "\n")
			if !strings.HasPrefix(lines[0], "Prefers ") {
				t.Errorf("headline %q", lines[0])
			}
			if !strings.Contains(lines[len(lines)-1], "Heuristic baseline") ||
				!strings.Contains(lines[len(lines)-1], "not a language model") {
				t.Errorf("last line does not label the baseline: %q", lines[len(lines)-1])
			}
			bullets := 0
			for _, l := range lines[1 : len(lines)-1] {
				if !strings.HasPrefix(l, "- ") {
					t.Errorf("line %q is not a bullet", l)
				}
				bullets++
			}
			if bullets < 1 || bullets > 6 {
				t.Errorf("%d bullets, want 1–6", bullets)
			}
		})
	}
}

// The eight demo users get eight different summaries, and different
// headlines too.
func TestHeuristicSummaryDemoDistinct(t *testing.T) {
	users, byUser := heurLoadDemo(t)
	summaries := map[string]string{}
	headlines := map[string]string{}
	for _, u := range users {
		out := heurMustSummary(t, byUser[u])
		headline, _, _ := strings.Cut(out, "\n")
		for v, o := range summaries {
			if o == out {
				t.Errorf("%s and %s have the same summary", u, v)
			}
			if headlines[v] == headline {
				t.Errorf("%s and %s have the same headline %q", u, v, headline)
			}
		}
		summaries[u], headlines[u] = out, headline
	}
}

// heurWords is an independent word count: runs of non-space holding a letter
// or a digit.
func heurWords(s string) int {
	n, inTok, hasWord := 0, false, false
	for _, r := range s + " " {
		if unicode.IsSpace(r) {
			if inTok && hasWord {
				n++
			}
			inTok, hasWord = false, false
			continue
		}
		inTok = true
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			hasWord = true
		}
	}
	return n
}

func heurMedianOf(xs []int) string {
	s := slices.Clone(xs)
	sort.Ints(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return strconv.Itoa(s[m])
	}
	sum := s[m-1] + s[m]
	if sum%2 == 0 {
		return strconv.Itoa(sum / 2)
	}
	return fmt.Sprintf("%d.5", sum/2)
}

// The numbers a summary cites are the data's: the pair count, and for the
// length, code-first and bullet features the counts and medians,
// recomputed here independently.
func TestHeuristicSummaryNumbers(t *testing.T) {
	users, byUser := heurLoadDemo(t)
	lengthRe := regexp.MustCompile(`in (\d+) of (\d+) pairs(?: \((\d+) the other way\))? the preferred answer was (shorter|longer) \(median ([\d.]+) vs ([\d.]+) words\)`)
	codeFirstRe := regexp.MustCompile(`(\d+) of (\d+) preferred answers start with a code block; (none of the dispreferred do|(\d+) of (\d+) dispreferred do)`)
	bulletRe := regexp.MustCompile(`in (\d+) of (\d+) pairs(?: \(\d+ the other way\))? the preferred answer had more bullet lines \(median ([\d.]+) vs ([\d.]+) bullet lines\)`)
	anyCountRe := regexp.MustCompile(`in (\d+) of (\d+) pairs`)
	checked := map[string]int{}
	for _, u := range users {
		hist := heurHistory(byUser[u])
		out := heurMustSummary(t, byUser[u])
		n := len(hist)
		if want := fmt.Sprintf("from %d history pairs", n); !strings.Contains(out, want) {
			t.Errorf("%s: summary does not say %q:\n%s", u, want, out)
		}
		for _, m := range anyCountRe.FindAllStringSubmatch(out, -1) {
			k, _ := strconv.Atoi(m[1])
			of, _ := strconv.Atoi(m[2])
			if of > n || k > of || 2*k < of || k < 3 {
				t.Errorf("%s: %q is not a consistent count over %d pairs", u, m[0], n)
			}
		}

		var cw, rw, cb, rb []int
		shorter, longer, cFirst, rFirst := 0, 0, 0, 0
		for _, p := range hist {
			c, r := heurWords(p.Chosen), heurWords(p.Rejected)
			cw, rw = append(cw, c), append(rw, r)
			switch d := c - r; {
			case float64(heurAbs(d)) <= 0.1*float64(max(c, r)):
			case d < 0:
				shorter++
			default:
				longer++
			}
			if strings.HasPrefix(strings.TrimSpace(p.Chosen), "```") {
				cFirst++
			}
			if strings.HasPrefix(strings.TrimSpace(p.Rejected), "```") {
				rFirst++
			}
			cb, rb = append(cb, heurBulletLines(p.Chosen)), append(rb, heurBulletLines(p.Rejected))
		}
		if m := lengthRe.FindStringSubmatch(out); m != nil {
			checked["length"]++
			k, other := shorter, longer
			if m[4] == "longer" {
				k, other = longer, shorter
			}
			wantOther := ""
			if other > 0 {
				wantOther = strconv.Itoa(other)
			}
			got := []string{m[1], m[2], m[3], m[5], m[6]}
			want := []string{strconv.Itoa(k), strconv.Itoa(n), wantOther, heurMedianOf(cw), heurMedianOf(rw)}
			if !slices.Equal(got, want) {
				t.Errorf("%s: length evidence %q: got %q, independently computed %q", u, m[0], got, want)
			}
		}
		if m := codeFirstRe.FindStringSubmatch(out); m != nil {
			checked["codefirst"]++
			want := fmt.Sprintf("%d of %d preferred answers start with a code block; ", cFirst, n)
			if rFirst == 0 {
				want += "none of the dispreferred do"
			} else {
				want += fmt.Sprintf("%d of %d dispreferred do", rFirst, n)
			}
			if m[0] != want {
				t.Errorf("%s: code-first evidence %q, independently %q", u, m[0], want)
			}
		}
		if m := bulletRe.FindStringSubmatch(out); m != nil {
			checked["bullets"]++
			more := 0
			for i := range cb {
				if cb[i] > rb[i] {
					more++
				}
			}
			got := []string{m[1], m[2], m[3], m[4]}
			want := []string{strconv.Itoa(more), strconv.Itoa(n), heurMedianOf(cb), heurMedianOf(rb)}
			if !slices.Equal(got, want) {
				t.Errorf("%s: bullet evidence %q: got %q, independently computed %q", u, m[0], got, want)
			}
		}
	}
	// terse-tom and thorough-theo cite lengths, code-first-kai opens with
	// code, bullet-ben lists.
	for _, f := range []string{"length", "codefirst", "bullets"} {
		if checked[f] == 0 {
			t.Errorf("no demo summary cited the %s feature; nothing was checked", f)
		}
	}
	if checked["length"] < 2 {
		t.Errorf("only %d summaries cite lengths, want at least 2 (terse and thorough)", checked["length"])
	}
}

func heurAbs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// heurBulletLines counts lines starting with "- " or "* " outside fences.
func heurBulletLines(s string) int {
	n, fence := 0, false
	for _, l := range strings.Split(s, "\n") {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "```") {
			fence = !fence
			continue
		}
		if !fence && (strings.HasPrefix(t, "- ") || strings.HasPrefix(t, "* ") || strings.HasPrefix(t, "• ")) {
			n++
		}
	}
	return n
}

// Held-out pairs, tasks, texts, the profile and the persona neither appear
// in the summary nor change it, and neither does the order of the pairs.
func TestHeuristicSummaryIgnoresNonHistory(t *testing.T) {
	users, byUser := heurLoadDemo(t)
	const marker = "ZQXJ-LEAK-MARKER"
	extremeChosen := "```go\nx := 1 // " + marker + "\n```\n# " + marker + "\n## Heading\n" +
		strings.Repeat("- **"+marker+"** is likely 🎉🎉🎉!!! (Smith et al., 2001) https://example.org/"+marker+" you we I'm?\n", 40)
	for _, u := range users {
		t.Run(u, func(t *testing.T) {
			all := byUser[u]
			want := heurMustSummary(t, heurHistory(all))
			if got := heurMustSummary(t, all); got != want {
				t.Errorf("non-history signals of the demo change the summary:\n%s\nvs history only:\n%s", got, want)
			}
			extra := slices.Clone(all)
			for i := range 5 {
				extra = append(extra,
					store.Signal{User: u, ID: fmt.Sprintf("x%d", i), Kind: store.KindPair, Split: store.SplitHeldout,
						Prompt: marker, Chosen: extremeChosen, Rejected: marker},
					store.Signal{User: u, ID: fmt.Sprintf("y%d", i), Kind: store.KindPair, Split: store.SplitHeldout,
						Prompt: marker, Chosen: marker, Rejected: extremeChosen},
					store.Signal{User: u, ID: fmt.Sprintf("t%d", i), Kind: store.KindTask, Prompt: extremeChosen},
					store.Signal{User: u, ID: fmt.Sprintf("p%d", i), Kind: store.KindPersona, Text: extremeChosen},
					store.Signal{User: u, ID: fmt.Sprintf("f%d", i), Kind: store.KindProfile, Text: extremeChosen},
					store.Signal{User: u, ID: fmt.Sprintf("c%d", i), Kind: store.KindText, Text: extremeChosen},
				)
			}
			got := heurMustSummary(t, extra)
			if got != want {
				t.Errorf("held-out pairs, tasks, persona, profile or texts changed the summary:\n%s\nwant:\n%s", got, want)
			}
			if strings.Contains(got, marker) {
				t.Errorf("summary leaks non-history text:\n%s", got)
			}
			rev := slices.Clone(extra)
			slices.Reverse(rev)
			if got := heurMustSummary(t, rev); got != want {
				t.Errorf("signal order changes the summary:\n%s\nwant:\n%s", got, want)
			}
			// The extreme pair as history does change it: the check above
			// can fail.
			hist := append(slices.Clone(all), store.Signal{User: u, ID: "z", Kind: store.KindPair,
				Chosen: extremeChosen, Rejected: "no."})
			if got := heurMustSummary(t, hist); got == want {
				t.Errorf("an extra history pair did not change the summary at all")
			}
		})
	}
}

func TestHeuristicSummaryNoHistory(t *testing.T) {
	tests := []struct {
		name string
		sigs []store.Signal
	}{
		{"nil", nil},
		{"empty", []store.Signal{}},
		{"non-history only", []store.Signal{
			{Kind: store.KindPair, Split: store.SplitHeldout, Prompt: "p", Chosen: "a", Rejected: "b"},
			{Kind: store.KindTask, Prompt: "p"},
			{Kind: store.KindPersona, Text: "persona"},
			{Kind: store.KindProfile, Text: "profile"},
			{Kind: store.KindText, Text: "text"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := HeuristicSummary(tc.sigs)
			if !errors.Is(err, store.ErrNoHistory) {
				t.Fatalf("err = %v, want one wrapping store.ErrNoHistory", err)
			}
			// A bulk run's reason says why texts and a profile do not count.
			if r := reason(err); !strings.Contains(r, "no history pairs") || !strings.Contains(r, "need a model") {
				t.Errorf("reason %q does not say the heuristic reads pairs only", r)
			}
			if out != "" {
				t.Errorf("output %q with an error", out)
			}
		})
	}
}

// Small, hand-made users: the rule for "consistent" and the honest
// fallback.
func TestHeuristicSummaryRule(t *testing.T) {
	pair := func(c, r string) store.Signal { return store.Signal{Kind: store.KindPair, Chosen: c, Rejected: r} }
	long := "This answer is deliberately much longer than the other one, with many more words in it."
	tests := []struct {
		name    string
		pairs   []store.Signal
		want    []string
		notWant []string
	}{
		{
			name:  "one pair, shorter",
			pairs: []store.Signal{pair("Yes.", long)},
			want:  []string{"in 1 of 1 pair the preferred answer was shorter (median 1 vs 16 words)", "from 1 history pair by"},
		},
		{
			name:    "two of three is not consistent",
			pairs:   []store.Signal{pair("Yes.", long), pair("No.", long), pair(long, "Maybe.")},
			want:    []string{"No consistent preference in style or length across the 3 history pairs"},
			notWant: []string{"shorter", "longer"},
		},
		{
			name:  "three of four is",
			pairs: []store.Signal{pair("Yes.", long), pair("No.", long), pair("Sure.", long), pair(long, "Maybe.")},
			want:  []string{"in 3 of 4 pairs (1 the other way) the preferred answer was shorter (median 1 vs 16 words)"},
		},
		{
			name: "identical pairs",
			pairs: []store.Signal{pair("Same text here.", "Same text here."), pair("Other text.", "Other text."),
				pair("x", "x")},
			want: []string{"No consistent preference"},
		},
		{
			name: "emoji and exclamations",
			pairs: []store.Signal{pair("Wow! 🎉 Great!", "It is fine."), pair("Yay! 🌈", "This is fine."),
				pair("Go! 🚀", "That is fine."), pair("Hi! 🎈", "Fine.")},
			want: []string{"Likes emoji: in 4 of 4 pairs the preferred answer used more emoji (median 1 vs 0).",
				"used more exclamation marks (median 1 vs 0)"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := heurMustSummary(t, tc.pairs)
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("missing %q in:\n%s", w, out)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(out, w) {
					t.Errorf("unexpected %q in:\n%s", w, out)
				}
			}
		})
	}
}

func TestHeuristicAnalyze(t *testing.T) {
	tests := []struct {
		name string
		text string
		got  func(*heurStats) int
		want int
	}{
		{"words", "Hello, world — it's `x` 42 !", func(s *heurStats) int { return s.words }, 5},
		{"sentences", "One. Two! Three? e.g. four", func(s *heurStats) int { return s.sentences }, 4},
		{"sentences per line", "# Title\n- a point\n- another point.", func(s *heurStats) int { return s.sentences }, 3},
		{"bullets", "- a\n* b\n+ c\n• d\n**bold** e\n-no", func(s *heurStats) int { return s.bullets }, 4},
		{"steps", "1. a\n2) b\n10. c\nStep 4: d", func(s *heurStats) int { return s.steps }, 4},
		{"headings", "# A\n## B\n###### C\n#no\n```\n# comment\n```", func(s *heurStats) int { return s.headings }, 3},
		{"code blocks", "```py\nx\n```\ntext\n~~~\ny\n~~~", func(s *heurStats) int { return s.codeBlocks }, 2},
		{"code first", "\n  ```go\nx\n```\nprose", func(s *heurStats) int { return heurB2i(s.codeFirst) }, 1},
		{"code later", "prose\n```go\nx\n```", func(s *heurStats) int { return heurB2i(s.codeFirst) }, 0},
		{"exclaims skip code", "Hi! `a != b`\n```\nif !x {}\n```", func(s *heurStats) int { return s.exclaims }, 1},
		{"emoji", "fun 🎉🌈 ✨ → – λ", func(s *heurStats) int { return s.emoji }, 3},
		{"hedges", "This is likely, and probably suggests the evidence may be approximately right.", func(s *heurStats) int { return s.hedges }, 6},
		{"citations", "As shown (Smith et al., 2011) and by Jones et al. and (Doe, 1999); see https://x.org/a and Source: NASA. Not (FTSE 100).", func(s *heurStats) int { return s.citations }, 5},
		{"first person", "I think we should tell us, not the US.", func(s *heurStats) int { return s.first }, 3},
		{"second person", "You and your friend, you're fine.", func(s *heurStats) int { return s.second }, 3},
		{"casual", "Hey, it's super cool and you don't need stuff. Heads up! Sam's car.", func(s *heurStats) int { return s.casual }, 7},
		{"formal", "However, regarding the matter, it is therefore settled. Kind regards", func(s *heurStats) int { return s.formal }, 4},
		{"bold", "**a** and **b c** but *d*", func(s *heurStats) int { return s.bold }, 2},
		{"defined", "A **string** is text. Buy shares (called **units**). Think of it as a box.", func(s *heurStats) int { return s.defined }, 3},
		{"questions", "Why? How?? `a?b`", func(s *heurStats) int { return s.questions }, 3},
		{"syllables", "beautiful table cake", func(s *heurStats) int { return s.syllables }, 6},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := heurAnalyze(tc.text)
			if got := tc.got(&s); got != tc.want {
				t.Errorf("%q: got %d, want %d (%+v)", tc.text, got, tc.want, s)
			}
		})
	}
}

func heurB2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// heurAlignXUser is one record of the AlignX sample.
type heurAlignXUser struct {
	Persona string `json:"ground_truth_persona"`
	Pairs   []struct {
		Prompt   string `json:"prompt"`
		Chosen   string `json:"chosen"`
		Rejected string `json:"rejected"`
	} `json:"Pair-wise Comparative Feedback"`
	Prompt   string `json:"prompt"`
	Chosen   string `json:"chosen"`
	Rejected string `json:"rejected"`
	Profile  string `json:"profile"`
}

// On the real AlignX P-SOUPS sample, the summaries of friendly/witty
// personas mention a playful, informal or exclamatory tone more often than
// those of unfriendly ones. The sample lists the 300 friendly personas
// first, so the test takes the first 20 users of each persona.
func TestHeuristicSummaryAlignX(t *testing.T) {
	path := heurAlignXPath
	if p := os.Getenv("POPI_ALIGNX_SAMPLE"); p != "" { // .ci/run sets it for clones elsewhere
		path = p
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("AlignX sample: %v", err)
		}
		t.Skipf("AlignX sample not available (%v); skipping", err)
	}
	var recs []heurAlignXUser
	if err := json.Unmarshal(data, &recs); err != nil {
		t.Fatal(err)
	}
	playful := regexp.MustCompile(`(?i)casual|playful|informal|exclamat|emoji|humou?r|excited`)
	const perGroup = 20
	var n, hits [2]int // 0 friendly, 1 unfriendly
	var example [2]string
	for i, r := range recs {
		g := 1
		if strings.Contains(r.Persona, "friendly") && !strings.Contains(r.Persona, "unfriendly") {
			g = 0
		}
		if n[g] == perGroup {
			continue
		}
		var sigs []store.Signal
		for j, p := range r.Pairs {
			sigs = append(sigs, store.Signal{User: strconv.Itoa(i), ID: fmt.Sprintf("h%d", j+1), Kind: store.KindPair,
				Prompt: p.Prompt, Chosen: p.Chosen, Rejected: p.Rejected})
		}
		// The held-out pair, the persona and the profile are there, and
		// must be ignored.
		sigs = append(sigs,
			store.Signal{ID: "heldout", Kind: store.KindPair, Split: store.SplitHeldout, Prompt: r.Prompt, Chosen: r.Chosen, Rejected: r.Rejected},
			store.Signal{ID: "persona", Kind: store.KindPersona, Text: r.Persona},
			store.Signal{ID: "profile", Kind: store.KindProfile, Text: r.Profile})
		out, err := HeuristicSummary(sigs)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if len(out) > 1200 {
			t.Errorf("record %d: summary of %d characters", i, len(out))
		}
		if strings.Contains(out, r.Persona) {
			t.Errorf("record %d: summary quotes the persona", i)
		}
		n[g]++
		if playful.MatchString(out) {
			hits[g]++
			if example[g] == "" || g == 1 {
				example[g] = out
			}
		} else if example[g] == "" {
			example[g] = out
		}
	}
	if n[0] < perGroup || n[1] < perGroup {
		t.Fatalf("sample has %d friendly and %d unfriendly users, want %d of each", n[0], n[1], perGroup)
	}
	t.Logf("summaries mentioning a playful/informal/exclamatory tone: friendly %d of %d, unfriendly %d of %d",
		hits[0], n[0], hits[1], n[1])
	t.Logf("a friendly persona's summary:\n%s", example[0])
	t.Logf("an unfriendly persona's summary:\n%s", example[1])
	if hits[0] <= hits[1] {
		t.Errorf("friendly summaries mention a playful tone %d times, unfriendly %d: want more for friendly", hits[0], hits[1])
	}
}

func FuzzHeuristicSummary(f *testing.F) {
	f.Add(uint8(0), "`s[::-1]`", "Great question! In Python…", "", "```go\nx\n```")
	f.Add(uint8(5), "- **a**\n- b", "# H\n1. one", "Wow! 🎉🎉", "(Smith et al., 2011) https://x.org")
	f.Add(uint8(17), "", "", "\x00\xff\xfe", strings.Repeat("word. ", 500))
	f.Fuzz(func(t *testing.T, n uint8, a, b, c, d string) {
		texts := []string{a, b, c, d}
		var sigs []store.Signal
		for i := range 1 + int(n)%6 {
			sigs = append(sigs, store.Signal{ID: strconv.Itoa(i), Kind: store.KindPair,
				Prompt:   texts[(i+2)%4],
				Chosen:   texts[i%4],
				Rejected: texts[(i+1+int(n)/6)%4]})
		}
		out, err := HeuristicSummary(sigs)
		if err != nil {
			t.Fatal(err)
		}
		if out == "" || len(out) > 1500 {
			t.Fatalf("output of %d characters:\n%s", len(out), out)
		}
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 output: %q", out)
		}
		if again, _ := HeuristicSummary(sigs); again != out {
			t.Fatalf("not deterministic:\n%s\nvs\n%s", out, again)
		}
	})
}
