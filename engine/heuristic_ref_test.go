package engine

// The heuristic analyzer as it was before its patterns were gated and its
// loops stopped allocating (issue 13), kept as the reference the
// differential test holds the new one to.

import (
	"strings"
	"unicode"
)

// refAnalyze measures one response.
func refAnalyze(text string) heurStats {
	var s heurStats
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.NewReplacer("’", "'", "‘", "'").Replace(text)
	s.words = refWordCount(text)
	p := refReadLines(&s, text)
	refReadMarkup(&s, p)
	// Everything below reads prose without inline code or URLs.
	p = heurInlineCode.ReplaceAllString(p, " ")
	p = heurURLRe.ReplaceAllString(p, " ")
	refReadPunctuation(&s, p)
	refReadProse(&s, p)
	refReadWords(&s, p)
	return s
}

// refReadLines separates fenced code from prose and reads the line
// structure: code blocks, headings, numbered steps and bullets. It
// returns the prose, every line outside the fences.
func refReadLines(s *heurStats, text string) string {
	var prose strings.Builder
	inFence, seenLine := false, false
	for _, line := range strings.Split(text, "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			if !inFence {
				s.codeBlocks++
				if !seenLine {
					s.codeFirst = true
				}
			}
			inFence = !inFence
			seenLine = true
			continue
		}
		if t != "" {
			seenLine = true
		}
		if inFence {
			continue
		}
		switch {
		case heurHeadingRe.MatchString(line):
			s.headings++
		case heurNumberedRe.MatchString(line):
			s.steps++
		case heurBulletRe.MatchString(line) && !strings.HasPrefix(t, "**"):
			s.bullets++
		}
		prose.WriteString(line)
		prose.WriteByte('\n')
	}
	return prose.String()
}

// refReadMarkup counts what the prose marks up: bold, term definitions,
// "step N" and citations.
func refReadMarkup(s *heurStats, p string) {
	s.bold = len(heurBoldRe.FindAllStringIndex(p, -1))
	s.defined = len(heurDefinedRe.FindAllStringIndex(p, -1))
	s.steps += len(heurStepRe.FindAllStringIndex(p, -1))
	// Citations: author–year parentheses first, then the other markers in
	// what is left, so that "(Smith et al., 2011)" counts once.
	s.citations = len(heurParenYear.FindAllStringIndex(p, -1))
	s.citations += len(heurCiteRe.FindAllStringIndex(heurParenYear.ReplaceAllString(p, " "), -1))
}

// refReadPunctuation counts questions, exclamations and emoji.
func refReadPunctuation(s *heurStats, p string) {
	for _, r := range p {
		switch {
		case r == '?':
			s.questions++
		case r == '!':
			s.exclaims++
		case refIsEmoji(r):
			s.emoji++
		}
	}
}

// refReadProse counts the sentences, prose words and their syllables.
func refReadProse(s *heurStats, p string) {
	for _, line := range strings.Split(heurAbbrev.Replace(p), "\n") {
		s.sentences += refSentences(line)
	}
	if s.sentences == 0 && s.words > 0 {
		s.sentences = 1 // a bare command or code block is one statement
	}
	for _, tok := range strings.Fields(p) {
		if strings.IndexFunc(tok, refIsWordRune) < 0 {
			continue
		}
		s.proseWords++
		s.syllables += refSyllables(tok)
	}
}

// refReadWords reads the register and person of the words: hedges, formal
// and casual words and phrases, contractions, first and second person.
func refReadWords(s *heurStats, p string) {
	s.casual = len(heurPhraseRe.FindAllStringIndex(p, -1))
	s.formal = len(heurFormalRe.FindAllStringIndex(p, -1))
	for _, w := range strings.FieldsFunc(p, func(r rune) bool { return !refIsWordRune(r) && r != '\'' }) {
		w = strings.Trim(w, "'")
		if w == "" {
			continue
		}
		if w == "US" { // the country, not the pronoun
			continue
		}
		lw := strings.ToLower(w)
		switch {
		case heurHedgeWords[lw]:
			s.hedges++
		case heurFormalWords[lw]:
			s.formal++
		case heurCasualWords[lw]:
			s.casual++
		}
		if heurFirstWords[lw] {
			s.first++
		}
		if heurSecondWords[lw] {
			s.second++
		}
		if !heurCasualWords[lw] && refIsContraction(lw) {
			s.casual++
		}
	}
}

func refIsWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// refWordCount counts whitespace-separated tokens holding a letter or digit.
func refWordCount(text string) int {
	n := 0
	for _, tok := range strings.Fields(text) {
		if strings.IndexFunc(tok, refIsWordRune) >= 0 {
			n++
		}
	}
	return n
}

func refIsContraction(w string) bool {
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

// refSentences counts the sentences of one line: the pieces between
// runs of . ! ? followed by a space or the line's end that hold a word.
func refSentences(line string) int {
	n, hasWord := 0, false
	rs := []rune(line)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if refIsWordRune(r) {
			hasWord = true
			continue
		}
		if r != '.' && r != '!' && r != '?' {
			continue
		}
		j := i
		for j+1 < len(rs) && (rs[j+1] == '.' || rs[j+1] == '!' || rs[j+1] == '?') {
			j++
		}
		// Closing quotes and brackets may follow the terminator.
		k := j + 1
		for k < len(rs) && strings.ContainsRune(`"')]*_`, rs[k]) {
			k++
		}
		if k == len(rs) || unicode.IsSpace(rs[k]) {
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

// refSyllables estimates the syllables of a word: groups of vowels, less a
// silent final e, at least one.
func refSyllables(tok string) int {
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

func refIsEmoji(r rune) bool {
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
