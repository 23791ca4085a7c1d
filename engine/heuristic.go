package engine

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/popi-tui/popi-tui/engine/stats"
	"github.com/popi-tui/popi-tui/store"
)

// The heuristic summarizer (README, Configuration) is the offline engine's
// summarizer: a real baseline that needs no model. It measures the same
// features on the preferred (chosen) and the dispreferred (rejected)
// response of each of a user's history pairs — length, sentence length,
// reading level, lists, headings, code, bold, term definitions, questions,
// exclamations, emoji, hedging, citations, person, register — and reports
// the features on which the preferred answers differ consistently, citing
// the counts and medians it computed. It never sees held-out pairs, tasks,
// texts, the profile or the persona: only history pairs.
//
// The rule for "consistent". For one feature, let n be the number of
// history pairs on which the feature is defined (all N pairs, except for
// sentence length and reading level, which need at least
// heurMinStyleWords prose words in both answers). On each of those pairs
// the preferred answer scores higher ("up"), lower ("down") or the same
// (within the feature's tolerance). Let k = max(up, down) and
// opp = min(up, down); the direction is the larger side. The feature is a
// preference when all of these hold:
//
//   - k > opp (no tie);
//   - k ≥ min(3, N): at least 3 pairs agree, or all pairs when the user
//     has fewer than 3;
//   - 4·k ≥ 3·(up+down): at least 75% of the pairs that differ agree;
//   - 2·k > n: the agreeing pairs are more than half of the pairs.
//
// Preferences are ranked by strength = ((k − opp) / n) × |mean d|, the
// net consistency times the effect size, where d = (c − r) / (|c| + |r| + 1)
// on each pair (c − r for yes/no features; 0 when the pair counts as
// equal), so d lies in (−1, 1]; the + 1 makes one emoji against none weaker
// evidence than five against none. Ties go to the larger k, then to the
// feature's place in heurFeatures. The summary is a headline from the top
// three, then up to heurMaxBullets bullets with their evidence, then a line
// saying what it is. Medians are over the n pairs, of the preferred and of
// the dispreferred answers separately.

const (
	heurMaxBullets    = 6
	heurMaxChars      = 1200
	heurMinStyleWords = 15
)

// heurStats are the measured features of one response.
type heurStats struct {
	words      int // whitespace-separated tokens holding a letter or digit, code included
	proseWords int // the same outside code (fenced blocks and inline spans)
	sentences  int // sentences of prose: pieces of a line ending in . ! or ? that hold a word
	syllables  int // estimated syllables of the prose words
	bullets    int // lines starting with "- ", "* ", "+ " or "• "
	steps      int // numbered list lines ("1. ", "2) ") and "step N"
	headings   int // Markdown heading lines
	codeBlocks int // fenced code blocks
	codeFirst  bool
	bold       int // **…** spans
	defined    int // term definitions: "**term** is", "called", "means", "think of it as"…
	questions  int
	exclaims   int
	emoji      int
	hedges     int
	citations  int
	first      int // I, me, my, we, us, our…
	second     int // you, your…
	casual     int // contractions and casual words
	formal     int // formal connectives and vocabulary
}

// heurGrade is the Flesch–Kincaid grade level of the prose, floored at 0.
func (s *heurStats) heurGrade() float64 {
	if s.proseWords == 0 || s.sentences == 0 {
		return 0
	}
	w := float64(s.proseWords)
	g := 0.39*w/float64(s.sentences) + 11.8*float64(s.syllables)/w - 15.59
	return math.Max(g, 0)
}

func (s *heurStats) heurSentenceLen() float64 {
	if s.sentences == 0 {
		return 0
	}
	return float64(s.proseWords) / float64(s.sentences)
}

// heurAspect is how one direction of a feature is worded.
type heurAspect struct {
	headline string // a noun phrase following "Prefers"
	title    string // the bullet's title
	verb     string // what the preferred answer did, after "the preferred answer"
}

