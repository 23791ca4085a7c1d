// Package engine talks to models: backend configuration, the prompts,
// summarizing and generating (live and in bulk), token counts and the
// offline engine. It reads and writes through store and never imports ui.
package engine

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	openai "github.com/sashabaranov/go-openai"

	"github.com/popi-tui/popi-tui/store"
)

// Every prompt popi-tui sends is worded in this file. The template
// versions identify the wording: every summary records the summarizer
// template it was inferred with, and the generator template is part of a
// generation's cache key. Change the number whenever the wording changes.
const (
	SummarizerTemplateVersion = 1
	GeneratorTemplateVersion  = 1
)

// The summarizer's input follows the structure of POPI's summarizer
// input, in our own words (README, Configuration: Prompts): the user's
// preference pairs as numbered Markdown examples, then
// what else the user has shown (texts they wrote, their profile), then the
// instruction. Held-out pairs, tasks and the persona are never included.
const (
	summarizerExamplesHeading = "# How this user chose between two responses"
	summarizerTextsHeading    = "# Things this user wrote"
	summarizerProfileHeading  = "# About this user"
	summarizerInstruction     = `# Your task

Study the examples above. In each one the user preferred one response over the other; contrast the two to work out why. Write a concise, structured summary of this user's preferences — style, length, tone, format, level of detail, what they value and what they dislike — that generalizes beyond these particular examples and could guide anyone answering this user's future questions. Write only the summary.`

	// The generator's input: a heading with what is known of the user, an
	// instruction to answer for this user, and a heading with the prompt.
	generatorSummaryHeading = "# What this user prefers"
	generatorSummaryTask    = "# Your task\n\nAnswer the prompt below the way this user would prefer, following the preferences above. Write only the answer."
	generatorRawTask        = "# Your task\n\nAnswer the prompt below the way this user would prefer, judging from what they chose above. Write only the answer."
	generatorPromptHeading  = "# Prompt"
)

// History is what a model may see of a user: history pairs, texts and
// profiles, cut to a token budget (Engine.History).
type History struct {
	pairs, texts, profiles []store.Signal
	cut                    bool // signals were left out to fit the budget
}

// selectHistory keeps the profile and then the most recent history pairs
// and texts that fit in budget tokens (estimated: the budget is a guard,
// not a measurement), always at least the newest one.
func selectHistory(signals []store.Signal, budget int) History {
	var h History
	var recent []store.Signal
	for _, s := range signals {
		switch {
		case s.Kind == store.KindPair && s.Split == store.SplitHistory, s.Kind == store.KindText:
			recent = append(recent, s)
		case s.Kind == store.KindProfile:
			h.profiles = append(h.profiles, s)
			budget -= estimateTokens(s.Text)
		}
	}
	slices.SortFunc(recent, func(a, b store.Signal) int { return cmp.Compare(b.Seq, a.Seq) }) // newest first
	var kept []store.Signal
	for i, s := range recent {
		cost := estimateTokens(s.Prompt) + estimateTokens(s.Chosen) + estimateTokens(s.Rejected) + estimateTokens(s.Text) + 20
		if i > 0 && cost > budget {
			h.cut = true
			break
		}
		budget -= cost
		kept = append(kept, s)
	}
	slices.Reverse(kept) // shown in the order they came
	for _, s := range kept {
		if s.Kind == store.KindPair {
			h.pairs = append(h.pairs, s)
		} else {
			h.texts = append(h.texts, s)
		}
	}
	return h
}

// History is the user's history as the engine's budget (Config.HistoryBudget)
// allows it, from the user's signals.
func (e *Engine) History(signals []store.Signal) History {
	return selectHistory(signals, e.cfg.HistoryBudget)
}

func (h History) empty() bool { return len(h.pairs)+len(h.texts)+len(h.profiles) == 0 }

