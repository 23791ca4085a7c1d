package engine

import (
	"strings"
	"unicode/utf8"
)

// The words the heuristic summarizer counts for register and person, and
// how one word of the prose is looked up among them.

var heurHedgeWords = heurSet("likely unlikely probably possibly perhaps may might suggest suggests suggested " +
	"suggesting evidence uncertain uncertainty approximately roughly apparently seems seem appears appear " +
	"arguably estimate estimated estimates caveat caveats unclear plausibly presumably")

var heurCasualWords = heurSet("hey hi ok okay yeah yep yup nope nah gonna wanna gotta kinda sorta cool awesome " +
	"super basically totally stuff lol haha hehe ooh oh wow yay oops whoa folks guys loads dude btw omg " +
	"cheers literally ya y'all ain't lemme gimme heck")

var heurFormalWords = heurSet("therefore however furthermore moreover consequently thus hence regarding " +
	"accordingly whereas nevertheless nonetheless additionally subsequently certainly shall herein " +
	"respectively sincerely kindly appreciate assist individuals utilise utilize obtain prior regard " +
	"typically notably particularly")

var heurFirstWords = heurSet("i i'm i've i'd i'll me my mine myself we we're we've we'll we'd us our ours ourselves")

var heurSecondWords = heurSet("you your yours yourself yourselves you're you've you'll you'd y'all")

// Contractions ending in 's that are not possessives.
var heurSBases = heurSet("it that what there here let he she who where how when why")

// The kinds of word readWord counts, as bits: one map lookup a word
// instead of five.
const (
	heurHedge uint8 = 1 << iota
	heurFormal
	heurCasual
	heurFirst
	heurSecond
)

var heurWordKinds = func() map[string]uint8 {
	m := map[string]uint8{}
	for kind, set := range map[uint8]map[string]bool{heurHedge: heurHedgeWords, heurFormal: heurFormalWords,
		heurCasual: heurCasualWords, heurFirst: heurFirstWords, heurSecond: heurSecondWords} {
		for w := range set {
			m[w] |= kind
		}
	}
	return m
}()

func heurSet(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// heurMaybe says, by a word's length and its first and last bytes (the
// low five bits of each, so that case does not matter), whether it may be
// one of heurWordKinds': most words of an answer are not, and hashing each
// for the map was the largest part of reading the words. A word it lets
// through is still looked up.
var heurMaybe = func() (m [32][32]uint32) {
	for w := range heurWordKinds {
		m[len(w)][w[0]&31] |= 1 << (w[len(w)-1] & 31)
	}
	return m
}()

func heurMaybeKind(w string) bool {
	return len(w) < len(heurMaybe) && heurMaybe[len(w)][w[0]&31]&(1<<(w[len(w)-1]&31)) != 0
}

// readWord counts one word of the prose (letters, digits and apostrophes;
// ascii says it has no other byte, apos that it has an apostrophe): hedges,
// formal and casual words, contractions, first and second person.
func (s *heurStats) readWord(w string, ascii, apos bool) {
	if apos {
		w = strings.Trim(w, "'")
		apos = strings.IndexByte(w, '\'') >= 0
	}
	if w == "" || w == "US" { // US: the country, not the pronoun
		return
	}
	if !ascii {
		// strings.ToLower makes no copy of a word it leaves as it is.
		s.countWord(strings.ToLower(w))
		return
	}
	if !apos && !heurMaybeKind(w) {
		return // no kind and no contraction
	}
	// Put in lower case on the stack: strings.ToLower allocated for every
	// capitalized word.
	var buf [32]byte
	lw, _ := heurLowerASCII(w, buf[:0])
	s.countWord(string(lw))
}

// countWord counts one word in lower case.
func (s *heurStats) countWord(lw string) {
	kind := heurWordKinds[lw]
	switch {
	case kind&heurHedge != 0:
		s.hedges++
	case kind&heurFormal != 0:
		s.formal++
	case kind&heurCasual != 0:
		s.casual++
	}
	if kind&heurFirst != 0 {
		s.first++
	}
	if kind&heurSecond != 0 {
		s.second++
	}
	if kind&heurCasual == 0 && strings.IndexByte(lw, '\'') > 0 && heurIsContraction(lw) {
		s.casual++
	}
}

// heurLowerASCII appends w in lower case to buf, when w is ASCII.
func heurLowerASCII(w string, buf []byte) ([]byte, bool) {
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c >= utf8.RuneSelf {
			return nil, false
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf = append(buf, c)
	}
	return buf, true
}

func heurIsContraction(w string) bool {
	i := strings.IndexByte(w, '\'')
	if i <= 0 || i == len(w)-1 {
		return false
	}
	switch w[i:] {
	case "'re", "'ve", "'ll", "'d", "'m", "'t":
		return true
	case "'s":
		return heurSBases[w[:i]]
	}
	return strings.HasSuffix(w, "n't")
}