type heurFeature struct {
	name     string
	value    func(*heurStats) float64
	binary   bool    // a yes/no feature, worded as "k of n preferred answers …"
	aux      string  // binary: the verb closing "none of the dispreferred …"
	minWords int     // defined only when both answers have this many prose words
	absTol   float64 // values this close count as equal
	relTol   float64 // … or this close relative to the larger
	decimals int     // how medians are printed: -1 whole numbers and halves
	evidence string  // medians, with %s for the preferred and the dispreferred
	more     heurAspect
	less     heurAspect
}

func heurCount(f func(*heurStats) int) func(*heurStats) float64 {
	return func(s *heurStats) float64 { return float64(f(s)) }
}

// heurFeatures are the measured features, in the order that breaks ties.
var heurFeatures = []heurFeature{
	{
		name: "words", value: heurCount(func(s *heurStats) int { return s.words }),
		relTol: 0.1, decimals: -1, evidence: "median %s vs %s words",
		more: heurAspect{"longer answers", "Prefers longer, fuller answers", "was longer"},
		less: heurAspect{"shorter answers", "Prefers shorter answers", "was shorter"},
	},
	{
		name: "onesentence", binary: true, aux: "are",
		value: func(s *heurStats) float64 {
			if s.sentences <= 1 {
				return 1
			}
			return 0
		},
		more: heurAspect{"one-sentence answers", "Likes one-sentence answers", "are a single sentence or less"},
		less: heurAspect{"more than one sentence", "Prefers answers of more than one sentence", "are a single sentence or less"},
	},
	{
		name: "codefirst", binary: true, aux: "do",
		value: func(s *heurStats) float64 {
			if s.codeFirst {
				return 1
			}
			return 0
		},
		more: heurAspect{"code up front", "Likes answers that open with a code block", "start with a code block"},
		less: heurAspect{"prose before code", "Prefers prose before any code", "start with a code block"},
	},
	{
		name: "codeblocks", value: heurCount(func(s *heurStats) int { return s.codeBlocks }),
		decimals: -1, evidence: "median %s vs %s code blocks",
		more: heurAspect{"code blocks", "Likes code blocks", "had more fenced code blocks"},
		less: heurAspect{"less code", "Prefers answers without code blocks", "had fewer fenced code blocks"},
	},
	{
		name: "headings", value: heurCount(func(s *heurStats) int { return s.headings }),
		decimals: -1, evidence: "median %s vs %s headings",
		more: heurAspect{"section headings", "Likes answers organised under headings", "had more Markdown headings"},
		less: heurAspect{"no section headings", "Prefers answers without headings", "had fewer headings"},
	},
	{
		name: "bullets", value: heurCount(func(s *heurStats) int { return s.bullets }),
		decimals: -1, evidence: "median %s vs %s bullet lines",
		more: heurAspect{"bullet lists", "Likes bullet lists", "had more bullet lines"},
		less: heurAspect{"running prose over bullets", "Prefers prose to bullet lists", "had fewer bullet lines"},
	},
	{
		name: "steps", value: heurCount(func(s *heurStats) int { return s.steps }),
		decimals: -1, evidence: "median %s vs %s numbered lines",
		more: heurAspect{"numbered steps", "Likes step-by-step numbered lists", "had more numbered steps"},
		less: heurAspect{"fewer numbered steps", "Prefers answers without numbered steps", "had fewer numbered steps"},
	},
	{
		name: "grade", value: func(s *heurStats) float64 { return s.heurGrade() },
		minWords: heurMinStyleWords, absTol: 1, decimals: 1, evidence: "Flesch–Kincaid grade, median %s vs %s",
		more: heurAspect{"more advanced wording", "Prefers more advanced wording", "read at a higher grade level"},
		less: heurAspect{"simpler wording", "Prefers simpler, plainer wording", "read at a lower grade level"},
	},
	{
		name: "sentencelen", value: func(s *heurStats) float64 { return s.heurSentenceLen() },
		minWords: heurMinStyleWords, absTol: 2, relTol: 0.1, decimals: 1, evidence: "median %s vs %s words per sentence",
		more: heurAspect{"longer sentences", "Prefers longer sentences", "used longer sentences"},
		less: heurAspect{"shorter sentences", "Prefers short sentences", "used shorter sentences"},
	},
	{
		name: "defined", value: heurCount(func(s *heurStats) int { return s.defined }),
		decimals: -1, evidence: "median %s vs %s",
		more: heurAspect{"terms explained in plain words", "Likes new terms explained (\"called…\", \"think of it as…\")", "defined more terms"},
		less: heurAspect{"no term definitions", "Prefers answers that don't stop to define terms", "defined fewer terms"},
	},
	{
		name: "bold", value: heurCount(func(s *heurStats) int { return s.bold }),
		decimals: -1, evidence: "median %s vs %s bold spans",
		more: heurAspect{"bold key words", "Likes bold key words", "used more **bold**"},
		less: heurAspect{"no bold text", "Prefers answers without bold text", "used less bold"},
	},
	{
		name: "citations", value: heurCount(func(s *heurStats) int { return s.citations }),
		decimals: -1, evidence: "median %s vs %s citations",
		more: heurAspect{"cited sources", "Wants sources cited (author-year, et al., URLs)", "cited more sources"},
		less: heurAspect{"no citations", "Prefers answers without citations", "cited fewer sources"},
	},
	{
		name: "hedges", value: heurCount(func(s *heurStats) int { return s.hedges }),
		decimals: -1, evidence: "median %s vs %s hedging words",
		more: heurAspect{"hedged, qualified claims", "Likes calibrated, hedged claims (likely, evidence, roughly)", "hedged more"},
		less: heurAspect{"confident, unhedged claims", "Prefers confident, unhedged statements", "hedged less"},
	},
	{
		name: "exclaims", value: heurCount(func(s *heurStats) int { return s.exclaims }),
		decimals: -1, evidence: "median %s vs %s",
		more: heurAspect{"exclamation marks", "Likes an excited, exclamatory tone", "used more exclamation marks"},
		less: heurAspect{"fewer exclamation marks", "Dislikes exclamation marks", "used fewer exclamation marks"},
	},
	{
		name: "emoji", value: heurCount(func(s *heurStats) int { return s.emoji }),
		decimals: -1, evidence: "median %s vs %s",
		more: heurAspect{"emoji", "Likes emoji", "used more emoji"},
		less: heurAspect{"no emoji", "Dislikes emoji", "used fewer emoji"},
	},
	{
		name: "casual", value: heurCount(func(s *heurStats) int { return s.casual }),
		decimals: -1, evidence: "median %s vs %s",
		more: heurAspect{"a casual, informal tone", "Likes a casual, informal tone", "used more contractions and casual words"},
		less: heurAspect{"a formal register", "Prefers a formal register", "used fewer contractions and casual words"},
	},
	{
		name: "formal", value: heurCount(func(s *heurStats) int { return s.formal }),
		decimals: -1, evidence: "median %s vs %s",
		more: heurAspect{"formal vocabulary", "Likes formal vocabulary (however, regarding, therefore)", "used more formal connectives"},
		less: heurAspect{"plain, everyday vocabulary", "Prefers everyday words to formal connectives", "used fewer formal connectives"},
	},
	{
		name: "questions", value: heurCount(func(s *heurStats) int { return s.questions }),
		decimals: -1, evidence: "median %s vs %s",
		more: heurAspect{"questions to the reader", "Likes answers that ask questions", "asked more questions"},
		less: heurAspect{"no questions back", "Prefers answers that don't ask questions", "asked fewer questions"},
	},
	{
		name: "first", value: heurCount(func(s *heurStats) int { return s.first }),
		decimals: -1, evidence: "median %s vs %s",
		more: heurAspect{"a first-person voice", "Likes a personal, first-person voice (I, we)", "said I/we more often"},
		less: heurAspect{"an impersonal voice", "Prefers an impersonal voice (no I/we)", "said I/we less often"},
	},
	{
		name: "second", value: heurCount(func(s *heurStats) int { return s.second }),
		decimals: -1, evidence: "median %s vs %s",
		more: heurAspect{"being addressed as \"you\"", "Likes being addressed directly as \"you\"", "said \"you\" more often"},
		less: heurAspect{"less direct address", "Prefers less direct address (\"you\")", "said \"you\" less often"},
	},
}

