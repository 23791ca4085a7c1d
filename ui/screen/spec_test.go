package screen

import (
	"strings"
	"testing"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
)

func specEngine(t *testing.T, backends ...engine.BackendConfig) *engine.Engine {
	t.Helper()
	e := engine.New(storetest.Open(t), engine.Config{Backends: backends}, engine.Options{})
	t.Cleanup(e.Close)
	return e
}

func specBackend(name string, roles ...string) engine.BackendConfig {
	return engine.BackendConfig{Name: name, Kind: engine.KindOpenAI, Roles: roles, BaseURLs: []string{"http://127.0.0.1:1/v1"}, Model: "m-" + name}
}

// Every --compare form: what it resolves to (as the comparison labels
// name), or the error it gives.
func TestParseCompare(t *testing.T) {
	gen, sum := engine.RoleGenerator, engine.RoleSummarizer
	offline := specEngine(t)
	oneGen := specEngine(t, specBackend("alpha", gen), specBackend("sam", sum))
	twoGen := specEngine(t, specBackend("alpha", gen), specBackend("beta", gen), specBackend("sam", sum), specBackend("sue", sum))
	namedSummaries := specEngine(t, specBackend("summaries", gen))
	for _, tc := range []struct {
		name       string
		e          *engine.Engine
		demo       bool
		spec       string
		mode       string
		comparison string
		err        string
	}{
		{"default in the demo", twoGen, true, "", CompareReplay, "replay:chosen,replay:rejected", ""},
		{"default offline", offline, false, "", CompareReplay, "replay:chosen,replay:rejected", ""},
		{"default with two generators", twoGen, false, "", CompareBackends, "alpha:summary,beta:summary", ""},
		{"default with one generator", oneGen, false, "", CompareConditions, "alpha:summary,alpha:raw,alpha:none", ""},
		{"replay", oneGen, false, "replay", CompareReplay, "replay:chosen,replay:rejected", ""},
		{"backends", twoGen, false, "backends", CompareBackends, "alpha:summary,beta:summary", ""},
		{"backends with one", oneGen, false, "backends", "", "", "needs two or more generator backends"},
		{"conditions", twoGen, false, "conditions", CompareConditions, "alpha:summary,alpha:raw,alpha:none", ""},
		{"conditions without a generator", offline, false, "conditions", "", "", "needs a generator backend"},
		{"list", twoGen, false, "beta:none, alpha:raw", CompareList, "beta:none,alpha:raw", ""},
		{"list of replays", offline, false, "replay:rejected,replay:chosen", CompareList, "replay:rejected,replay:chosen", ""},
		{"list: bad replay", offline, false, "replay:best,replay:chosen", "", "", "offers chosen or rejected"},
		{"list: unknown generator", twoGen, false, "gamma:none,alpha:none", "", "", `no generator backend named "gamma"`},
		{"list: bad condition", twoGen, false, "alpha:some,beta:none", "", "", "alpha:some"},
		{"list: twice", twoGen, false, "alpha:none,alpha:none", "", "", "twice"},
		{"list: one", twoGen, false, "alpha:none", "", "", "lists 1 candidates"},
		{"list: malformed", twoGen, false, "alpha", "", "", "want backends, conditions"},
		{"a generator named summaries keeps its lists", namedSummaries, false, "summaries:none,summaries:raw", CompareList, "summaries:none,summaries:raw", ""},

		{"summaries: the configured summarizers", twoGen, false, "summaries", CompareSummaries, "sam:summarizer,sue:summarizer,heuristic:summarizer", ""},
		{"summaries: one summarizer and the heuristic", oneGen, false, "summaries", CompareSummaries, "sam:summarizer,heuristic:summarizer", ""},
		{"summaries: offline", offline, true, "summaries", "", "", "needs two or more summarizer backends (configured: heuristic)"},
		{"summaries: named", offline, true, "summaries:heuristic,human", CompareSummaries, "heuristic:summarizer,human:summarizer", ""},
		{"summaries: named, not configured here", twoGen, false, "summaries:gpt,claude,human", CompareSummaries, "gpt:summarizer,claude:summarizer,human:summarizer", ""},
		{"summaries: versions", offline, true, "summaries:versions", CompareVersions, "model:version,human:version", ""},
		{"summaries: versions mixed", offline, false, "summaries:versions,human", "", "", "versions stands alone"},
		{"summaries: one name", offline, false, "summaries:human", "", "", "names 1 summarizers"},
		{"summaries: five names", offline, false, "summaries:a,b,c,d,e", "", "", "names 5 summarizers"},
		{"summaries: twice", offline, false, "summaries:human,human", "", "", "twice"},
		{"summaries: empty", offline, false, "summaries:", "", "", "not a summarizer's name"},
		{"summaries: empty name", offline, false, "summaries:human,,x", "", "", "not a summarizer's name"},
		{"summaries: a name with a colon", offline, false, "summaries:a:b,human", "", "", "not a summarizer's name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseCompare(tc.spec, tc.e, tc.demo)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("ParseCompare(%q) = %+v, %v; want an error saying %q", tc.spec, c, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseCompare(%q): %v", tc.spec, err)
			}
			if c.Mode != tc.mode || c.Comparison() != tc.comparison {
				t.Errorf("ParseCompare(%q) = mode %q, comparison %q; want %q, %q", tc.spec, c.Mode, c.Comparison(), tc.mode, tc.comparison)
			}
			if summaries := tc.mode == CompareSummaries || tc.mode == CompareVersions; c.Summaries() != summaries {
				t.Errorf("Summaries() = %v", c.Summaries())
			}
		})
	}
}

// A summaries spec is written back as it is given, and its candidates
// are never answers'.
func TestCompareSpecSummariesString(t *testing.T) {
	e := specEngine(t)
	for _, spec := range []string{"summaries:heuristic,human", "summaries:versions"} {
		c, err := ParseCompare(spec, e, false)
		if err != nil {
			t.Fatal(err)
		}
		if c.String() != spec || c.ReplayOnly() {
			t.Errorf("%q: String %q, ReplayOnly %v", spec, c.String(), c.ReplayOnly())
		}
		for _, cand := range c.Candidates {
			if store.CheckCondition(cand.Condition) == nil {
				t.Errorf("%q: candidate %+v has an answer's condition", spec, cand)
			}
		}
	}
	if c, _ := ParseCompare("alpha:none,alpha:raw", specEngine(t, specBackend("alpha", engine.RoleGenerator)), false); c.String() != "list=alpha:none,alpha:raw" {
		t.Errorf("a list is written %q", c.String())
	}
}
