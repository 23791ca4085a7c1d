package cli

import (
	"errors"
	"maps"
	"slices"

	"github.com/spf13/pflag"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/sanitize"
	"github.com/popi-tui/popi-tui/ui/screen"
)

// selection is what the labeling commands (the interactive UI, demo and
// queue) are about: --users or --dataset. They are flags of the program
// and of those commands only: eval and import have a --dataset of their
// own, which means something else.
type selection struct {
	users   listFlag
	dataset string
}

func (s *selection) register(fs *pflag.FlagSet) {
	fs.Var(&s.users, "users", "label these users only: `ID,...` (repeatable)")
	fs.StringVar(&s.dataset, "dataset", s.dataset, "label the users of this dataset only (the `name` given to import --dataset)")
}

func (s *selection) set() bool { return len(s.users) > 0 || s.dataset != "" }

// resolve checks the selection against the database: nil when none was
// given (every user).
func (s *selection) resolve(db *store.DB) (*screen.Selection, error) {
	switch {
	case !s.set():
		return nil, nil
	case len(s.users) > 0 && s.dataset != "":
		return nil, usagef("--users and --dataset each choose whom to label: give one")
	case s.dataset != "":
		ids, err := db.DatasetUserIDs(s.dataset)
		if err != nil {
			return nil, err
		}
		if len(ids) == 0 {
			counts, err := db.DatasetUsers()
			if err != nil {
				return nil, err
			}
			known := slices.DeleteFunc(slices.Sorted(maps.Keys(counts)), func(k string) bool { return k == "" })
			return nil, usagef("--dataset %q: no user was imported with that dataset (datasets: %s)", sanitize.Line(s.dataset), sanitize.Names(known, 10))
		}
		return &screen.Selection{Dataset: s.dataset, Name: "dataset " + s.dataset}, nil
	}
	users := slices.Compact(slices.Sorted(slices.Values(s.users)))
	for _, u := range users {
		if _, err := db.User(u); errors.Is(err, store.ErrNotFound) {
			return nil, usagef("--users: no user %q in the database", sanitize.Line(u))
		} else if err != nil {
			return nil, err
		}
	}
	name := "user " + users[0]
	if len(users) > 1 {
		name = sanitize.Names(users, 3)
	}
	return &screen.Selection{Users: users, Name: name}, nil
}

// queueSettings are the labeling queue's rules from the configuration;
// the annotator must be one of the team's when there is one.
func queueSettings(ui engine.UIConfig, annotator string) (screen.QueueSettings, error) {
	qs := screen.QueueSettings{Skips: ui.Skips, Team: ui.Team, Overlap: ui.Overlap}
	if !qs.InTeam(annotator) {
		return qs, &usageError{msg: qs.NotInTeam(annotator).Error()}
	}
	return qs, nil
}
