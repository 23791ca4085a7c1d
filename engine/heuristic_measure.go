package engine

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The measures of pieces of the prose that the one pass (heuristic_scan.go)
// hands on: a token's syllables, whether a rune is an emoji, and the
// sentences of text whose abbreviations were written out.

// heurHasAbbrev says whether p holds one of heurAbbrev's abbreviations:
// each ends in a full stop, so only the text before each full stop is
// looked at (and only when the byte before it ends one), and most answers
// skip the replacer (7% of the time).
func heurHasAbbrev(p string) bool {
	for i := strings.IndexByte(p, '.'); i >= 0; {
		if i > 0 && heurAbbrevEnds[p[i-1]] {
			for _, a := range heurAbbrevs {
				if strings.HasSuffix(p[:i], a) {
					return true
				}
			}
		}
		next := strings.IndexByte(p[i+1:], '.')
		if next < 0 {
			break
		}
		i += 1 + next
	}
	return false
}

// heurAbbrevs are heurAbbrev's abbreviations without their last full stop.
var heurAbbrevs = []string{"e.g", "i.e", "et al", "etc", "vs", "Dr", "Mr", "Mrs", "Ms", "approx", "cf", "No"}

// heurAbbrevEnds are the last bytes of heurAbbrevs.
var heurAbbrevEnds = func() (t [256]bool) {
	for _, a := range heurAbbrevs {
		t[a[len(a)-1]] = true
	}
	return t
}()

func heurIsWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// heurSentences counts the sentences of one line: the pieces between
// runs of . ! ? followed by a space or the line's end that hold a word.
// It walks the line's bytes: the marks it looks for are ASCII, and only
// other runes are decoded.
func heurSentences(line string) int {
	n, hasWord := 0, false
	for i := 0; i < len(line); {
		r, size := rune(line[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(line[i:])
		}
		if heurIsWordRune(r) {
			hasWord = true
			i += size
			continue
		}
		if r != '.' && r != '!' && r != '?' {
			i += size
			continue
		}
		j := i + 1
		for j < len(line) && (line[j] == '.' || line[j] == '!' || line[j] == '?') {
			j++
		}
		// Closing quotes and brackets may follow the terminator.
		k := j
		for k < len(line) && strings.IndexByte(`"')]*_`, line[k]) >= 0 {
			k++
		}
		if next, _ := utf8.DecodeRuneInString(line[k:]); k == len(line) || unicode.IsSpace(next) {
			if hasWord {
				n++
			}
			hasWord = false
		}
		i = j
	}
	if hasWord {
		n++
	}
	return n
}

// heurSyllables estimates the syllables of a word: groups of vowels, less a
// silent final e, at least one.
func heurSyllables(tok string) int {
	if n, ok := heurSyllablesASCII(tok); ok {
		return n
	}
	w := strings.ToLower(strings.TrimFunc(tok, func(r rune) bool { return !unicode.IsLetter(r) }))
	n, prevVowel, letters := 0, false, 0
	for _, r := range w {
		if !unicode.IsLetter(r) {
			prevVowel = false
			continue
		}
		letters++
		v := strings.ContainsRune("aeiouyàáâäèéêëìíîïòóôöùúûü", r)
		if v && !prevVowel {
			n++
		}
		prevVowel = v
	}
	if letters == 0 {
		return 1
	}
	if n > 1 && strings.HasSuffix(w, "e") && !strings.HasSuffix(w, "le") && !strings.HasSuffix(w, "ee") {
		n--
	}
	return max(n, 1)
}

// heurSyllablesASCII is heurSyllables of an ASCII token, in one loop
// without the lower-case copy; ok is false for any other token. The
// non-letters around the word need not be trimmed: before its first letter
// they change nothing, and after its last there is nothing to count.
func heurSyllablesASCII(tok string) (n int, ok bool) {
	prevVowel, last := false, -1 // last: the index of the last letter
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if c >= utf8.RuneSelf {
			return 0, false
		}
		if heurASCII[c]&heurLetter == 0 {
			prevVowel = false
			continue
		}
		last = i
		v := heurASCII[c]&heurVowel != 0
		if v && !prevVowel {
			n++
		}
		prevVowel = v
	}
	if last < 0 {
		return 1, true
	}
	// A silent final e, but in -le and -ee.
	if n > 1 && tok[last]|0x20 == 'e' && (last == 0 || heurASCII[tok[last-1]]&heurLetter == 0 ||
		tok[last-1]|0x20 != 'l' && tok[last-1]|0x20 != 'e') {
		n--
	}
	return max(n, 1), true
}

func heurIsEmoji(r rune) bool {
	switch {
	case r >= 0x1F000 && r <= 0x1FAFF,
		r >= 0x2600 && r <= 0x27BF,
		r >= 0x2B05 && r <= 0x2B07,
		r == 0x2B1B, r == 0x2B1C, r == 0x2B50, r == 0x2B55,
		r == 0x231A, r == 0x231B,
		r >= 0x23E9 && r <= 0x23F3,
		r >= 0x23F8 && r <= 0x23FA,
		r == 0x3030, r == 0x303D:
		return true
	}
	return false
}
