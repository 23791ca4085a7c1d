package engine

import (
	"fmt"
	"strings"

	"github.com/BurntSushi/toml"
)

// What [ui] skips says becomes of a skipped item.
const (
	SkipsAgain = "again" // asked once more, after every other item (the default)
	SkipsFinal = "final" // a skip is the item's decision
)

// queueSettings checks the labeling queue's keys of [ui] (skips, team,
// overlap) and sets them in ui.
func (u fileUI) queueSettings(ui *UIConfig, path string, loc locator) error {
	bad := func(key, msg string) error {
		return &ConfigError{File: path, Line: loc.keyLine(toml.Key{"ui", key}), Key: "ui." + key, Msg: msg}
	}
	ui.Skips = SkipsAgain
	if u.Skips != nil {
		if *u.Skips != SkipsAgain && *u.Skips != SkipsFinal {
			return bad("skips", fmt.Sprintf("want %q or %q", SkipsAgain, SkipsFinal))
		}
		ui.Skips = *u.Skips
	}
	seen := map[string]bool{}
	for _, name := range u.Team {
		name = strings.TrimSpace(name)
		switch {
		case name == "":
			return bad("team", "an empty annotator name")
		case strings.ContainsRune(name, 0):
			return bad("team", "a name with a NUL byte")
		case seen[name]:
			return bad("team", fmt.Sprintf("%q is listed twice", name))
		}
		seen[name] = true
		ui.Team = append(ui.Team, name)
	}
	switch {
	case u.Overlap == nil && len(ui.Team) > 0:
		ui.Overlap = 1
	case u.Overlap == nil:
	case len(ui.Team) == 0:
		// An overlap alone would silently do nothing: everyone would label
		// every item.
		return bad("overlap", "needs a team (team = [\"kim\", \"lee\", …])")
	case *u.Overlap < 1 || *u.Overlap > len(ui.Team):
		return bad("overlap", fmt.Sprintf("must be between 1 and the team's size (%d)", len(ui.Team)))
	default:
		ui.Overlap = *u.Overlap
	}
	return nil
}
