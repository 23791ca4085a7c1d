package screen

import (
	"fmt"
	"slices"
	"strings"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
)

// Compare modes (--compare).
const (
	CompareBackends   = "backends"   // each generator with the summary: do summaries transfer?
	CompareConditions = "conditions" // the first generator with summary, raw, none: does the summary help?
	CompareList       = "list"       // an explicit NAME:CONDITION,… list
	CompareReplay     = "replay"     // a held-out pair's own two responses (the demo)
	CompareSummaries  = "summaries"  // a user's summaries by 2–4 writers, side by side (summaries[:NAME,…])
	CompareVersions   = "versions"   // summaries:versions, a model-written version against the human edit of it
)

// CompareSpec is what a labeling session compares: 2–4 candidates, each
// a generator under a condition (or one side of a replayed pair).
type CompareSpec struct {
	Mode       string
	Candidates []CandidateSpec
	// Question is what the annotator is asked of each item ("": the
	// configuration's, else Compare's default).
	Question string
}

// CandidateSpec is one candidate of every item.
type CandidateSpec struct {
	Backend   string
	Condition string // store.ConditionSummary, ConditionRaw, ConditionNone
	Replay    string // engine.ReplayChosen / ReplayRejected for the replay generator
}

// String is how the spec is written on the command line and recorded in
// a session.
func (c CompareSpec) String() string {
	if c.Summaries() {
		return c.summariesString()
	}
	var parts []string
	for _, cand := range c.Candidates {
		if cand.Replay != "" {
			parts = append(parts, cand.Backend+":"+cand.Replay)
		} else {
			parts = append(parts, cand.Backend+":"+cand.Condition)
		}
	}
	return c.Mode + "=" + strings.Join(parts, ",")
}

// ParseCompare resolves --compare against the engine's backends. An empty
// spec picks a default: the replay generator in the demo, else backends
// when two generators are configured, else conditions.
func ParseCompare(spec string, e *engine.Engine, demo bool) (CompareSpec, error) {
	var generators []string
	for _, name := range e.BackendsWith(engine.RoleGenerator) {
		if name != engine.ReplayName {
			generators = append(generators, name)
		}
	}
	// A generator named "summaries" keeps its NAME:CONDITION lists.
	if spec == CompareSummaries || strings.HasPrefix(spec, CompareSummaries+":") && !slices.Contains(generators, CompareSummaries) {
		return parseSummaries(spec, e)
	}
	if spec == "" {
		switch {
		case demo || len(generators) == 0:
			spec = CompareReplay
		case len(generators) >= 2:
			spec = CompareBackends
		default:
			spec = CompareConditions
		}
	}
	var c CompareSpec
	switch spec {
	case CompareReplay:
		c.Mode = CompareReplay
		for _, which := range []string{engine.ReplayChosen, engine.ReplayRejected} {
			c.Candidates = append(c.Candidates, CandidateSpec{Backend: engine.ReplayName, Condition: store.ConditionNone, Replay: which})
		}
	case CompareBackends:
		c.Mode = CompareBackends
		if len(generators) < 2 {
			return CompareSpec{}, fmt.Errorf("--compare backends needs two or more generator backends (configured: %d)", len(generators))
		}
		for _, g := range generators[:min(len(generators), store.MaxCandidates)] {
			c.Candidates = append(c.Candidates, CandidateSpec{Backend: g, Condition: store.ConditionSummary})
		}
	case CompareConditions:
		c.Mode = CompareConditions
		if len(generators) == 0 {
			return CompareSpec{}, fmt.Errorf("--compare conditions needs a generator backend (none is configured)")
		}
		for _, cond := range []string{store.ConditionSummary, store.ConditionRaw, store.ConditionNone} {
			c.Candidates = append(c.Candidates, CandidateSpec{Backend: generators[0], Condition: cond})
		}
	default:
		c.Mode = CompareList
		for _, part := range strings.Split(spec, ",") {
			name, cond, ok := strings.Cut(strings.TrimSpace(part), ":")
			if !ok || name == "" || cond == "" {
				return CompareSpec{}, fmt.Errorf("--compare %q: want backends, conditions, or NAME:CONDITION,… (got %q)", spec, part)
			}
			cand := CandidateSpec{Backend: name, Condition: cond}
			if name == engine.ReplayName {
				cand = CandidateSpec{Backend: name, Condition: store.ConditionNone, Replay: cond}
				if cond != engine.ReplayChosen && cond != engine.ReplayRejected {
					return CompareSpec{}, fmt.Errorf("--compare %s:%s: the replay generator offers chosen or rejected", name, cond)
				}
			} else {
				if !slices.Contains(generators, name) {
					return CompareSpec{}, fmt.Errorf("--compare %s: no generator backend named %q (generators: %s)", part, name, strings.Join(generators, ", "))
				}
				if err := store.CheckCondition(cond); err != nil {
					return CompareSpec{}, fmt.Errorf("--compare %s: %w", part, err)
				}
			}
			if slices.Contains(c.Candidates, cand) {
				return CompareSpec{}, fmt.Errorf("--compare lists %s twice", part)
			}
			c.Candidates = append(c.Candidates, cand)
		}
		if n := len(c.Candidates); n < 2 || n > store.MaxCandidates {
			return CompareSpec{}, fmt.Errorf("--compare lists %d candidates (want 2 to %d)", n, store.MaxCandidates)
		}
	}
	return c, nil
}

// ReplayOnly reports whether every candidate replays a held-out pair:
// then only held-out prompts can be labeled.
func (c CompareSpec) ReplayOnly() bool {
	for _, cand := range c.Candidates {
		if cand.Replay == "" {
			return false
		}
	}
	return true
}

// Comparison is what the spec compares, as labels and sessions name it
// (store.Comparison): the same candidates compare the same whichever mode
// picked them.
func (c CompareSpec) Comparison() string {
	cands := make([]store.Candidate, len(c.Candidates))
	for i, cand := range c.Candidates {
		cands[i] = store.Candidate{Slot: i, Backend: cand.Backend, Condition: cand.Condition, Replay: cand.Replay}
	}
	return store.Comparison(cands)
}
