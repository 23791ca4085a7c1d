package engine

import (
	"slices"
	"strings"
	"testing"
)

func TestLoadConfigQueueSettings(t *testing.T) {
	tests := []struct {
		name, text string
		skips      string
		team       []string
		overlap    int
		err        string // the error's line and key, "" when it loads
	}{
		{name: "defaults", text: "[ui]\ntheme = \"dark\"\n", skips: SkipsAgain},
		{name: "skips final", text: "[ui]\nskips = \"final\"\n", skips: SkipsFinal},
		{name: "a team of three, overlap 2", text: "[ui]\nteam = [\"kim\", \" lee \", \"max\"]\noverlap = 2\n", skips: SkipsAgain,
			team: []string{"kim", "lee", "max"}, overlap: 2},
		{name: "a team without overlap hands each item to one", text: "[ui]\nteam = [\"kim\", \"lee\"]\n", skips: SkipsAgain,
			team: []string{"kim", "lee"}, overlap: 1},
		{name: "a team of one as a string", text: "[ui]\nteam = \"kim\"\n", skips: SkipsAgain, team: []string{"kim"}, overlap: 1},
		{name: "bad skips", text: "[ui]\nprefetch = 2\nskips = \"never\"\n", err: ":3: ui.skips: want \"again\" or \"final\""},
		{name: "empty name", text: "[ui]\nteam = [\"kim\", \"\"]\n", err: ":2: ui.team: an empty annotator name"},
		{name: "a name twice", text: "[ui]\nteam = [\"kim\", \"lee\", \"kim\"]\n", err: ":2: ui.team: \"kim\" is listed twice"},
		{name: "overlap without a team", text: "[ui]\noverlap = 2\n", err: ":2: ui.overlap: needs a team"},
		{name: "overlap over the team's size", text: "[ui]\nteam = [\"kim\", \"lee\"]\noverlap = 3\n", err: ":3: ui.overlap: must be between 1 and the team's size (2)"},
		{name: "overlap 0", text: "[ui]\nteam = [\"kim\", \"lee\"]\noverlap = 0\n", err: ":3: ui.overlap: must be between 1"},
		{name: "team of numbers", text: "[ui]\nteam = [1, 2]\n", err: ":2: ui.team: want a string or a list of strings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.text)
			cfg, err := LoadConfig(path, true)
			if tt.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), path+":") || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %s…%s", err, path, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			ui := cfg.UI
			if ui.Skips != tt.skips || !slices.Equal(ui.Team, tt.team) || ui.Overlap != tt.overlap {
				t.Errorf("skips %q team %q overlap %d, want %q %q %d", ui.Skips, ui.Team, ui.Overlap, tt.skips, tt.team, tt.overlap)
			}
		})
	}
}
