package engine

import (
	"math"
)

// What the heuristic summarizer measures in a response, and how each
// feature's two directions are worded (the rule is in heuristic.go).

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
