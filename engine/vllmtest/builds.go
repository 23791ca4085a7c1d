package vllmtest

import "net/http"

// Build is a vLLM build as scoring requests meet it: each refuses or
// leaves out something another takes or gives, as some real build does.
// Its fields but Name and Recipe are the Server's fields of those names.
type Build struct {
	Name                    string
	Shape                   string
	SingleOnly              bool
	BatchStatus             int
	Generates               bool
	PromptLogprobsOnRequest bool
	TopAtLeastOne           bool
	// Recipe is the way of asking for a prompt's log-probabilities the
	// build takes first, as an index into the engine's list of them
	// (scoreRecipes, engine/score.go): 0 echo with no new token, 1 one new
	// token, 2 prompt_logprobs asked for too, 3 one alternative per token.
	Recipe int
}

// Builds are the builds scoring is tested against.
var Builds = []Build{
	{Name: "token_logprobs, batched", Shape: "token_logprobs"},
	{Name: "prompt_logprobs, batched", Shape: "prompt_logprobs"},
	{Name: "token_logprobs, one prompt per request", Shape: "token_logprobs", SingleOnly: true},
	{Name: "prompt_logprobs, one prompt per request", Shape: "prompt_logprobs", SingleOnly: true},
	{Name: "one prompt per request, batches refused with 422", Shape: "token_logprobs", SingleOnly: true, BatchStatus: http.StatusUnprocessableEntity},
	{Name: "one prompt per request, batches refused with 501", Shape: "token_logprobs", SingleOnly: true, BatchStatus: http.StatusNotImplemented},
	{Name: "token_logprobs, max_tokens 0 refused", Shape: "token_logprobs", Generates: true, Recipe: 1},
	{Name: "prompt_logprobs on request only", Shape: "prompt_logprobs", PromptLogprobsOnRequest: true, Recipe: 2},
	{Name: "prompt_logprobs on request only, max_tokens 0 refused, one prompt per request", Shape: "prompt_logprobs", SingleOnly: true, Generates: true, PromptLogprobsOnRequest: true, Recipe: 2},
	{Name: "logprobs 0 refused", Shape: "token_logprobs", TopAtLeastOne: true, Recipe: 3},
}

// Be makes the server answer as the build does. Call it before the first
// request.
func (f *Server) Be(b Build) {
	f.Shape, f.SingleOnly, f.BatchStatus = b.Shape, b.SingleOnly, b.BatchStatus
	f.Generates, f.PromptLogprobsOnRequest, f.TopAtLeastOne = b.Generates, b.PromptLogprobsOnRequest, b.TopAtLeastOne
}
