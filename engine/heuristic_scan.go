package engine

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// One pass over the prose counts its punctuation, sentences, prose words,
// syllables and the words read for register and person. Before issue 13
// these were four passes (one over a lower-cased copy), strings.Fields
// slices and a rune decoded at every byte; the counts are the same
// (heuristic_ref_test.go holds them to the analyzer before).

// What an ASCII byte is to the pass, as bits.
const (
	heurSpace  uint8 = 1 << iota // unicode.IsSpace: ends a token
	heurAlnum                    // a letter or digit: a word rune
	heurStop                     // . ! ?: may end a sentence
	heurClose                    // " ' ) ] * _: may follow a sentence's end
	heurLetter                   // a-z A-Z (heurSyllablesASCII)
	heurVowel                    // a e i o u y in either case
)

var heurASCII = func() (t [utf8.RuneSelf]uint8) {
	for c := range utf8.RuneSelf {
		r := rune(c)
		if unicode.IsSpace(r) {
			t[c] |= heurSpace
		}
		if heurIsWordRune(r) {
			t[c] |= heurAlnum
		}
		if strings.ContainsRune(".!?", r) {
			t[c] |= heurStop
		}
		if strings.ContainsRune(`"')]*_`, r) {
			t[c] |= heurClose
		}
		if unicode.IsLetter(r) {
			t[c] |= heurLetter
		}
		if strings.ContainsRune("aeiouyAEIOUY", r) {
			t[c] |= heurVowel
		}
	}
	return t
}()

// heurScan is where the pass is: the tokens being read and the sentence.
type heurScan struct {
	s         *heurStats
	p         string
	field     int  // start of the whitespace-separated token being read, or -1
	fieldWord bool // … which holds a word rune
	syl       heurSyl
	word      int  // start of the word (letters, digits, apostrophes) being read, or -1
	wordASCII bool // … which is ASCII
	wordApos  bool // … which holds an apostrophe
	sentences bool // count the sentences (not when abbreviations are written out)
	hasWord   bool // the sentence being read holds a word rune
}