// heurPref is one feature's tally over the pairs.
type heurPref struct {
	f             *heurFeature
	n, up, down   int
	k, opp        int
	more          bool
	strength      float64
	medC, medR    float64
	chosenYes     int // binary features: preferred answers with the feature
	rejectedYes   int
	consistent    bool
	meanDirection float64
}

// HeuristicSummary writes a plain-English summary of a user's preferences
// from their history pairs alone, by contrasting the preferred with the
// dispreferred responses on measurable features (see the rule above). It
// returns an error wrapping store.ErrNoHistory when there are no history
// pairs. The output is deterministic and at most about 1,200 characters.
func HeuristicSummary(signals []store.Signal) (string, error) {
	var chosen, rejected []heurStats
	for i := range signals {
		s := &signals[i]
		if s.Kind != store.KindPair || s.Split != store.SplitHistory {
			continue
		}
		chosen = append(chosen, heurAnalyze(s.Chosen))
		rejected = append(rejected, heurAnalyze(s.Rejected))
	}
	n := len(chosen)
	if n == 0 {
		return "", fmt.Errorf("heuristic summary: no history pairs: %w", store.ErrNoHistory)
	}

	var prefs []heurPref
	for i := range heurFeatures {
		p := heurTally(&heurFeatures[i], chosen, rejected)
		if p.consistent {
			prefs = append(prefs, p)
		}
	}
	slices.SortStableFunc(prefs, func(a, b heurPref) int {
		switch {
		case a.strength > b.strength:
			return -1
		case a.strength < b.strength:
			return 1
		}
		return b.k - a.k
	})

	footer := fmt.Sprintf("Heuristic baseline computed from %d history %s by counting features; not a language model's inference.",
		n, heurPlural(n, "pair", "pairs"))
	if len(prefs) == 0 {
		return fmt.Sprintf("No consistent preference in style or length across the %d history %s; the pairs may differ in content rather than form.\n%s",
			n, heurPlural(n, "pair", "pairs"), footer), nil
	}
	if len(prefs) > heurMaxBullets {
		prefs = prefs[:heurMaxBullets]
	}
	for {
		out := heurHeadline(prefs) + "\n"
		for i := range prefs {
			out += "- " + heurBullet(&prefs[i]) + "\n"
		}
		out += footer
		if len(out) <= heurMaxChars || len(prefs) == 1 {
			return out, nil
		}
		prefs = prefs[:len(prefs)-1]
	}
}

