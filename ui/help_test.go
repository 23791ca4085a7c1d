package ui

import (
	"fmt"
	"strings"
	"testing"
)

// The help overlay holds every binding of the screen and the program's
// own at every size from the smallest up: in columns when there is room,
// scrolling when there is not, the frame always w×h.
func TestHelpOverlayShowsEveryBinding(t *testing.T) {
	screens := []struct {
		name string
		keys []string // from the Users list
	}{
		{"Users", nil},
		{"User", []string{"enter"}},
		{"Compare", []string{"l"}},
		{"Jobs", []string{"J"}},
	}
	for _, size := range []struct{ w, h int }{{60, 20}, {80, 24}, {120, 40}} {
		for _, sc := range screens {
			t.Run(fmt.Sprintf("%s %dx%d", sc.name, size.w, size.h), func(t *testing.T) {
				app, _ := demoApp(t, size.w, size.h)
				press(app, sc.keys...)
				press(app, "?")
				_, last := app.helpLines()
				if last > 0 && size.h >= 40 {
					t.Errorf("the help scrolls at %dx%d", size.w, size.h)
				}
				seen := ""
				for i := 0; ; i++ { // scroll to the end, keeping what was shown
					v := app.View()
					checkCompareFrame(t, v, size.w, size.h)
					seen += v
					if app.help.offset >= last {
						break
					}
					if i > 100 {
						t.Fatal("down does not scroll the help")
					}
					press(app, "down")
				}
				for _, g := range append(app.top().FullHelp(), app.top().ShortHelp(), app.globalBindings()) {
					for _, b := range g {
						if b.Enabled() && !strings.Contains(seen, b.Help().Desc) {
							t.Errorf("%q (%s) never shown", b.Help().Desc, b.Help().Key)
						}
					}
				}
				if !strings.Contains(seen, "? or esc closes this help.") {
					t.Errorf("no closing hint:\n%s", seen)
				}
				press(app, "esc")
				if app.help.open {
					t.Error("esc did not close the help")
				}
			})
		}
	}
}
