package screen

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
)

// The summaries forms of --compare: a user's summaries side by side
// rather than answers to a prompt (ui/summaries shows them).
//
//	summaries                 every configured summarizer (the first four; two at least)
//	summaries:NAME,NAME[,…]   the newest summary by each writer named: a backend, human or heuristic
//	summaries:versions        the newest human edit and the machine-written version it replaced

// Summaries reports whether the spec compares summaries, not answers.
func (c CompareSpec) Summaries() bool { return c.Mode == CompareSummaries || c.Mode == CompareVersions }

// summariesString is a summaries spec as it is written on the command
// line.
func (c CompareSpec) summariesString() string {
	if c.Mode == CompareVersions {
		return CompareSummaries + ":" + CompareVersions
	}
	names := make([]string, len(c.Candidates))
	for i, cand := range c.Candidates {
		names[i] = cand.Backend
	}
	return CompareSummaries + ":" + strings.Join(names, ",")
}

// parseSummaries resolves the summaries forms. Named writers are not
// checked against the configuration: a database holds the summaries of
// backends configured elsewhere (an import, a merge), and a name no user
// has summaries from shows as an empty queue that lists the names found.
func parseSummaries(spec string, e *engine.Engine) (CompareSpec, error) {
	c := CompareSpec{Mode: CompareSummaries}
	rest, named := strings.CutPrefix(spec, CompareSummaries+":")
	var names []string
	switch {
	case !named:
		names = e.BackendsWith(engine.RoleSummarizer)
		if len(names) < 2 {
			return CompareSpec{}, fmt.Errorf("--compare summaries needs two or more summarizer backends (configured: %s); summaries:NAME,NAME names the writers (a backend, human or heuristic), summaries:versions compares a model's summary with its human edit",
				strings.Join(names, ", "))
		}
		names = names[:min(len(names), store.MaxCandidates)]
	case rest == CompareVersions:
		c.Mode = CompareVersions
		c.Candidates = []CandidateSpec{
			{Backend: store.VersionModel, Condition: store.CandidateVersion},
			{Backend: store.VersionHuman, Condition: store.CandidateVersion},
		}
		return c, nil
	default:
		for _, part := range strings.Split(rest, ",") {
			name := strings.TrimSpace(part)
			switch {
			case name == CompareVersions:
				return CompareSpec{}, fmt.Errorf("--compare %s: versions stands alone (summaries:versions)", spec)
			case name == "" || strings.ContainsFunc(name, func(r rune) bool { return unicode.IsSpace(r) || r == ':' || !unicode.IsPrint(r) }):
				return CompareSpec{}, fmt.Errorf("--compare %s: %q is not a summarizer's name (want summaries:NAME,NAME,…)", spec, part)
			case slices.Contains(names, name):
				return CompareSpec{}, fmt.Errorf("--compare %s lists %s twice", spec, name)
			}
			names = append(names, name)
		}
		if n := len(names); n < 2 || n > store.MaxCandidates {
			return CompareSpec{}, fmt.Errorf("--compare %s names %d summarizers (want 2 to %d)", spec, n, store.MaxCandidates)
		}
	}
	for _, name := range names {
		c.Candidates = append(c.Candidates, CandidateSpec{Backend: name, Condition: store.CandidateSummarizer})
	}
	return c, nil
}
