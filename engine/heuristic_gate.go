package engine

import (
	"regexp"
	"strings"
)

// Go's regexp tries a pattern of many case-insensitive alternatives at
// every position of the text, and the heuristic summarizer's patterns were
// 80% of its time (BenchmarkInferHeuristic). Each pattern below can only
// match a text that holds one of its literal pieces, so a text without any
// is not given to it: the counts are the same, and most answers skip most
// patterns.

// The lower-case pieces one of which every match of a pattern holds.
var (
	heurDefinedNeeds = []string{"**", "called", "known as", "means", "refers to", "stands for", "think of",
		"imagine", "in other words", "i.e.", "that is,"}
	heurCiteNeeds   = []string{"et al", "http", "www.", "source", "[", "doi:", "cited in"}
	heurPhraseNeeds = []string{"heads up", "no worries", "sure thing", "no biggie", "check it out"}
	heurFormalNeeds = []string{"kind regards", "yours sincerely", "please note", "should note", "with respect to",
		"in accordance with"}
)

// The groups of pieces, as bits of what heurGates returns.
const (
	heurGateDefined uint8 = 1 << iota
	heurGateCite
	heurGatePhrase
	heurGateFormal
)

// heurNeedsAt lists the pieces by their first byte, so that heurGates
// finds every group's pieces in one pass over a text rather than one
// strings.Contains a piece (those were 13% of the summarizer's time).
var heurNeedsAt = func() (at [256][]heurNeed) {
	for group, needs := range map[uint8][]string{heurGateDefined: heurDefinedNeeds, heurGateCite: heurCiteNeeds,
		heurGatePhrase: heurPhraseNeeds, heurGateFormal: heurFormalNeeds} {
		for _, n := range needs {
			// Every piece starting with a letter follows a \b in its pattern.
			at[n[0]] = append(at[n[0]], heurNeed{n, group, 'a' <= n[0] && n[0] <= 'z' && n != "http"})
		}
	}
	return at
}()

type heurNeed struct {
	text  string
	group uint8
	word  bool // only at the start of a word
}

// heurGates says which groups of pieces lower (heurLower's) holds. A piece
// that its pattern wants at a word's start is looked for only there, when
// lower's word boundaries are the text's (heurLower says).
func heurGates(lower string, bounds bool) (found uint8) {
	for i := 0; i < len(lower); i++ {
		needs := heurNeedsAt[lower[i]]
		if len(needs) == 0 {
			continue
		}
		inWord := bounds && i > 0 && heurWordByte(lower[i-1])
		for _, n := range needs {
			if found&n.group == 0 && !(n.word && inWord) && strings.HasPrefix(lower[i:], n.text) {
				found |= n.group
			}
		}
	}
	return found
}

// heurWordByte is \b's idea of a word character.
func heurWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
}

// heurMatches counts the matches of re in p when gate is among the
// groups found (heurGates).
func heurMatches(re *regexp.Regexp, p string, found, gate uint8) int {
	if found&gate == 0 {
		return 0
	}
	return len(re.FindAllStringIndex(p, -1))
}

// heurLower is p in lower case as (?i) sees it: strings.ToLower leaves the
// long s (ſ) alone, which (?i) matches as an s. bounds is false when a
// letter that is no word character to \b (ſ, the Kelvin sign) became an
// ASCII one, so that lower's word boundaries are not p's.
func heurLower(p string) (lower string, bounds bool) {
	lower = strings.ToLower(p)
	bounds = !strings.Contains(p, "\u212a")
	if strings.Contains(lower, "ſ") {
		lower, bounds = strings.ReplaceAll(lower, "ſ", "s"), false
	}
	return lower, bounds
}
