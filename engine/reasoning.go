package engine

import (
	"errors"

	openai "github.com/sashabaranov/go-openai"
)

// Reasoning models (OpenAI's o1, o3, o4, gpt-5 and their kin) take the
// answer's length as max_completion_tokens and refuse max_tokens; their
// temperature is fixed. go-openai, the client every request goes through,
// knows these families and refuses such a request itself, before sending
// it. Which families they are is asked of go-openai rather than listed
// here, so that a newer go-openai's list is the one followed.

// The request fields a backend's max_tokens can travel in.
const (
	FieldMaxTokens           = "max_tokens"            // llama.cpp, vLLM, Ollama and most hosted APIs
	FieldMaxCompletionTokens = "max_completion_tokens" // OpenAI's reasoning models (vLLM reads it too; Ollama does not)
)

// refusesMaxTokens says whether go-openai refuses max_tokens for model.
func refusesMaxTokens(model string) bool {
	err := openai.NewReasoningValidator().Validate(openai.ChatCompletionRequest{Model: model, MaxTokens: 1})
	return errors.Is(err, openai.ErrReasoningModelMaxTokensDeprecated)
}

// fixedTemperature says whether model's temperature is fixed by its API
// (go-openai refuses one that is not the default): such a backend sends
// none.
func fixedTemperature(model string) bool {
	return openai.NewReasoningValidator().Validate(openai.ChatCompletionRequest{Model: model, Temperature: 0.5}) != nil
}

// MaxTokensFieldFor is the field a backend that does not set
// max_tokens_field sends max_tokens in: max_completion_tokens for the
// model families that refuse max_tokens, max_tokens otherwise (the field
// every self-hosted server reads; Ollama reads no other).
func MaxTokensFieldFor(model string) string {
	if refusesMaxTokens(model) {
		return FieldMaxCompletionTokens
	}
	return FieldMaxTokens
}

// TokensField is the field this backend sends max_tokens in: its
// max_tokens_field, else the one MaxTokensFieldFor picks.
func (b BackendConfig) TokensField() string {
	if b.MaxTokensField != "" {
		return b.MaxTokensField
	}
	return MaxTokensFieldFor(b.Model)
}

// chatRequest is the request of one streamed answer to msgs, with the
// length in the backend's field and no temperature where the model's is
// fixed.
func (b BackendConfig) chatRequest(msgs []openai.ChatCompletionMessage, maxTokens int) openai.ChatCompletionRequest {
	req := openai.ChatCompletionRequest{Model: b.Model, Messages: msgs}
	if b.TokensField() == FieldMaxCompletionTokens {
		req.MaxCompletionTokens = maxTokens
	} else {
		req.MaxTokens = maxTokens
	}
	if !fixedTemperature(b.Model) {
		req.Temperature = temperature(b.Temperature)
	}
	return req
}

// reasoning checks max_tokens_field and, for a model whose temperature is
// fixed, the temperature: a file that asks for what go-openai would refuse
// is told how to fix it here, rather than every request failing.
func (r *backendReader) reasoning(i int, fb fileBackend, b *BackendConfig) error {
	if b.Kind != KindOpenAI {
		return nil
	}
	if fb.TokensField != nil {
		switch f := *fb.TokensField; {
		case f != FieldMaxTokens && f != FieldMaxCompletionTokens:
			return r.bad(i, "max_tokens_field", "unknown field %q (want %s or %s)", f, FieldMaxTokens, FieldMaxCompletionTokens)
		case f == FieldMaxTokens && refusesMaxTokens(b.Model):
			return r.bad(i, "max_tokens_field", "model %q takes %s, not %s (the client refuses to send it); remove the setting or set it to %q",
				b.Model, FieldMaxCompletionTokens, FieldMaxTokens, FieldMaxCompletionTokens)
		}
		b.MaxTokensField = *fb.TokensField
	}
	if fixedTemperature(b.Model) {
		if fb.Temperature != nil && *fb.Temperature != 1 {
			return r.bad(i, "temperature", "model %q has a fixed temperature (its API refuses any other than the default, 1); remove the setting", b.Model)
		}
		b.Temperature = 1 // what the server uses: the sampling recorded with each answer says so
	}
	return nil
}