// heurTally compares one feature over the pairs and applies the rule.
func heurTally(f *heurFeature, chosen, rejected []heurStats) heurPref {
	p := heurPref{f: f}
	var cv, rv, ds []float64
	for i := range chosen {
		c, r := &chosen[i], &rejected[i]
		if f.minWords > 0 && (c.proseWords < f.minWords || r.proseWords < f.minWords) {
			continue
		}
		a, b := f.value(c), f.value(r)
		p.n++
		cv, rv = append(cv, a), append(rv, b)
		if a > 0 {
			p.chosenYes++
		}
		if b > 0 {
			p.rejectedYes++
		}
		diff := math.Abs(a - b)
		if diff <= f.absTol || diff <= f.relTol*math.Max(math.Abs(a), math.Abs(b)) {
			continue
		}
		if a > b {
			p.up++
		} else {
			p.down++
		}
		if f.binary {
			ds = append(ds, a-b)
		} else {
			ds = append(ds, (a-b)/(math.Abs(a)+math.Abs(b)+1))
		}
	}
	if p.n == 0 {
		return p
	}
	p.more = p.up > p.down
	p.k, p.opp = max(p.up, p.down), min(p.up, p.down)
	total := len(chosen)
	p.consistent = p.k > p.opp &&
		p.k >= min(3, total) &&
		4*p.k >= 3*(p.up+p.down) &&
		2*p.k > p.n
	// Sum in a fixed order, so that the order of the pairs cannot change
	// the ranking through rounding.
	slices.Sort(ds)
	sumD := 0.0
	for _, d := range ds {
		sumD += d
	}
	p.meanDirection = sumD / float64(p.n)
	p.strength = float64(p.k-p.opp) / float64(p.n) * math.Abs(p.meanDirection)
	p.medC, p.medR = stats.Median(cv), stats.Median(rv)
	return p
}

