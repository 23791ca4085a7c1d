package user

import (
	"slices"
	"testing"

	"github.com/popi-tui/popi-tui/ui/screen"
	"github.com/popi-tui/popi-tui/ui/uitest"
)

// l on the User screen opens labeling of that user alone, through the
// Context (package compare cannot be imported here); without a way to
// label it does nothing.
func TestUserLabelsThisUser(t *testing.T) {
	env := uitest.New(t, 120, 40, uitest.Options{})
	var got []screen.Selection
	env.Ctx.NewLabeling = func(_ *screen.Context, sel screen.Selection) screen.Screen {
		got = append(got, sel)
		return uitest.Blank{}
	}
	s := open(env, "terse-tom")
	env.Press("l")
	if len(got) != 1 || !slices.Equal(got[0].Users, []string{"terse-tom"}) || got[0].Name != "user terse-tom" {
		t.Fatalf("l labels %+v, want terse-tom alone", got)
	}
	if _, ok := env.Top().(uitest.Blank); !ok {
		t.Errorf("l: the top screen is %T, not the labeling", env.Top())
	}
	env.Press("q")
	env.Ctx.NewLabeling = nil
	env.Press("l")
	if env.Top() != screen.Screen(s) {
		t.Errorf("l without labeling: the top screen is %T", env.Top())
	}
}
