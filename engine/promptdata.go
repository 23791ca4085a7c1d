package engine

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/signal"
)

// PromptData is what a template is executed with (README: Prompt
// templates, where each field is documented for template writers). The
// history fields hold what the backend may see of the user: history
// pairs, texts, profile and demographics, of the kinds its signals
// setting allows, cut to the history budget. Held-out pairs and tasks are
// never in them; the persona is set for the judge only.
type PromptData struct {
	User         string
	Pairs        []PairData // history pairs, oldest first
	Texts        []TextData // texts the user wrote, oldest first
	Profile      string     // the profile records (AlignX's "profile"), blank-line separated
	Demographics string     // demographic profiles (AlignX's "Demographic Information")
	HistoryCut   bool       // signals were left out to fit the history budget

	Prompt  string // the prompt to answer (generator, judge)
	Summary string // the user's summary (generator, summary condition)

	// The judge is told one thing about the user (eval --persona), named
	// by Told: "persona" fills Persona; "profile" fills Profile and
	// Demographics; "history" fills Pairs and Texts. The fields of the
	// other two are left empty, so that a template cannot tell the judge
	// more than was chosen.
	Told    string // the judge only: "persona", "profile" or "history"
	Persona string // the judge only: the user's persona, when Told is "persona"
	AnswerA string // the judge only: the answer shown first
	AnswerB string // the judge only: the answer shown second
}

// PairData is a history pair: the user preferred Chosen to Rejected as an
// answer to Prompt. N numbers the pairs from 1.
type PairData struct {
	N                        int
	Prompt, Chosen, Rejected string
}

// TextData is something the user wrote: Text, where (Source: "comment",
// …), and the post or prompt it answered (Post; AlignX's user-generated
// content keeps it), "" when unknown. N numbers the texts from 1.
type TextData struct {
	N                  int
	Text, Source, Post string
}

// The kinds of signal a backend's history may hold (`signals` in the
// configuration, infer --signals).
const (
	SignalPairs        = "pairs"        // history pairs
	SignalTexts        = "texts"        // texts the user wrote, with their posts
	SignalProfile      = "profile"      // profiles but demographics (AlignX's "profile")
	SignalDemographics = "demographics" // demographic profiles (AlignX's "Demographic Information")
)

// AllSignals is every kind of signal, the default.
var AllSignals = []string{SignalPairs, SignalTexts, SignalProfile, SignalDemographics}

// CheckSignals says what is wrong with a list of signal kinds, if anything.
func CheckSignals(names []string) error {
	if len(names) == 0 {
		return fmt.Errorf("no signals: name at least one of %s", strings.Join(AllSignals, ", "))
	}
	for _, n := range names {
		if !slices.Contains(AllSignals, n) {
			return fmt.Errorf("unknown signal %q (want %s)", n, strings.Join(AllSignals, ", "))
		}
	}
	return nil
}

// signalKind is which of AllSignals s is, or "" when it is never history
// (held-out pairs, tasks, personas).
func signalKind(s store.Signal) string {
	switch {
	case s.Kind == store.KindPair && s.Split == store.SplitHistory:
		return SignalPairs
	case s.Kind == store.KindText:
		return SignalTexts
	case s.Kind == store.KindProfile && s.Source == signal.SourceDemographics:
		return SignalDemographics
	case s.Kind == store.KindProfile:
		return SignalProfile
	}
	return ""
}

// historyData is the template data of a user's history: the profiles and
// demographics, then the most recent history pairs and texts that fit in
// budget tokens (estimated: the budget is a guard, not a measurement),
// always at least the newest one; only signals of the kinds allowed (all
// when allowed is nil).
func historyData(user string, signals []store.Signal, budget int, allowed []string) PromptData {
	d := PromptData{User: user}
	var recent []store.Signal
	var profiles, demographics []string
	for _, s := range signals {
		kind := signalKind(s)
		if kind == "" || (allowed != nil && !slices.Contains(allowed, kind)) {
			continue
		}
		switch kind {
		case SignalPairs, SignalTexts:
			recent = append(recent, s)
		case SignalProfile:
			profiles = append(profiles, strings.TrimSpace(s.Text))
			budget -= estimateTokens(s.Text)
		case SignalDemographics:
			demographics = append(demographics, strings.TrimSpace(s.Text))
			budget -= estimateTokens(s.Text)
		}
	}
	d.Profile, d.Demographics = strings.Join(profiles, "\n\n"), strings.Join(demographics, "\n\n")
	slices.SortFunc(recent, func(a, b store.Signal) int { return cmp.Compare(b.Seq, a.Seq) }) // newest first
	var kept []store.Signal
	for i, s := range recent {
		cost := estimateTokens(s.Prompt) + estimateTokens(s.Chosen) + estimateTokens(s.Rejected) + estimateTokens(s.Text) + estimateTokens(s.Post) + 20
		if i > 0 && cost > budget {
			d.HistoryCut = true
			break
		}
		budget -= cost
		kept = append(kept, s)
	}
	slices.Reverse(kept) // shown in the order they came
	for _, s := range kept {
		if s.Kind == store.KindPair {
			d.Pairs = append(d.Pairs, PairData{N: len(d.Pairs) + 1, Prompt: s.Prompt, Chosen: s.Chosen, Rejected: s.Rejected})
		} else {
			d.Texts = append(d.Texts, TextData{N: len(d.Texts) + 1, Text: s.Text, Source: s.Source, Post: s.Post})
		}
	}
	return d
}

