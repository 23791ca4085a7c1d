package engine

import (
	"fmt"
	"net/url"
	"strings"
)

// A configuration without a file: one backend that plays every role, made
// from the environment as mods and the OpenAI SDKs read it, or from a
// command's --url and --model.
const (
	// SingleBackendName names that backend (summaries record it as their
	// source, so it is the same wherever the backend came from).
	SingleBackendName = "default"
	// OpenAIBaseURL is the base URL when only the model is given, as in
	// the OpenAI SDKs.
	OpenAIBaseURL = "https://api.openai.com/v1"
	// The environment variables read.
	EnvBaseURL = "OPENAI_BASE_URL"
	EnvAPIKey  = "OPENAI_API_KEY"
	EnvModel   = "POPI_MODEL"
)

// SingleBackend says where the one backend is, and where each setting came
// from (an environment variable, a flag), for the messages.
type SingleBackend struct {
	BaseURL, Model         string
	BaseURLFrom, ModelFrom string
	// APIKeyEnv is the environment variable holding the key; "" for a
	// server that needs none (llama.cpp, vLLM and Ollama on loopback).
	APIKeyEnv string
}

// SingleBackendFromEnv is the backend the environment describes:
// OPENAI_BASE_URL (default OpenAIBaseURL), POPI_MODEL, and the key in
// OPENAI_API_KEY when it is set. ok is false when neither OPENAI_BASE_URL
// nor POPI_MODEL is set: OPENAI_API_KEY alone is often set for other
// tools, and names no model.
func SingleBackendFromEnv(getenv func(string) string) (sb SingleBackend, ok bool) {
	base, model := strings.TrimSpace(getenv(EnvBaseURL)), strings.TrimSpace(getenv(EnvModel))
	if base == "" && model == "" {
		return SingleBackend{}, false
	}
	sb = SingleBackend{BaseURL: base, Model: model, BaseURLFrom: EnvBaseURL, ModelFrom: EnvModel}
	if base == "" {
		sb.BaseURL, sb.BaseURLFrom = OpenAIBaseURL, "the default base URL"
	}
	if getenv(EnvAPIKey) != "" {
		sb.APIKeyEnv = EnvAPIKey
	}
	return sb, true
}

// WithSingleBackend is cfg with sb as its only backend, playing every
// role, with the defaults a [[backend]] table gets and cfg's template set
// and deadline. The other settings of cfg ([ui], budgets) are kept.
func (cfg Config) WithSingleBackend(sb SingleBackend) (Config, error) {
	if p, err := url.Parse(sb.BaseURL); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return Config{}, fmt.Errorf("%s: %q is not an http(s) URL", sb.BaseURLFrom, sb.BaseURL)
	}
	if sb.Model == "" {
		return Config{}, fmt.Errorf("%s (%s) needs a model: set %s or give --model", sb.BaseURLFrom, sb.BaseURL, EnvModel)
	}
	b := BackendConfig{
		Name: SingleBackendName, Kind: KindOpenAI, Roles: []string{RoleSummarizer, RoleGenerator, RoleJudge},
		BaseURLs: []string{strings.TrimRight(sb.BaseURL, "/")}, Model: sb.Model, APIKeyEnv: sb.APIKeyEnv,
		Temperature: DefaultTemperature, MaxTokens: DefaultMaxTokens, Concurrency: DefaultConcurrency,
		Timeout: DefaultTimeout, Deadline: max(cfg.Deadline, DefaultTimeout), Prompts: cfg.Prompts,
	}
	cfg.Backends = []BackendConfig{b}
	return cfg, nil
}
