package cli

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/charmbracelet/x/ansi"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/ui/sanitize"
)

func backendsCommand() *command {
	return &command{
		name:    "backends",
		uses:    useDB | useConfig | useJSON,
		summary: "list the backends and check that each one answers",
		help: `
Lists every backend of the configuration file (and the built-in offline ones)
with its roles, and checks each model server: GET /v1/models (is the
configured model served?), the round-trip time, the server software when it
says (llama.cpp, vLLM, Ollama), which optional features it offers: POST
/tokenize (exact token counts) and prompt log-probabilities (scoring a given
response, which preference accuracy needs), and the context a request gets
where the server reports it. Warnings say what works but should be set right;
problems say what to change. Exit status 1 if a configured backend is not
usable.`,
		run: func(ctx context.Context, c *runContext, _ []string) error {
			return c.withEngine(func(_ *workspace, e *engine.Engine) error { return listBackends(ctx, c, e) })
		},
	}
}

// listBackends checks every backend at once and lists them with what was
// found, in configuration order.
func listBackends(ctx context.Context, c *runContext, e *engine.Engine) error {
	cfgs := e.Backends()
	health := make([]engine.Health, len(cfgs))
	var wg sync.WaitGroup
	for i, b := range cfgs {
		wg.Go(func() { health[i] = e.Check(ctx, b.Name) })
	}
	wg.Wait()
	if c.out.asJSON {
		out := newBackendsJSON(e.Config(), health)
		if err := c.printJSON(out); err != nil {
			return err
		}
		if !out.Usable {
			return errAlreadyReported
		}
		return nil
	}
	c.printf("configuration: %s\n", c.configName(e.Config()))
	bad := 0
	for _, h := range health {
		b := h.Backend
		status := "ok"
		if !h.OK() {
			status, bad = "NOT USABLE", bad+1
		}
		if b.Kind == engine.KindOffline {
			status += " (offline engine"
			if b.Name == engine.HeuristicName || b.Name == engine.ReplayName {
				status += ", built in"
			}
			status += ")"
		}
		model := sanitize.Line(b.Model)
		if b.Kind == engine.KindOpenAI && b.TokensField() != engine.FieldMaxTokens {
			model += " (max_tokens sent as " + b.TokensField() + ")"
		}
		c.printf("\n%s  [%s]  %s  model %s  — %s\n", sanitize.Line(b.Name), b.Kind, strings.Join(b.Roles, ", "), model, status)
		if h.Problem != "" {
			c.printf("    problem: %s\n", sanitize.Line(h.Problem))
		}
		for _, r := range h.Replicas {
			c.printf("    %s  %s\n", r.URL, describeReplica(r))
		}
	}
	if bad > 0 {
		return fmt.Errorf("%d backend(s) not usable", bad)
	}
	return nil
}

// describeReplica says what the check found: the server software when it
// says, whether (and as what) the model is served, the optional features,
// the context a request gets; then warnings (it works, but should be set
// right) and the problem. Everything the server said is sanitized.
func describeReplica(r engine.ReplicaHealth) string {
	if !r.Reachable {
		return "unreachable: " + sanitize.Line(r.Problem)
	}
	yes := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	s := fmt.Sprintf("%d ms; ", r.Latency.Milliseconds())
	if r.Server != "" {
		s += r.Server + "; "
	}
	served := yes(r.HasModel)
	if r.ServedAs != "" {
		served = fmt.Sprintf("as %q", sanitize.Line(r.ServedAs))
	}
	s += fmt.Sprintf("model served: %s; /tokenize: %s; prompt log-probabilities: %s", served, yes(r.Tokenize), yes(r.PromptLogprobs))
	if r.ContextLength > 0 {
		s += fmt.Sprintf("; context: %d tokens (%s)", r.ContextLength, r.ContextSource)
	}
	if r.ChatTemplate != "" {
		s += "\n      chat template: " + templateGlimpse(r.ChatTemplate)
	}
	for _, w := range r.Warnings {
		s += "\n      warning: " + sanitize.Line(w)
	}
	if r.Problem != "" { // it quotes the server
		s += "\n      problem: " + sanitize.Line(r.Problem)
	}
	return s
}

// templateGlimpse is the start of a chat template on one line, enough to
// tell which it is (--json gives it whole): its line breaks shown as ⏎.
func templateGlimpse(tpl string) string {
	const width = 100
	one := sanitize.Line(strings.ReplaceAll(strings.TrimSpace(tpl), "\n", "⏎"))
	return fmt.Sprintf("%s (%d bytes)", ansi.Truncate(one, width, "…"), len(tpl))
}
