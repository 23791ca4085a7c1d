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
			at[n[0]] = append(at[n[0]], heurNeed{n, group})
		}
	}
	return at
}()

type heurNeed struct {
	text  string
	group uint8
}

// heurGates says which groups of pieces lower (heurLower's) holds.
func heurGates(lower string) (found uint8) {
	for i := 0; i < len(lower); i++ {
		for _, n := range heurNeedsAt[lower[i]] {
			if found&n.group == 0 && strings.HasPrefix(lower[i:], n.text) {
				found |= n.group
			}
		}
	}
	return found
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
// long s (ſ) alone, which (?i) matches as an s.
func heurLower(p string) string {
	lower := strings.ToLower(p)
	if strings.Contains(lower, "ſ") {
		lower = strings.ReplaceAll(lower, "ſ", "s")
	}
	return lower
}
