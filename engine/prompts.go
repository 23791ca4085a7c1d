// Package engine talks to models: backend configuration, the prompts,
// summarizing and generating, and the offline engine. It reads and writes
// through store and never imports ui.
package engine

import (
	"fmt"
	"strings"

	openai "github.com/sashabaranov/go-openai"

	"github.com/popi-tui/popi-tui/store"
)

// SummarizerTemplateVersion identifies the wording below. Every summary
// records the version it was inferred with; change the number whenever the
// wording changes, so that summaries made with different prompts are never
// mistaken for one another.
const SummarizerTemplateVersion = 1

// The summarizer's input follows the structure of DESIGN §2, in our own
// words: the user's preference pairs as numbered Markdown examples, then
// what else the user has shown (texts they wrote, their profile), then the
// instruction. Held-out pairs, tasks and the persona are never included.
const (
	summarizerExamplesHeading = "# How this user chose between two responses"
	summarizerTextsHeading    = "# Things this user wrote"
	summarizerProfileHeading  = "# About this user"
	summarizerInstruction     = `# Your task

Study the examples above. In each one the user preferred one response over the other; contrast the two to work out why. Write a concise, structured summary of this user's preferences — style, length, tone, format, level of detail, what they value and what they dislike — that generalizes beyond these particular examples and could guide anyone answering this user's future questions. Write only the summary.`
)

// SummarizerInput is the text the summarizer is sent for a user, built
// from the user's signals. It returns an error wrapping store.ErrNoHistory
// when the user has nothing the summarizer may see.
func SummarizerInput(user string, signals []store.Signal) (string, error) {
	var b strings.Builder
	var pairs, texts, profiles []store.Signal
	for _, s := range signals {
		switch {
		case s.Kind == store.KindPair && s.Split == store.SplitHistory:
			pairs = append(pairs, s)
		case s.Kind == store.KindText:
			texts = append(texts, s)
		case s.Kind == store.KindProfile:
			profiles = append(profiles, s)
		}
	}
	if len(pairs)+len(texts)+len(profiles) == 0 {
		return "", fmt.Errorf("user %q has %w (no history pairs, texts or profile)", user, store.ErrNoHistory)
	}
	if len(pairs) > 0 {
		b.WriteString(summarizerExamplesHeading + "\n")
		for i, p := range pairs {
			fmt.Fprintf(&b, "\n## Example %d\n\n### Prompt\n\n%s\n\n### Preferred response\n\n%s\n\n### Dispreferred response\n\n%s\n",
				i+1, p.Prompt, p.Chosen, p.Rejected)
		}
		b.WriteString("\n")
	}
	if len(texts) > 0 {
		b.WriteString(summarizerTextsHeading + "\n")
		for i, t := range texts {
			source := ""
			if t.Source != "" {
				source = " (" + t.Source + ")"
			}
			fmt.Fprintf(&b, "\n## Text %d%s\n\n%s\n", i+1, source, t.Text)
		}
		b.WriteString("\n")
	}
	if len(profiles) > 0 {
		b.WriteString(summarizerProfileHeading + "\n")
		for _, p := range profiles {
			fmt.Fprintf(&b, "\n%s\n", p.Text)
		}
		b.WriteString("\n")
	}
	b.WriteString(summarizerInstruction)
	return b.String(), nil
}

// SummarizerMessages is the chat request body's messages for a user.
func SummarizerMessages(user string, signals []store.Signal) ([]openai.ChatCompletionMessage, error) {
	input, err := SummarizerInput(user, signals)
	if err != nil {
		return nil, err
	}
	return []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: input}}, nil
}
