package engine

import (
	"bytes"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Measuring one response for the heuristic summarizer: its line
// structure, markup, punctuation, sentences, syllables and words.

var (
	heurNumberedRe = regexp.MustCompile(`^\s*\d{1,3}[.)]\s+\S`)
	heurBulletRe   = regexp.MustCompile(`^\s*[-*+•]\s+\S`)
	heurHeadingRe  = regexp.MustCompile(`^ {0,3}#{1,6}\s+\S`)
	heurInlineCode = regexp.MustCompile("`[^`\n]+`")
	heurURLRe      = regexp.MustCompile(`https?://\S+`)
	heurBoldRe     = regexp.MustCompile(`\*\*[^*\n]+\*\*`)
	heurStepRe     = regexp.MustCompile(`(?i)\bstep \d+\b`)
	heurDefinedRe  = regexp.MustCompile(`(?i)\*\*[^*\n]+\*\*\s+(?:is|are|means|refers to)\b|\*\*[^*\n]+\*\*\s*\(|\bcalled\b|\bknown as\b|\bmeans\b|\brefers to\b|\bstands for\b|\bthink of (?:it|them|this|that) as\b|\bimagine\b|\bin other words\b|\bi\.e\.|\bthat is,`)
	heurParenYear  = regexp.MustCompile(`\([^()\n]*\b(?:1[5-9]\d\d|20\d\d)[a-z]?\b[^()\n]*\)`)
	heurCiteRe     = regexp.MustCompile(`(?i)\bet al\b\.?|https?://[^\s)>\]]+|\bwww\.[^\s)>\]]+|\bsources?:|\[\d{1,3}\]|\bdoi:|\bcited in\b`)
	heurPhraseRe   = regexp.MustCompile(`(?i)\bheads up\b|\bno worries\b|\bsure thing\b|\bno biggie\b|\bcheck it out\b`)
	heurFormalRe   = regexp.MustCompile(`(?i)\bkind regards\b|\byours sincerely\b|\bplease note\b|\bshould note\b|\bwith respect to\b|\bin accordance with\b`)
	// Abbreviations whose full stop does not end a sentence.
	heurAbbrev = strings.NewReplacer("e.g.", "eg", "i.e.", "ie", "et al.", "et al", "etc.", "etc", "vs.", "vs",
		"Dr.", "Dr", "Mr.", "Mr", "Mrs.", "Mrs", "Ms.", "Ms", "approx.", "approx", "cf.", "cf", "No.", "No")
)

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

// heurAnalyze measures one response.
func heurAnalyze(text string) heurStats {
	var s heurStats
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.NewReplacer("’", "'", "‘", "'").Replace(text)
	s.words = heurWordCount(text)
	p := s.readLines(text)
	s.readMarkup(p)
	// Everything below reads prose without inline code or URLs.
	if strings.Contains(p, "`") {
		p = heurInlineCode.ReplaceAllString(p, " ")
	}
	if strings.Contains(p, "http") {
		p = heurURLRe.ReplaceAllString(p, " ")
	}
	s.readPunctuation(p)
	s.readProse(p)
	s.readWords(p)
	return s
}

// readLines separates fenced code from prose and reads the line
// structure: code blocks, headings, numbered steps and bullets. It
// returns the prose, every line outside the fences.
func (s *heurStats) readLines(text string) string {
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
		// Each pattern needs its first mark first on the line (or a #
		// anywhere): most lines are tried against none.
		lead := strings.TrimLeft(line, " \t\n\f\r")
		switch {
		case lead == "":
		case lead[0] == '#' && heurHeadingRe.MatchString(line):
			s.headings++
		case '0' <= lead[0] && lead[0] <= '9' && heurNumberedRe.MatchString(line):
			s.steps++
		case strings.IndexByte("-*+\xe2", lead[0]) >= 0 && heurBulletRe.MatchString(line) && !strings.HasPrefix(t, "**"):
			s.bullets++
		}
		prose.WriteString(line)
		prose.WriteByte('\n')
	}
	return prose.String()
}

// readMarkup counts what the prose marks up: bold, term definitions,
// "step N" and citations.
func (s *heurStats) readMarkup(p string) {
	lower, bounds := heurLower(p)
	found := heurGates(lower, bounds)
	if strings.Contains(p, "**") {
		s.bold = len(heurBoldRe.FindAllStringIndex(p, -1))
	}
	s.defined = heurMatches(heurDefinedRe, p, found, heurGateDefined)
	if strings.Contains(lower, "step ") {
		s.steps += len(heurStepRe.FindAllStringIndex(p, -1))
	}
	// Citations: author–year parentheses first, then the other markers in
	// what is left, so that "(Smith et al., 2011)" counts once.
	if strings.Contains(p, "(") {
		s.citations = len(heurParenYear.FindAllStringIndex(p, -1))
		if s.citations > 0 {
			// Taking them out can bring a piece together: "cited(1999)in".
			p = heurParenYear.ReplaceAllString(p, " ")
			found = heurGates(heurLower(p))
		}
	}
	s.citations += heurMatches(heurCiteRe, p, found, heurGateCite)
}

