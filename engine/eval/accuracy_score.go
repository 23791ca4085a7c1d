package eval

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
)

// Scoring a held-out pair for preference accuracy: which prompts each
// server is asked to score the pair's responses after, and the log-
// probabilities that come back.

// scorers are the model servers a run scores with: the generator, whose
// conditions are scored, and the reference model's (the generator itself
// when the reference is its backend).
type scorers struct {
	gen, ref *engine.Server
	same     bool // the reference is the generator: one server, asked once a response
	opt      engine.ScoreOptions
}

// openScorers finds the generator and the reference and checks that each
// can score given responses, with the end of turn when it counts, before
// anything runs.
func openScorers(ctx context.Context, e *engine.Engine, opt AccuracyOptions) (*scorers, error) {
	so := engine.ScoreOptions{EndOfTurn: !opt.NoEndOfTurn}
	gen, err := openScorer(ctx, e, opt.Backend, so)
	if err != nil {
		return nil, err
	}
	s := &scorers{gen: gen, ref: gen, same: opt.Reference == opt.Backend, opt: so}
	if !s.same {
		if s.ref, err = openScorer(ctx, e, opt.Reference, so); err != nil {
			return nil, fmt.Errorf("the reference model: %w", err)
		}
	}
	return s, nil
}

// openScorer is the generator backend name's server, checked.
func openScorer(ctx context.Context, e *engine.Engine, name string, opt engine.ScoreOptions) (*engine.Server, error) {
	srv, err := e.Server(name, engine.RoleGenerator)
	if errors.Is(err, engine.ErrOffline) {
		return nil, fmt.Errorf("backend %s %w: it is the offline engine (preference accuracy needs a model's log-probabilities)", name, engine.ErrCannotScore)
	}
	if err != nil {
		return nil, err
	}
	if err := srv.CheckScoring(ctx, opt); err != nil {
		return nil, err
	}
	return srv, nil
}

// report is a run's report with what names its setting filled in: the
// backends, their models and template sets, the end of turn and β.
func (s *scorers) report(e *engine.Engine, opt AccuracyOptions) (AccuracyReport, error) {
	gen, ref := s.gen.Config(), s.ref.Config()
	set, err := e.Prompts(gen.Name)
	if err != nil {
		return AccuracyReport{}, err
	}
	refSet, err := e.Prompts(ref.Name)
	if err != nil {
		return AccuracyReport{}, err
	}
	return AccuracyReport{Backend: gen.Name, Model: gen.Model, TemplateSet: set.Version(),
		Reference: ref.Name, ReferenceModel: ref.Model, ReferenceTemplateSet: refSet.Version(),
		EndOfTurn: s.opt.EndOfTurn, Beta: opt.Beta, Summary: opt.Summary, Datasets: opt.Datasets}, nil
}

// pairInputs is what a held-out pair is scored with.
type pairInputs struct {
	user       string
	pair       store.Signal
	summary    store.Summary
	hasSummary bool
	gen, ref   userPrompts // the generator's and the reference's (the same when it is the generator)
}

// userPrompts is a backend's template set and the user's history as that
// backend may see it.
type userPrompts struct {
	set  *engine.PromptSet
	data engine.PromptData
}

// pairResult is one pair's log-probabilities under each condition it
// could be asked under, and the reference's.
type pairResult struct {
	// ref is what the reference gives the chosen and the rejected
	// response after the prompt alone.
	ref [2]float64
	// scores[c] is what the generator gives them under condition c.
	scores  map[string][2]float64
	tokens  [2]int           // the responses' lengths in the generator's tokens
	context map[string]int   // condition → tokens before the response
	skipped []string         // conditions it could not be asked under
	failed  map[string]error // conditions the server would not score
	// requests counts the tokenizations and scoring requests sent.
	requests int
}

// scorePair scores both responses of a pair on the generator after its
// none prompt and every condition's it can be asked under, and on the
// reference after the reference's none prompt: one ScorePair when the
// reference is the generator (its none prompt is the reference's), else
// one on each server, at once, each tokenizing the responses its own way.
// The generator's none prompt comes first wherever it is asked: its
// tokenization is the one the responses' tokens are read from, and it is
// the shortest, so the pair fails whole only when nothing could score.
func (s *scorers) scorePair(ctx context.Context, in pairInputs, conditions []string) (pairResult, error) {
	res := pairResult{scores: map[string][2]float64{}, context: map[string]int{}, failed: map[string]error{}}
	prompts, asked, err := pairPrompts(in, conditions, &res)
	if err != nil {
		return pairResult{}, err
	}
	chosen, rejected := in.pair.Chosen, in.pair.Rejected
	var gen, ref engine.PairScores
	var genErr, refErr error
	if s.same {
		gen, genErr = s.gen.ScorePair(ctx, prompts, chosen, rejected, s.opt)
		ref = gen
	} else {
		refPrompt, err := noneMessages(in.ref, in.pair.Prompt)
		if err != nil {
			return pairResult{}, err
		}
		var wg sync.WaitGroup
		wg.Go(func() { gen, genErr = s.gen.ScorePair(ctx, prompts, chosen, rejected, s.opt) })
		wg.Go(func() { ref, refErr = s.ref.ScorePair(ctx, [][]store.Message{refPrompt}, chosen, rejected, s.opt) })
		wg.Wait()
		res.requests = ref.Requests
		if refErr != nil {
			refErr = fmt.Errorf("the reference model: %w", refErr)
		}
	}
	res.requests += gen.Requests
	if err := errors.Join(genErr, refErr); err != nil {
		return res, err
	}
	res.ref, res.tokens = [2]float64{ref.Chosen[0], ref.Rejected[0]}, gen.Tokens
	for i, c := range asked {
		if err := gen.Errs[i]; err != nil {
			res.failed[c] = err
			continue
		}
		res.scores[c] = [2]float64{gen.Chosen[i], gen.Rejected[i]}
		res.context[c] = gen.PromptTokens[i]
	}
	return res, nil
}

// pairPrompts is what the generator is sent for the pair's prompt: under
// none first, then under each other condition it can be asked under;
// asked names them in the same order (none first, asked for or not). The
// conditions it cannot be asked under go to res.skipped.
func pairPrompts(in pairInputs, conditions []string, res *pairResult) (prompts [][]store.Message, asked []string, err error) {
	none, err := noneMessages(in.gen, in.pair.Prompt)
	if err != nil {
		return nil, nil, err
	}
	prompts, asked = [][]store.Message{none}, []string{store.ConditionNone}
	for _, c := range conditions {
		switch {
		case c == store.ConditionNone:
			continue // asked first
		case c == store.ConditionSummary && !in.hasSummary:
			res.skipped = append(res.skipped, c)
			continue
		}
		// The data as Generate words the condition: the summary for the
		// summary condition only.
		d := in.gen.data
		d.Prompt = in.pair.Prompt
		if c == store.ConditionSummary {
			d.Summary = in.summary.Text
		}
		msgs, err := in.gen.set.Generator(c, d)
		if errors.Is(err, store.ErrNoHistory) {
			res.skipped = append(res.skipped, c)
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		prompts = append(prompts, msgs)
		asked = append(asked, c)
	}
	return prompts, asked, nil
}

// noneMessages is what a backend is sent for a prompt alone: its none
// template, which the reference model is scored after.
func noneMessages(p userPrompts, prompt string) ([]store.Message, error) {
	d := p.data
	d.Prompt = prompt
	return p.set.Generator(store.ConditionNone, d)
}
