package screen

import (
	"fmt"
	"slices"

	"github.com/popi-tui/popi-tui/ui/sanitize"
)

// QueueSettings are the labeling queue's rules ([ui] skips, team and
// overlap in the configuration).
type QueueSettings struct {
	// Skips is engine.SkipsAgain (a skipped item is asked once more, after
	// every other; also what "" means) or engine.SkipsFinal.
	Skips string
	// Team, when set, hands each item to Overlap of its annotators (by a
	// stable hash of the item: package compare, queue_team.go); an
	// annotator's queue is their share.
	Team    []string
	Overlap int
}

// InTeam reports whether annotator may label under these settings: anyone
// without a team, a member with one.
func (q QueueSettings) InTeam(annotator string) bool {
	return len(q.Team) == 0 || slices.Contains(q.Team, annotator)
}

// NotInTeam is the error of an annotator outside the team.
func (q QueueSettings) NotInTeam(annotator string) error {
	return fmt.Errorf("annotator %q is not in the team of [ui] team (%s): each item goes to %d of them; give --annotator one of their names",
		Line(annotator), sanitize.Names(q.Team, 10), q.Overlap)
}

// Selection is whose items a labeling session queues: every user (the
// zero value), the users listed, or a dataset's.
type Selection struct {
	Users   []string // these users only, when not nil
	Dataset string   // the users imported with this dataset tag, when set
	// Name says what was chosen, for the screen: "user kim", "the 3 users
	// matching "tom"", "dataset elix".
	Name string
}

// All reports whether the selection is every user.
func (s Selection) All() bool { return s.Users == nil && s.Dataset == "" }