// readPunctuation counts questions, exclamations and emoji.
func (s *heurStats) readPunctuation(p string) {
	for _, r := range p {
		switch {
		case r == '?':
			s.questions++
		case r == '!':
			s.exclaims++
		case heurIsEmoji(r):
			s.emoji++
		}
	}
}

// readProse counts the sentences, prose words and their syllables.
func (s *heurStats) readProse(p string) {
	sentences := p
	if heurHasAbbrev(p) {
		sentences = heurAbbrev.Replace(p)
	}
	for line := range strings.SplitSeq(sentences, "\n") {
		s.sentences += heurSentences(line)
	}
	if s.sentences == 0 && s.words > 0 {
		s.sentences = 1 // a bare command or code block is one statement
	}
	for _, tok := range strings.Fields(p) {
		if strings.IndexFunc(tok, heurIsWordRune) < 0 {
			continue
		}
		s.proseWords++
		s.syllables += heurSyllables(tok)
	}
}

// readWords reads the register and person of the words: hedges, formal
// and casual words and phrases, contractions, first and second person.
func (s *heurStats) readWords(p string) {
	found := heurGates(heurLower(p))
	s.casual = heurMatches(heurPhraseRe, p, found, heurGatePhrase)
	s.formal = heurMatches(heurFormalRe, p, found, heurGateFormal)
	// The words as strings.FieldsFunc would cut them, without the slice.
	for rest := p; rest != ""; {
		start := strings.IndexFunc(rest, heurInWord)
		if start < 0 {
			break
		}
		rest = rest[start:]
		end := strings.IndexFunc(rest, heurNotInWord)
		if end < 0 {
			end = len(rest)
		}
		s.readWord(rest[:end])
		rest = rest[end:]
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

// heurHasAbbrev says whether p holds one of heurAbbrev's abbreviations:
// each ends in a full stop, so only the text before each full stop is
// looked at, and most answers skip the replacer (7% of the time).
func heurHasAbbrev(p string) bool {
	for i := strings.IndexByte(p, '.'); i >= 0; {
		for _, a := range heurAbbrevs {
			if strings.HasSuffix(p[:i], a) {
				return true
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

func heurInWord(r rune) bool    { return heurIsWordRune(r) || r == '\'' }
func heurNotInWord(r rune) bool { return !heurInWord(r) }

// readWord counts one word of readWords.
func (s *heurStats) readWord(w string) {
	w = strings.Trim(w, "'")
	if w == "" || w == "US" { // US: the country, not the pronoun
		return
	}
	// ASCII words are put in lower case on the stack: strings.ToLower
	// allocated for every capitalized word.
	var buf [32]byte
	lw, ascii := heurLowerASCII(w, buf[:0])
	if !ascii {
		lw = []byte(strings.ToLower(w))
	}
	kind := heurWordKinds[string(lw)]
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
	if kind&heurCasual == 0 && bytes.IndexByte(lw, '\'') > 0 && heurIsContraction(string(lw)) {
		s.casual++
	}
}

func heurIsWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// heurWordCount counts whitespace-separated tokens holding a letter or digit.
func heurWordCount(text string) int {
	n := 0
	for _, tok := range strings.Fields(text) {
		if strings.IndexFunc(tok, heurIsWordRune) >= 0 {
			n++
		}
	}
	return n
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

// heurSyllablesASCII is heurSyllables of an ASCII token, without making
// the lower-case copy; ok is false for any other token.
func heurSyllablesASCII(tok string) (n int, ok bool) {
	lower := func(c byte) byte { return c | 0x20 } // of a letter
	isLetter := func(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }
	start, end := 0, len(tok)
	for i := 0; i < len(tok); i++ {
		if tok[i] >= utf8.RuneSelf {
			return 0, false
		}
	}
	for start < end && !isLetter(tok[start]) {
		start++
	}
	for end > start && !isLetter(tok[end-1]) {
		end--
	}
	w := tok[start:end]
	prevVowel, letters := false, 0
	for i := 0; i < len(w); i++ {
		if !isLetter(w[i]) {
			prevVowel = false
			continue
		}
		letters++
		v := strings.IndexByte("aeiouy", lower(w[i])) >= 0
		if v && !prevVowel {
			n++
		}
		prevVowel = v
	}
	if letters == 0 {
		return 1, true
	}
	last := lower(w[len(w)-1])
	before := byte(0)
	if len(w) > 1 && isLetter(w[len(w)-2]) {
		before = lower(w[len(w)-2])
	}
	if n > 1 && last == 'e' && before != 'l' && before != 'e' {
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
