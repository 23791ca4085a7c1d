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
	heurDefinedNeeds = []string{"**", "called", "known as", "means", "refers to", "stands for", "think of it as",
		"think of them as", "think of this as", "think of that as", "imagine", "in other words", "i.e.", "that is,"}
	heurCiteNeeds   = []string{"et al", "http", "www.", "source", "[", "doi:", "cited in"}
	heurPhraseNeeds = []string{"heads up", "no worries", "sure thing", "no biggie", "check it out"}
	heurFormalNeeds = []string{"kind regards", "yours sincerely", "please note", "should note", "with respect to",
		"in accordance with"}
	heurStepNeeds = []string{"step "}
)

// The groups of pieces, as bits of what heurGates returns.
const (
	heurGateDefined uint8 = 1 << iota
	heurGateCite
	heurGatePhrase
	heurGateFormal
	heurGateStep

	heurGateAll = heurGateDefined | heurGateCite | heurGatePhrase | heurGateFormal | heurGateStep
)

// heurNeedsAt lists the pieces by their first byte, in either case, so
// that heurGates finds every group's pieces in one pass over a text rather
// than one strings.Contains a piece (those were 13% of the summarizer's
// time).
var heurNeedsAt = func() (at [256][]heurNeed) {
	for group, needs := range map[uint8][]string{heurGateDefined: heurDefinedNeeds, heurGateCite: heurCiteNeeds,
		heurGatePhrase: heurPhraseNeeds, heurGateFormal: heurFormalNeeds, heurGateStep: heurStepNeeds} {
		for _, n := range needs {
			// Every piece starting with a letter follows a \b in its pattern.
			letter := 'a' <= n[0] && n[0] <= 'z'
			need := heurNeed{n, group, letter && n != "http"}
			at[n[0]] = append(at[n[0]], need)
			if letter {
				at[n[0]-'a'+'A'] = append(at[n[0]-'a'+'A'], need)
			}
		}
	}
	return at
}()

type heurNeed struct {
	text  string // in lower case
	group uint8
	word  bool // only at the start of a word
}

// heurGateBytes says, by byte, whether a piece starts with it
// (heurStartsPiece), whether one of those may start inside a word
// (heurStartsInWord: most bytes of a text are inside words, where only
// "http" is looked for) and whether it is a word byte to \b (heurInWordByte).
var heurGateBytes = func() (t [256]uint8) {
	for c, needs := range heurNeedsAt {
		for _, n := range needs {
			t[c] |= heurStartsPiece
			if !n.word {
				t[c] |= heurStartsInWord
			}
		}
		if heurWordByte(byte(c)) {
			t[c] |= heurInWordByte
		}
	}
	return t
}()

const (
	heurStartsPiece uint8 = 1 << iota
	heurStartsInWord
	heurInWordByte
)

// heurGates says which groups of pieces p holds, comparing in place
// without case (no lower-cased copy). (?i) also matches the long s (ſ) as
// an s and the Kelvin sign as a k, which turn into ASCII letters no byte
// comparison sees: a text holding either is given to every pattern. A
// piece that its pattern wants at a word's start is looked for only
// there.
func heurGates(p string) (found uint8) {
	if strings.Contains(p, "ſ") || strings.Contains(p, "\u212a") {
		return heurGateAll
	}
	inWord := false // p[i-1] is a word byte
	for i := 0; i < len(p); i++ {
		c := p[i]
		t := heurGateBytes[c]
		if t&heurStartsPiece != 0 && (!inWord || t&heurStartsInWord != 0) {
			for _, n := range heurNeedsAt[c] {
				if found&n.group == 0 && !(n.word && inWord) && heurHasPrefixFold(p[i:], n.text) {
					found |= n.group
				}
			}
		}
		inWord = t&heurInWordByte != 0
	}
	return found
}

// heurHasPrefixFold is strings.HasPrefix(strings.ToLower(s), lower) for a
// lower-case ASCII prefix, without the copy.
func heurHasPrefixFold(s, lower string) bool {
	if len(s) < len(lower) {
		return false
	}
	for j := 0; j < len(lower); j++ {
		c := s[j]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[j] {
			return false
		}
	}
	return true
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