// readProse reads p in one pass. found is heurGates(p): which of the
// casual and formal phrases' patterns are worth trying.
func (s *heurStats) readProse(p string, found uint8) {
	s.casual = heurMatches(heurPhraseRe, p, found, heurGatePhrase)
	s.formal = heurMatches(heurFormalRe, p, found, heurGateFormal)
	sc := heurScan{s: s, p: p, field: -1, word: -1, sentences: true}
	if heurHasAbbrev(p) {
		// The sentences of the text with its abbreviations written out
		// ("e.g." as "eg"), rarely: a second pass over that copy.
		sc.sentences = false
		for line := range strings.SplitSeq(heurAbbrev.Replace(p), "\n") {
			s.sentences += heurSentences(line)
		}
	}
	for i := 0; i < len(p); {
		c := p[i]
		if c < utf8.RuneSelf && heurASCII[c]&heurAlnum != 0 {
			// Most bytes are in runs of ASCII letters and digits, whose
			// syllables are counted on the way.
			sc.alnum(i, true)
			i = sc.syl.run(p, i)
			continue
		}
		if c < utf8.RuneSelf {
			sc.ascii(i, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(p[i:])
		sc.other(i, r)
		i += size
	}
	sc.endWord(len(p))
	sc.endField(len(p))
	if sc.hasWord && sc.sentences {
		s.sentences++
	}
}

// alnum reads a word rune (a run of them when ASCII) at i.
func (sc *heurScan) alnum(i int, ascii bool) {
	if sc.word < 0 {
		sc.word, sc.wordASCII = i, true
	}
	sc.wordASCII = sc.wordASCII && ascii
	if sc.field < 0 {
		sc.startField(i)
	}
	sc.fieldWord, sc.hasWord = true, true
	sc.syl.ascii = sc.syl.ascii && ascii
}

// startField starts a whitespace-separated token at i.
func (sc *heurScan) startField(i int) {
	sc.field, sc.fieldWord = i, false
	sc.syl = heurSyl{last: -1, ascii: true}
}

// ascii reads a byte that is no letter or digit.
func (sc *heurScan) ascii(i int, c byte) {
	cls := heurASCII[c]
	if c == '\'' {
		if sc.word < 0 {
			sc.word, sc.wordASCII = i, true
		}
		sc.wordApos = true
	} else {
		sc.endWord(i)
	}
	if cls&heurSpace != 0 {
		sc.endField(i)
		if c == '\n' {
			sc.endLine()
		}
		return
	}
	if sc.field < 0 {
		sc.startField(i)
	}
	sc.syl.prevVowel = false
	switch c {
	case '?':
		sc.s.questions++
	case '!':
		sc.s.exclaims++
	}
	// The first of a run of . ! ? (the run is read at once).
	if cls&heurStop != 0 && sc.sentences && (i == 0 || !heurIsASCII(sc.p[i-1], heurStop)) {
		sc.stop(i)
	}
}

// other reads a rune beyond ASCII at i.
func (sc *heurScan) other(i int, r rune) {
	if heurIsEmoji(r) {
		sc.s.emoji++
	}
	if heurIsWordRune(r) {
		sc.alnum(i, false)
		return
	}
	sc.endWord(i)
	if unicode.IsSpace(r) {
		sc.endField(i)
		return
	}
	if sc.field < 0 {
		sc.startField(i)
	}
	sc.syl.ascii = false
}

// stop reads the run of . ! ? at i: it ends a sentence when what follows
// it, past closing quotes and brackets, is a space or the line's end.
func (sc *heurScan) stop(i int) {
	p := sc.p
	j := i + 1
	for j < len(p) && heurIsASCII(p[j], heurStop) {
		j++
	}
	for j < len(p) && heurIsASCII(p[j], heurClose) {
		j++
	}
	if j < len(p) && !heurSpaceAt(p, j) {
		return
	}
	sc.endLine()
}

// heurIsASCII says whether c is an ASCII byte of the class.
func heurIsASCII(c byte, class uint8) bool { return c < utf8.RuneSelf && heurASCII[c]&class != 0 }

// heurSpaceAt says whether the rune at p[i] is a space.
func heurSpaceAt(p string, i int) bool {
	if p[i] < utf8.RuneSelf {
		return heurASCII[p[i]]&heurSpace != 0
	}
	r, _ := utf8.DecodeRuneInString(p[i:])
	return unicode.IsSpace(r)
}

// endLine ends a sentence, counting it when it holds a word.
func (sc *heurScan) endLine() {
	if sc.hasWord && sc.sentences {
		sc.s.sentences++
	}
	sc.hasWord = false
}

// endWord ends the word being read, if any, at i.
func (sc *heurScan) endWord(i int) {
	if sc.word >= 0 {
		sc.s.readWord(sc.p[sc.word:i], sc.wordASCII, sc.wordApos)
		sc.word, sc.wordApos = -1, false
	}
}

// endField ends the whitespace-separated token being read, if any, at i:
// a prose word when it holds a word rune.
func (sc *heurScan) endField(i int) {
	if sc.field >= 0 {
		if sc.fieldWord {
			sc.s.proseWords++
			sc.s.syllables += sc.syl.count(sc.p, sc.field, i)
		}
		sc.field = -1
	}
}

// heurSyl counts the syllables of an ASCII token during the pass, as
// heurSyllablesASCII would after it, without walking the token again.
type heurSyl struct {
	n         int  // groups of vowels so far
	prevVowel bool // the last byte was a vowel
	last      int  // index of the token's last letter, or -1
	ascii     bool // the token is ASCII so far: else it is counted after
}

// run counts the run of ASCII letters and digits at p[i], returning its end.
func (y *heurSyl) run(p string, i int) int {
	n, prevVowel, last := y.n, y.prevVowel, y.last
	for ; i < len(p) && p[i] < utf8.RuneSelf; i++ {
		cls := heurASCII[p[i]]
		if cls&heurAlnum == 0 {
			break
		}
		if cls&heurLetter == 0 {
			prevVowel = false
			continue
		}
		last = i
		v := cls&heurVowel != 0
		if v && !prevVowel {
			n++
		}
		prevVowel = v
	}
	y.n, y.prevVowel, y.last = n, prevVowel, last
	return i
}

// count is the syllables of the token p[start:end].
func (y *heurSyl) count(p string, start, end int) int {
	if !y.ascii {
		return heurSyllables(p[start:end])
	}
	n, last := y.n, y.last
	if last < 0 {
		return 1
	}
	// A silent final e, but in -le and -ee.
	if n > 1 && p[last]|0x20 == 'e' && (last == start || heurASCII[p[last-1]]&heurLetter == 0 ||
		p[last-1]|0x20 != 'l' && p[last-1]|0x20 != 'e') {
		n--
	}
	return max(n, 1)
}

// heurCountWords counts whitespace-separated tokens holding a letter or
// digit, as strings.Fields would cut them, without the slice.
func heurCountWords(text string) int {
	n, inField, counted := 0, false, false
	for i := 0; i < len(text); {
		c, size := rune(text[i]), 1
		var space, word bool
		if c < utf8.RuneSelf {
			cls := heurASCII[c]
			space, word = cls&heurSpace != 0, cls&heurAlnum != 0
		} else {
			c, size = utf8.DecodeRuneInString(text[i:])
			space, word = unicode.IsSpace(c), heurIsWordRune(c)
		}
		i += size
		switch {
		case space:
			inField = false
		case !inField:
			inField, counted = true, false
			fallthrough
		default:
			if word && !counted {
				n, counted = n+1, true
			}
		}
	}
	return n
}