func heurHeadline(prefs []heurPref) string {
	var parts []string
	for i := range prefs {
		if len(parts) == 3 {
			break
		}
		a := prefs[i].aspect()
		if !slices.Contains(parts, a.headline) {
			parts = append(parts, a.headline)
		}
	}
	var b strings.Builder
	b.WriteString("Prefers ")
	for i, s := range parts {
		switch {
		case i == 0:
		case i == len(parts)-1:
			b.WriteString(" and ")
		default:
			b.WriteString(", ")
		}
		b.WriteString(s)
	}
	b.WriteString(".")
	return b.String()
}

func (p *heurPref) aspect() heurAspect {
	if p.more {
		return p.f.more
	}
	return p.f.less
}

func heurBullet(p *heurPref) string {
	a := p.aspect()
	if p.f.binary {
		cs := "none of the preferred answers"
		if p.chosenYes > 0 {
			cs = fmt.Sprintf("%d of %d preferred answers", p.chosenYes, p.n)
		}
		rs := "none of the dispreferred " + p.f.aux
		if p.rejectedYes > 0 {
			rs = fmt.Sprintf("%d of %d dispreferred %s", p.rejectedYes, p.n, p.f.aux)
		}
		return fmt.Sprintf("%s: %s %s; %s.", a.title, cs, a.verb, rs)
	}
	other := ""
	if p.opp > 0 {
		other = fmt.Sprintf(" (%d the other way)", p.opp)
	}
	return fmt.Sprintf("%s: in %d of %d %s%s the preferred answer %s (%s).",
		a.title, p.k, p.n, heurPlural(p.n, "pair", "pairs"), other, a.verb,
		fmt.Sprintf(p.f.evidence, heurNum(p.medC, p.f.decimals), heurNum(p.medR, p.f.decimals)))
}

func heurPlural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// heurNum prints a median: with decimals < 0 as a whole number, or with
// one decimal when it is not whole (a median of counts is a multiple of ½).
func heurNum(x float64, decimals int) string {
	if decimals < 0 {
		if x == math.Trunc(x) {
			return strconv.FormatFloat(x, 'f', 0, 64)
		}
		return strconv.FormatFloat(x, 'f', 1, 64)
	}
	return strconv.FormatFloat(x, 'f', decimals, 64)
}

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

	// Separate fenced code from prose, and read the line structure.
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
	p := prose.String()
	s.bold = len(heurBoldRe.FindAllStringIndex(p, -1))
	s.defined = len(heurDefinedRe.FindAllStringIndex(p, -1))
	s.steps += len(heurStepRe.FindAllStringIndex(p, -1))
	// Citations: author–year parentheses first, then the other markers in
	// what is left, so that "(Smith et al., 2011)" counts once.
	s.citations = len(heurParenYear.FindAllStringIndex(p, -1))
	s.citations += len(heurCiteRe.FindAllStringIndex(heurParenYear.ReplaceAllString(p, " "), -1))

	// Everything below reads prose without inline code or URLs.
	p = heurInlineCode.ReplaceAllString(p, " ")
	p = heurURLRe.ReplaceAllString(p, " ")
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
	s.casual = len(heurPhraseRe.FindAllStringIndex(p, -1))
	s.formal = len(heurFormalRe.FindAllStringIndex(p, -1))
	for _, line := range strings.Split(heurAbbrev.Replace(p), "\n") {
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
	for _, w := range strings.FieldsFunc(p, func(r rune) bool { return !heurIsWordRune(r) && r != '\'' }) {
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
		if !heurCasualWords[lw] && heurIsContraction(lw) {
			s.casual++
		}
	}
	return s
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
func heurSentences(line string) int {
	n, hasWord := 0, false
	rs := []rune(line)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if heurIsWordRune(r) {
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

// heurSyllables estimates the syllables of a word: groups of vowels, less a
// silent final e, at least one.
func heurSyllables(tok string) int {
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
