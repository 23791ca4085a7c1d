package cli

import "github.com/popi-tui/popi-tui/engine"

// backendsJSON is backends --json: the configuration file ("" for none),
// and each backend with what its check found.
type backendsJSON struct {
	Config   string        `json:"config"`
	Backends []backendJSON `json:"backends"`
	Usable   bool          `json:"usable"` // every backend is
}

type backendJSON struct {
	Name           string        `json:"name"`
	Kind           string        `json:"kind"`
	Roles          []string      `json:"roles"`
	Model          string        `json:"model"`
	MaxTokensField string        `json:"max_tokens_field,omitempty"`
	OK             bool          `json:"ok"`
	Problem        string        `json:"problem,omitempty"`
	Replicas       []replicaJSON `json:"replicas"`
}

type replicaJSON struct {
	URL            string   `json:"url"`
	Reachable      bool     `json:"reachable"`
	LatencyMS      int64    `json:"latency_ms"`
	Server         string   `json:"server,omitempty"`
	Models         []string `json:"models"`
	HasModel       bool     `json:"has_model"`
	ServedAs       string   `json:"served_as,omitempty"`
	Tokenize       bool     `json:"tokenize"`
	PromptLogprobs bool     `json:"prompt_logprobs"`
	ContextLength  int      `json:"context_length,omitempty"`
	ContextSource  string   `json:"context_source,omitempty"`
	ChatTemplate   string   `json:"chat_template,omitempty"`
	Problem        string   `json:"problem,omitempty"`
	Warnings       []string `json:"warnings"`
}

func newBackendsJSON(cfg engine.Config, health []engine.Health) backendsJSON {
	out := backendsJSON{Config: cfg.Path, Backends: []backendJSON{}, Usable: true}
	for _, h := range health {
		b := h.Backend
		bj := backendJSON{Name: b.Name, Kind: b.Kind, Roles: b.Roles, Model: b.Model, OK: h.OK(), Problem: h.Problem, Replicas: []replicaJSON{}}
		if b.Kind == engine.KindOpenAI {
			bj.MaxTokensField = b.TokensField()
		}
		for _, r := range h.Replicas {
			bj.Replicas = append(bj.Replicas, replicaJSON{URL: r.URL, Reachable: r.Reachable, LatencyMS: r.Latency.Milliseconds(),
				Server: r.Server, Models: append([]string{}, r.Models...), HasModel: r.HasModel, ServedAs: r.ServedAs,
				Tokenize: r.Tokenize, PromptLogprobs: r.PromptLogprobs, ContextLength: r.ContextLength,
				ContextSource: r.ContextSource, ChatTemplate: r.ChatTemplate, Problem: r.Problem, Warnings: append([]string{}, r.Warnings...)})
		}
		out.Usable = out.Usable && bj.OK
		out.Backends = append(out.Backends, bj)
	}
	return out
}
