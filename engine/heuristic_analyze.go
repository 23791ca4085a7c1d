package engine

import (
	"regexp"
	"strings"
)

// Measuring one response for the heuristic summarizer: its line structure
// and markup here, then its punctuation, sentences, syllables and words in
// one pass over the prose (heuristic_scan.go). Before issue 13 each of
// those walked the answer again, two of them over lower-cased copies.

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
	// Quotation marks read as apostrophes.
	heurQuotes = strings.NewReplacer("’", "'", "‘", "'")
	// Abbreviations whose full stop does not end a sentence.
	heurAbbrev = strings.NewReplacer("e.g.", "eg", "i.e.", "ie", "et al.", "et al", "etc.", "etc", "vs.", "vs",
		"Dr.", "Dr", "Mr.", "Mr", "Mrs.", "Mrs", "Ms.", "Ms", "approx.", "approx", "cf.", "cf", "No.", "No")
)

// heurAnalyze measures one response.
func heurAnalyze(text string) heurStats {
	var s heurStats
	text = heurNormalize(text)
	p := s.readLines(text)
	found := heurGates(p)
	s.readMarkup(p, found)
	// Everything below reads prose without inline code or URLs.
	prose := p
	if strings.Contains(prose, "`") {
		prose = heurInlineCode.ReplaceAllString(prose, " ")
	}
	if strings.Contains(prose, "http") {
		prose = heurURLRe.ReplaceAllString(prose, " ")
	}
	if prose != p {
		found = heurGates(prose)
	}
	s.readProse(prose, found)
	if prose == text {
		s.words = s.proseWords // the same tokens
	} else {
		s.words = heurCountWords(text)
	}
	if s.sentences == 0 && s.words > 0 {
		s.sentences = 1 // a bare command or code block is one statement
	}
	return s
}

// heurNormalize writes line ends as \n and curly apostrophes as straight
// ones, copying text only when it holds one.
func heurNormalize(text string) string {
	if strings.Contains(text, "\r\n") {
		text = strings.ReplaceAll(text, "\r\n", "\n")
	}
	if strings.Contains(text, "’") || strings.Contains(text, "‘") {
		text = heurQuotes.Replace(text)
	}
	return text
}

// readLines separates fenced code from prose and reads the line
// structure: code blocks, headings, numbered steps and bullets. It
// returns the prose, every line outside the fences: text itself when that
// is every line (no count depends on the last line's \n).
func (s *heurStats) readLines(text string) string {
	var prose strings.Builder
	left := false // a line was left out: prose holds the lines kept
	inFence, seenLine := false, false
	for start := 0; start <= len(text); {
		end := strings.IndexByte(text[start:], '\n')
		if end < 0 {
			end = len(text)
		} else {
			end += start
		}
		line := text[start:end]
		if s.readLine(line, &inFence, &seenLine) {
			if left {
				prose.WriteString(line)
				prose.WriteByte('\n')
			}
		} else if !left {
			left = true
			prose.Grow(len(text))
			prose.WriteString(text[:start]) // the lines kept so far, each with its \n
		}
		start = end + 1
	}
	if !left {
		return text
	}
	return prose.String()
}

// readLine reads one line of readLines, saying whether it is prose.
func (s *heurStats) readLine(line string, inFence, seenLine *bool) bool {
	t := strings.TrimSpace(line)
	if strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
		if !*inFence {
			s.codeBlocks++
			if !*seenLine {
				s.codeFirst = true
			}
		}
		*inFence = !*inFence
		*seenLine = true
		return false
	}
	if t != "" {
		*seenLine = true
	}
	if *inFence {
		return false
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
	return true
}

// readMarkup counts what the prose marks up: bold, term definitions,
// "step N" and citations. found is heurGates(p).
func (s *heurStats) readMarkup(p string, found uint8) {
	if strings.Contains(p, "**") {
		s.bold = len(heurBoldRe.FindAllStringIndex(p, -1))
	}
	s.defined = heurMatches(heurDefinedRe, p, found, heurGateDefined)
	s.steps += heurMatches(heurStepRe, p, found, heurGateStep)
	// Citations: author–year parentheses first, then the other markers in
	// what is left, so that "(Smith et al., 2011)" counts once.
	if strings.Contains(p, "(") {
		s.citations = len(heurParenYear.FindAllStringIndex(p, -1))
		if s.citations > 0 {
			// Taking them out can bring a piece together: "cited(1999)in".
			p = heurParenYear.ReplaceAllString(p, " ")
			found = heurGates(p)
		}
	}
	s.citations += heurMatches(heurCiteRe, p, found, heurGateCite)
}
