package engine

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// heurPieces are what the differential test builds answers from: the
// patterns' words in every case, markup, and the runes (?i) folds.
var heurPieces = []string{
	"Heads up", "NO WORRIES", "sure thing", "no biggie", "Check it out", "kind regards", "Yours ſincerely", "please note",
	"should note", "with respect to", "in accordance with", "called", "known as", "means", "refers to", "stands for",
	"think of it as", "Imagine", "in other words", "i.e.", "I.E.", "that is,", "**term** is", "**Term** (", "**bold**",
	"et al.", "Smith et al", "(Smith, 2011)", "(see 1999a)", "https://example.com/x)", "HTTP://X.Y", "www.go.dev",
	"Sources:", "ſource:", "[12]", "doi:10.1", "cited in", "step 3", "STEP 12", "Step 1.", "`code`", "```go", "~~~",
	"# Heading", "   ## h", "1. one", "12) two", "- item", "* star", "+ plus", "• dot", "**not a bullet**",
	"I'm", "you're", "it's", "John's", "don't", "we'd", "US", "us", "y'all", "’", "‘", "\r\n", "\n", "\n\n", " ", "  ",
	"?", "!", "...", "?!", ".\"", ".)", "e.g.", "Dr.", "😀", "☀", "İstanbul", "K", "ſ", "likely", "Therefore", "hey",
	"xcalled", "_means", "9imagine", "\u212acalled", "a\u212anown as", "ſsources:", "xſource:", "pre-called", "the", "answer", "Table", "little", "free", "café", "naïve", "x-e", "re-use", "\xff", "a\x00b", "3.14", "\t",
	// What the one pass over the prose tells apart (heuristic_scan.go).
	"\v", "\u0085", "\u00a0", "\u2028", "\u3000", "\r", "THEREFORE", "However", "MAY", "Y'ALL", "o\u212a", "'tis", "''",
	"rock'n'roll", "café's", "naïven't", "1990s", "x_y", "A.B", "end.\"", "?)", "!!!", "a.'b", "٣", "Ⅻ", "ǅ",
	"Ok", "I'M", "don'T", "sTEP 4", "( 1999 )", "http://a.b/c`d`", "`x`http://", "www", "9likely", "it'S",
	"supercalifragilisticexpialidociousness's", "WE'D", "é", "É", "🎉", "\u2764", "\ufffd", "e.g.,", "No. 5",
	"I think of", "think of THAT as", "Think of them  as", "think of itas",
}

func heurRandomText(rng *rand.Rand) string {
	var b strings.Builder
	for range rng.IntN(40) {
		b.WriteString(heurPieces[rng.IntN(len(heurPieces))])
		if rng.IntN(3) > 0 {
			b.WriteByte(" \n.,"[rng.IntN(4)])
		}
	}
	return b.String()
}

// TestHeuristicAnalyzeAsBefore holds heurAnalyze to the reference (the
// analyzer before issue 13) on random answers made of what its patterns
// look for.
func TestHeuristicAnalyzeAsBefore(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 13))
	for range 20000 {
		text := heurRandomText(rng)
		if got, want := heurAnalyze(text), refAnalyze(text); got != want {
			t.Fatalf("%q:\n got %+v\nwant %+v", text, got, want)
		}
	}
}

func FuzzHeuristicAnalyze(f *testing.F) {
	for _, p := range heurPieces {
		f.Add(p + " " + p)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if got, want := heurAnalyze(text), refAnalyze(text); got != want {
			t.Fatalf("%q:\n got %+v\nwant %+v", text, got, want)
		}
	})
}
