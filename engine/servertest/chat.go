package servertest

import (
	"fmt"
	"net/http"
	"strings"
)

// Answer is what every chat completion says.
const Answer = "Prefers short answers."

// chat answers POST /v1/chat/completions as the server would: a model it
// does not serve is refused with its own 404; OpenAI's reasoning models
// refuse max_tokens and a temperature but 1; a prompt longer than the
// context is cut (llama.cpp with --context-shift, Ollama) or refused
// (vLLM, OpenAI); usage.prompt_tokens counts what was read.
func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	body := s.read(r)
	model := fmt.Sprint(body["model"])
	if !s.serves(model) {
		s.unknownModel(w, model)
		return
	}
	if msg, param := s.refusesParams(model, body); msg != "" {
		writeJSON(w, 400, map[string]any{"error": map[string]any{"message": msg, "type": "invalid_request_error", "param": param, "code": "unsupported_parameter"}})
		return
	}
	prompt := PromptTokens(body["messages"])
	if prompt > s.Context {
		switch s.Kind {
		case VLLM:
			writeJSON(w, 400, map[string]any{"object": "error", "type": "BadRequestError", "param": nil, "code": 400,
				"message": fmt.Sprintf("This model's maximum context length is %d tokens. However, you requested %d tokens in the messages. Please reduce the length of the messages.", s.Context, prompt)})
			return
		case OpenAI:
			writeJSON(w, 400, map[string]any{"error": map[string]any{"type": "invalid_request_error", "param": "messages", "code": "context_length_exceeded",
				"message": fmt.Sprintf("This model's maximum context length is %d tokens. However, your messages resulted in %d tokens.", s.Context, prompt)}})
			return
		}
		prompt = s.Context // the oldest tokens are dropped, silently
	}
	stream, _ := body["stream"].(bool)
	writeAnswer(w, model, prompt, stream)
}

// unknownModel is each server's answer to a model it does not serve.
func (s *Server) unknownModel(w http.ResponseWriter, model string) {
	switch s.Kind {
	case VLLM:
		writeJSON(w, 404, map[string]any{"object": "error", "message": fmt.Sprintf("The model `%s` does not exist.", model), "type": "NotFoundError", "param": nil, "code": 404})
	case Ollama:
		writeJSON(w, 404, map[string]any{"error": map[string]any{"message": fmt.Sprintf("model %q not found, try pulling it first", model), "type": "api_error", "param": nil, "code": nil}})
	default:
		writeJSON(w, 404, map[string]any{"error": map[string]any{"message": fmt.Sprintf("The model `%s` does not exist or you do not have access to it.", model),
			"type": "invalid_request_error", "param": nil, "code": "model_not_found"}})
	}
}

// refusesParams is OpenAI's refusal of parameters a reasoning model does
// not take, and the parameter; "" when it takes them.
func (s *Server) refusesParams(model string, body map[string]any) (msg, param string) {
	if s.Kind != OpenAI || !(strings.HasPrefix(model, "gpt-5") || strings.HasPrefix(model, "o1") || strings.HasPrefix(model, "o3") || strings.HasPrefix(model, "o4")) {
		return "", ""
	}
	if _, ok := body["max_tokens"]; ok {
		return "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", "max_tokens"
	}
	if t, ok := body["temperature"].(float64); ok && t != 1 {
		return fmt.Sprintf("Unsupported value: 'temperature' does not support %v with this model. Only the default (1) value is supported.", t), "temperature"
	}
	return "", ""
}

// PromptTokens is what a chat template makes of messages: a BOS, then per
// message a header of three tokens and the content, then the assistant's
// header of three.
func PromptTokens(messages any) int {
	n := 1 + 3
	list, _ := messages.([]any)
	for _, m := range list {
		if mm, ok := m.(map[string]any); ok {
			content, _ := mm["content"].(string)
			n += 3 + len(Tokens(content))
		}
	}
	return n
}

// writeAnswer writes Answer, streamed (with the usage chunk that
// stream_options.include_usage asks for) or whole.
func writeAnswer(w http.ResponseWriter, model string, prompt int, stream bool) {
	completion := len(Tokens(Answer))
	usage := fmt.Sprintf(`{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d}`, prompt, completion, prompt+completion)
	if !stream {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":%q,"choices":[{"index":0,"message":{"role":"assistant","content":%q},"finish_reason":"stop"}],"usage":%s}`,
			model, Answer, usage)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	chunk := func(choices string) {
		fmt.Fprintf(w, "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":%q,\"choices\":%s}\n\n", model, choices)
	}
	chunk(fmt.Sprintf(`[{"index":0,"delta":{"role":"assistant","content":%q},"finish_reason":null}]`, Answer))
	chunk(`[{"index":0,"delta":{},"finish_reason":"stop"}]`)
	fmt.Fprintf(w, "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":%q,\"choices\":[],\"usage\":%s}\n\n", model, usage)
	fmt.Fprint(w, "data: [DONE]\n\n")
}