// markdown lays the history out as the summarizer (and the raw condition)
// sees it.
func (h History) markdown() string {
	var b strings.Builder
	if len(h.pairs) > 0 {
		b.WriteString(summarizerExamplesHeading + "\n")
		for i, p := range h.pairs {
			fmt.Fprintf(&b, "\n## Example %d\n\n### Prompt\n\n%s\n\n### Preferred response\n\n%s\n\n### Dispreferred response\n\n%s\n",
				i+1, p.Prompt, p.Chosen, p.Rejected)
		}
		b.WriteString("\n")
	}
	if len(h.texts) > 0 {
		b.WriteString(summarizerTextsHeading + "\n")
		for i, t := range h.texts {
			source := ""
			if t.Source != "" {
				source = " (" + t.Source + ")"
			}
			fmt.Fprintf(&b, "\n## Text %d%s\n\n%s\n", i+1, source, t.Text)
		}
		b.WriteString("\n")
	}
	if len(h.profiles) > 0 {
		b.WriteString(summarizerProfileHeading + "\n")
		for _, p := range h.profiles {
			fmt.Fprintf(&b, "\n%s\n", p.Text)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// SummarizerPrompt builds summarizer inputs with a history budget.
type SummarizerPrompt struct {
	HistoryBudget int // tokens; DefaultHistoryBudget when 0
}

// Input is the text the summarizer is sent for a user. It returns an error
// wrapping store.ErrNoHistory when the user has nothing the summarizer may
// see. It fits trl.SummarizerInput (store/format/trl), for exports.
func (p SummarizerPrompt) Input(user string, signals []store.Signal) (string, error) {
	in, _, err := p.build(user, signals)
	return in, err
}

func (p SummarizerPrompt) build(user string, signals []store.Signal) (string, History, error) {
	budget := p.HistoryBudget
	if budget <= 0 {
		budget = DefaultHistoryBudget
	}
	h := selectHistory(signals, budget)
	if h.empty() {
		return "", h, fmt.Errorf("user %q has %w (no history pairs, texts or profile)", user, store.ErrNoHistory)
	}
	return h.markdown() + summarizerInstruction, h, nil
}

// SummarizerInput is the summarizer's input with the default budget.
func SummarizerInput(user string, signals []store.Signal) (string, error) {
	return SummarizerPrompt{}.Input(user, signals)
}

// SummarizerMessages is the chat request body's messages for a user.
func SummarizerMessages(user string, signals []store.Signal) ([]openai.ChatCompletionMessage, error) {
	input, err := SummarizerInput(user, signals)
	if err != nil {
		return nil, err
	}
	return []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: input}}, nil
}

// GeneratorMessages is what a generator is sent for a prompt under a
// condition: with the user's summary, with the raw history h in its
// place, or with nothing (the unpersonalized baseline). The raw condition
// of a user with no history is an error wrapping store.ErrNoHistory.
func GeneratorMessages(condition, prompt, summary string, h History) ([]store.Message, error) {
	var content string
	switch condition {
	case store.ConditionSummary:
		content = generatorSummaryHeading + "\n\n" + strings.TrimSpace(summary) + "\n\n" + generatorSummaryTask + "\n\n" + generatorPromptHeading + "\n\n" + prompt
	case store.ConditionRaw:
		if h.empty() {
			return nil, fmt.Errorf("condition raw: the user %w", store.ErrNoHistory)
		}
		content = h.markdown() + generatorRawTask + "\n\n" + generatorPromptHeading + "\n\n" + prompt
	case store.ConditionNone:
		content = prompt
	default:
		return nil, store.CheckCondition(condition)
	}
	return []store.Message{{Role: openai.ChatMessageRoleUser, Content: content}}, nil
}

// JudgeTemplateVersion identifies the judge's wording (JudgeMessages).
const JudgeTemplateVersion = 1

// The judge is shown who the user is (their persona, or failing that how
// they chose between responses), the prompt and two answers, and asked
// for a verdict on a last line of its own, which is all that is read.
const (
	judgePersonaHeading = "# The user"
	judgeTask           = `# Your task

Judge which of the two answers above this particular user would prefer, given who they are. Judge by the user's tastes — style, length, tone, format, level of detail — not by your own. The order of the answers means nothing. Think briefly if you need to, then end with one line of exactly one of these forms:

Verdict: A
Verdict: B
Verdict: tie`
)

// JudgeMessages is what the judge is sent for one order of two answers:
// the user's persona, or when there is none their history (the
// summarizer's Markdown of it, headed already) as evidence of taste.
func JudgeMessages(persona string, h History, prompt, answerA, answerB string) []store.Message {
	about := judgePersonaHeading + "\n\n" + strings.TrimSpace(persona) + "\n\n"
	if strings.TrimSpace(persona) == "" {
		about = h.markdown()
	}
	content := about + "# The prompt\n\n" + prompt +
		"\n\n# Answer A\n\n" + answerA + "\n\n# Answer B\n\n" + answerB + "\n\n" + judgeTask
	return []store.Message{{Role: openai.ChatMessageRoleUser, Content: content}}
}
