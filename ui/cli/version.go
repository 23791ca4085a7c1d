package cli

import (
	"runtime/debug"
	"strings"
)

// BuildVersion is the version popi-tui reports: set, when the build set
// one (-ldflags "-X main.version=…"), else the module version of the
// build information, with the VCS revision and commit date of a build from
// a clone, so that a report names the exact source ("(devel)" alone
// would not).
func BuildVersion(set string) string {
	if set != "" {
		return set
	}
	bi, _ := debug.ReadBuildInfo()
	return versionOf(bi)
}

// versionOf is BuildVersion's answer for the build information bi (nil
// when the binary has none).
func versionOf(bi *debug.BuildInfo) string {
	if bi == nil {
		return "(devel, without build information)"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, date, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			date = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev == "" {
		if v == "(devel)" { // go run, go test: no tag, no VCS stamp
			return "(devel, built without version control information)"
		}
		return v
	}
	var details []string
	details = append(details, "revision "+rev[:min(len(rev), 12)])
	if date != "" {
		details = append(details, date)
	}
	if modified == "true" {
		details = append(details, "with uncommitted changes")
	}
	return v + " (" + strings.Join(details, ", ") + ")"
}
