package compare

import (
	"cmp"
	"regexp"
	"slices"
	"strings"

	"github.com/popi-tui/popi-tui/engine"
)

// redactor keeps the panes blind: an error message shown in a pane before
// the decision must not say which backend failed. It replaces every
// backend's name, model and address, ignoring case, longest first, so a
// model named after its backend ("alpha-70b" of "alpha") goes whole
// rather than leaving its tail behind.
type redactor struct{ re *regexp.Regexp }

// minRedacted is the shortest name replaced: shorter ones ("a", "gp")
// would cut up ordinary words and say little.
const minRedacted = 3

func newRedactor(backends []engine.BackendConfig) redactor {
	var names []string
	for _, b := range backends {
		own := []string{b.Name, b.Model}
		for _, u := range b.BaseURLs { // and as the engine prints it, without user:pass@
			own = append(own, u, engine.RedactURL(u))
		}
		for _, n := range own {
			n = strings.TrimSpace(n)
			if len(n) >= minRedacted && !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	if len(names) == 0 {
		return redactor{}
	}
	// Alternation takes the first branch that matches at a position:
	// longest first makes that the longest name.
	slices.SortFunc(names, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = regexp.QuoteMeta(n)
	}
	return redactor{regexp.MustCompile("(?i)" + strings.Join(quoted, "|"))}
}

// redact returns msg with every name replaced by "[backend]".
func (r redactor) redact(msg string) string {
	if r.re == nil {
		return msg
	}
	return r.re.ReplaceAllLiteralString(msg, "[backend]")
}