// empty reports whether the data holds no history at all.
func (d PromptData) empty() bool {
	return len(d.Pairs)+len(d.Texts) == 0 && d.Profile == "" && d.Demographics == ""
}

// historyText is the history as plain Markdown, whatever the template set:
// what the context saving counts a summary against, and what the heuristic
// summary's token counts measure.
func (d PromptData) historyText() string {
	var b strings.Builder
	for _, p := range d.Pairs {
		fmt.Fprintf(&b, "## Example %d\n\n### Prompt\n\n%s\n\n### Preferred response\n\n%s\n\n### Dispreferred response\n\n%s\n\n", p.N, p.Prompt, p.Chosen, p.Rejected)
	}
	for _, t := range d.Texts {
		if t.Post != "" {
			fmt.Fprintf(&b, "## Text %d\n\n### In reply to\n\n%s\n\n### Written\n\n%s\n\n", t.N, t.Post, t.Text)
		} else {
			fmt.Fprintf(&b, "## Text %d\n\n%s\n\n", t.N, t.Text)
		}
	}
	for _, s := range []string{d.Profile, d.Demographics} {
		if s != "" {
			b.WriteString(s + "\n\n")
		}
	}
	return b.String()
}

// What a judge may be told about the user (eval --persona): one of them,
// so that runs told different things are never mixed in one number.
const (
	JudgeToldPersona = "persona" // the persona records: ground truth, for synthetic users
	JudgeToldProfile = "profile" // the profile and demographics (AlignX's Reddit users have no persona)
	JudgeToldHistory = "history" // the history pairs and texts, cut to the history budget
)

// JudgeTold is what a judge may be told, the default first.
var JudgeTold = []string{JudgeToldPersona, JudgeToldProfile, JudgeToldHistory}

// ErrNothingToTell is a judge request for a user who lacks what the judge
// is to be told (no persona, say): the prompt is skipped, not judged on
// less.
var ErrNothingToTell = errors.New("nothing to tell the judge")

// judgeData is the template data of what the judge is told about the
// user. The history is cut to budget as the summarizer's is, but with
// only pairs and texts allowed: the profiles are another choice, and must
// not eat the history's budget. An error wraps ErrNothingToTell when the
// user has none of it.
func judgeData(user string, signals []store.Signal, budget int, told string) (PromptData, error) {
	var d PromptData
	switch told {
	case JudgeToldPersona:
		d = PromptData{User: user, Persona: Persona(signals)}
	case JudgeToldProfile:
		d = historyData(user, signals, budget, []string{SignalProfile, SignalDemographics})
	case JudgeToldHistory:
		d = historyData(user, signals, budget, []string{SignalPairs, SignalTexts})
	default:
		return PromptData{}, fmt.Errorf("the judge cannot be told %q (want %s)", told, strings.Join(JudgeTold, ", "))
	}
	d.Told = told
	if d.Persona == "" && d.empty() {
		return d, fmt.Errorf("user %q has no %s: %w", user, told, ErrNothingToTell)
	}
	return d, nil
}

// exampleData fills every field, to try templates on when a set is loaded.
func exampleData() PromptData {
	return PromptData{User: "u", Pairs: []PairData{{N: 1, Prompt: "p", Chosen: "c", Rejected: "r"}},
		Texts:   []TextData{{N: 1, Text: "t", Source: "comment", Post: "post"}},
		Profile: "profile", Demographics: "demographics", Prompt: "prompt", Summary: "summary",
		Told: JudgeToldPersona, Persona: "persona", AnswerA: "a", AnswerB: "b"}
}

// sparseData leaves the optional fields empty, so that trying templates on
// it too reaches the other side of their {{if}}s.
func sparseData() PromptData {
	return PromptData{User: "u", Pairs: []PairData{{N: 1, Prompt: "p", Chosen: "c", Rejected: "r"}},
		Texts: []TextData{{N: 1, Text: "t"}}, Prompt: "prompt", AnswerA: "a", AnswerB: "b"}
}
