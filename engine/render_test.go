package engine

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
)

// A Renderer words what a request would send, through the functions the
// requests are built with; nothing is sent (the backend's address is
// never reached).
func TestRenderer(t *testing.T) {
	db := storetest.DemoDB(t)
	e := customEngine(t, db, "http://127.0.0.1:1/v1", customSet, nil)
	signals, _ := db.Signals("terse-tom")
	heldout := signals[slices.IndexFunc(signals, func(s store.Signal) bool { return s.ID == "ho1" })]
	h1 := signals[slices.IndexFunc(signals, func(s store.Signal) bool { return s.ID == "h1" })]

	r, err := e.Renderer("", RoleSummarizer) // the first model summarizer
	if err != nil || r.Backend() != "custom" || r.TemplateSet() != "custom-1" {
		t.Fatalf("Renderer: %q %q, %v", r.Backend(), r.TemplateSet(), err)
	}
	req, err := r.Summarizer("terse-tom", signals, []string{SignalProfile})
	want := []store.Message{{Role: "system", Content: "SYS terse-tom"}, {Role: "user", Content: wantSummarizer(signals, SignalProfile)}}
	if err != nil || !slices.Equal(req.Messages, want) || !slices.Equal(req.Signals, []string{SignalProfile}) || req.TemplateSet != "custom-1" {
		t.Errorf("Summarizer = %+v, %v; want %q", req, err, want)
	}

	g, _ := e.Renderer("custom", RoleGenerator)
	// A held-out pair: what GeneratorRequest builds for it.
	for _, condition := range []string{store.ConditionRaw, store.ConditionNone} {
		got, err := g.Generator("terse-tom", signals, condition, heldout)
		real, rerr := e.GeneratorRequest(GenerateRequest{User: "terse-tom", PromptID: "ho1", Condition: condition, Backend: "custom"})
		if err != nil || rerr != nil || !slices.Equal(got.Messages, real.Messages) || got.TemplateSet != "custom-1" {
			t.Errorf("%s: Generator %+v (%v), GeneratorRequest %+v (%v)", condition, got, err, real, rerr)
		}
	}
	// A history pair, from the signals given: here without itself.
	rest := slices.DeleteFunc(slices.Clone(signals), func(s store.Signal) bool { return s.ID == "h1" })
	got, err := g.Generator("terse-tom", rest, store.ConditionRaw, h1)
	wantRaw := "<1|What's the git command to undo my last commit but keep the changes?><2|How long should I boil an egg for a soft yolk?>" +
		"<3|What year did the Berlin Wall fall?><4|SQL: how do I count rows per category?><5|How many tablespoons are in a cup?> Q=How do I reverse a string in Python?"
	if err != nil || len(got.Messages) != 1 || got.Messages[0].Content != wantRaw {
		t.Errorf("a history pair under raw: %+v, %v", got, err)
	}
	// The summary condition reads the current summary.
	if _, err := g.Generator("terse-tom", signals, store.ConditionSummary, heldout); !errors.Is(err, ErrNoSummary) {
		t.Errorf("without a summary: %v, want ErrNoSummary", err)
	}
	s := storetest.AddSummary(t, db, store.Summary{User: "terse-tom", Text: "Terse.", Source: "m/m"})
	got, err = g.Generator("terse-tom", signals, store.ConditionSummary, heldout)
	if err != nil || got.SummaryID != s.ID || !slices.Equal(got.Messages, []store.Message{{Role: "system", Content: "GEN"}, {Role: "user", Content: "S=Terse. Q=" + heldout.Prompt}}) {
		t.Errorf("under summary: %+v, %v", got, err)
	}
	// Raw with nothing to show.
	if _, err := g.Generator("terse-tom", []store.Signal{heldout}, store.ConditionRaw, heldout); !errors.Is(err, store.ErrNoHistory) {
		t.Errorf("raw without history: %v, want ErrNoHistory", err)
	}
	if _, err := g.Generator("terse-tom", signals, "both", heldout); err == nil {
		t.Errorf("an unknown condition was rendered")
	}
}

// With no model backend for the role, the configuration's wording: its
// top-level prompts, else the built-in set.
func TestRendererOfTheConfiguration(t *testing.T) {
	db := storetest.DemoDB(t)
	signals, _ := db.Signals("terse-tom")
	set, err := ParsePromptSet("custom.toml", []byte(customSet))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		prompts *PromptSet
		version string
		first   string // the user turn starts so
	}{
		{nil, DefaultPromptSet().Version(), "# How this user chose between two responses\n\n## Example 1\n"},
		{set, "custom-1", "<1|"},
	} {
		e := New(db, Config{HistoryBudget: DefaultHistoryBudget, Prompts: tt.prompts}, Options{})
		r, err := e.Renderer("", RoleSummarizer)
		if err != nil || r.Backend() != "" || r.TemplateSet() != tt.version {
			t.Fatalf("Renderer: %q %q, %v", r.Backend(), r.TemplateSet(), err)
		}
		req, err := r.Summarizer("terse-tom", signals, nil)
		if err != nil || len(req.Messages) != 2 || !strings.HasPrefix(req.Messages[1].Content, tt.first) || req.TemplateSet != tt.version {
			t.Errorf("%s: %+v, %v", tt.version, req, err)
		}
	}
}

func TestRendererRefuses(t *testing.T) {
	db := storetest.DemoDB(t)
	e := customEngine(t, db, "http://127.0.0.1:1/v1", customSet, nil)
	for _, tt := range []struct{ name, role, want string }{
		{"replay", RoleGenerator, "backend replay is the offline engine"},
		{"heuristic", RoleSummarizer, "backend heuristic is the offline engine"},
		{"gpt", RoleGenerator, `no backend named "gpt" (generators: custom, replay)`},
		{"heuristic", RoleJudge, `backend "heuristic" is not a judge`},
	} {
		if _, err := e.Renderer(tt.name, tt.role); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Renderer(%s, %s) = %v, want %q", tt.name, tt.role, err, tt.want)
		}
	}
}
