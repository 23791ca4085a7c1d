package store_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	. "github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
)

// fxSummaryUsers holds users whose ids are prefixes of one another: their
// summary keys sit side by side in the bucket.
const fxSummaryUsers = `{"user": "a", "kind": "task", "id": "t1", "prompt": "Hi?"}
{"user": "ab", "kind": "task", "id": "t1", "prompt": "Hi?"}
{"user": "ab\u0001", "kind": "task", "id": "t1", "prompt": "Hi?"}
{"user": "abc", "kind": "task", "id": "t1", "prompt": "Hi?"}
{"user": "u1", "kind": "pair", "id": "h1", "prompt": "Q", "chosen": "short", "rejected": "long"}
{"user": "u2", "kind": "text", "id": "x1", "text": "I like brevity."}
`

func fxSummaryTexts(t *testing.T, db *DB, user string) []string {
	t.Helper()
	all, err := db.Summaries(user)
	if err != nil {
		t.Fatalf("Summaries(%q): %v", user, err)
	}
	var out []string
	for i, s := range all {
		if s.User != user || s.Version != i+1 {
			t.Errorf("Summaries(%q)[%d] is user %q version %d, want %q version %d", user, i, s.User, s.Version, user, i+1)
		}
		out = append(out, s.Text)
	}
	return out
}

func TestAddSummaryAssignsVersionsIDsAndTimes(t *testing.T) {
	db := storetest.Open(t)
	storetest.Import(t, db, fxSummaryUsers)
	steps := []struct {
		s           Summary
		wantVersion int
	}{
		{Summary{User: "u1", Text: "Likes short answers.", Source: "ollama/llama3", Backend: "ollama", Model: "llama3", TemplateVersion: 1}, 1},
		{Summary{User: "u2", Text: "Values brevity.", Source: SourceHeuristic}, 1},
		{Summary{User: "u1", Text: "Likes very short answers.", Source: SourceHuman, Parent: 1}, 2},
		{Summary{User: "u1", Text: "Likes short answers.", Source: SourceHuman, Parent: 1}, 3},
		{Summary{User: "u2", Text: "Values brevity, hates fluff.", Source: SourceHuman, Parent: 1}, 2},
		{Summary{User: "u1", Text: "Regenerated.", Source: "openai/gpt", PromptTokens: 100, CompletionTokens: 20,
			HistoryTokens: 900, SummaryTokens: 20, TokensEstimated: true, HistoryCut: true, Input: "history…"}, 4},
	}
	ids := map[string]bool{}
	var added []Summary
	for _, st := range steps {
		before := time.Now().UTC()
		got := storetest.AddSummary(t, db, st.s)
		after := time.Now().UTC()
		if got.Version != st.wantVersion {
			t.Errorf("%s %q: version %d, want %d", st.s.User, st.s.Text, got.Version, st.wantVersion)
		}
		if !fxIDPattern.MatchString(got.ID) || ids[got.ID] {
			t.Errorf("%s v%d: id %q, want 32 hex digits and unique", got.User, got.Version, got.ID)
		}
		ids[got.ID] = true
		if got.CreatedAt.Before(before.Add(-time.Millisecond)) || got.CreatedAt.After(after.Add(time.Millisecond)) {
			t.Errorf("%s v%d: CreatedAt %v not between %v and %v", got.User, got.Version, got.CreatedAt, before, after)
		}
		want := st.s
		want.ID, want.Version, want.CreatedAt = got.ID, got.Version, got.CreatedAt
		if storetest.JSON(t, got) != storetest.JSON(t, want) {
			t.Errorf("AddSummary returned %s\nwant %s", storetest.JSON(t, got), storetest.JSON(t, want))
		}
		added = append(added, got)
	}
	// What is read back is what was returned.
	for _, user := range []string{"u1", "u2"} {
		all, err := db.Summaries(user)
		if err != nil {
			t.Fatal(err)
		}
		var want []Summary
		for _, s := range added {
			if s.User == user {
				want = append(want, s)
			}
		}
		if storetest.JSON(t, all) != storetest.JSON(t, want) {
			t.Errorf("Summaries(%q) = %s\nwant %s", user, storetest.JSON(t, all), storetest.JSON(t, want))
		}
	}
}

func TestAddSummaryKeepsCreatedAtAndRefusesAnID(t *testing.T) {
	db := storetest.Open(t)
	storetest.Import(t, db, fxSummaryUsers)
	at := time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC)
	got := storetest.AddSummary(t, db, Summary{User: "u1", Text: "x", Source: SourceHuman, CreatedAt: at})
	if got.ID == "" || !got.CreatedAt.Equal(at) || got.Version != 1 {
		t.Errorf("got %+v, want a new id, created %v, version 1", got, at)
	}
	for _, s := range []Summary{
		{ID: got.ID, User: "u1", Text: "y", Source: SourceHuman},
		{Version: 7, User: "u1", Text: "y", Source: SourceHuman},
		{User: "u1", Text: "y", Source: SourceHuman, Parent: -1},
	} {
		if _, err := db.AddSummary(s); err == nil {
			t.Errorf("AddSummary(%+v) accepted", s)
		}
	}
	cur, ok, err := db.CurrentSummary("u1")
	if err != nil || !ok || cur.ID != got.ID || cur.Version != 1 {
		t.Errorf("CurrentSummary = %+v ok %v err %v", cur, ok, err)
	}
}

func TestAddSummaryRejects(t *testing.T) {
	db := storetest.Open(t)
	storetest.Import(t, db, fxSummaryUsers)
	storetest.AddSummary(t, db, Summary{User: "u1", Text: "v1", Source: "m"})
	storetest.AddSummary(t, db, Summary{User: "u1", Text: "v2", Source: "m"})
	tests := []struct {
		name     string
		s        Summary
		wantErr  string
		notFound bool
	}{
		{"empty text", Summary{User: "u1", Source: SourceHuman}, `add summary for "u1": the text is empty`, false},
		{"blank text", Summary{User: "u1", Text: " \n\t", Source: SourceHuman}, "the text is empty", false},
		{"no source", Summary{User: "u1", Text: "x"}, `add summary for "u1": no source`, false},
		{"unknown user", Summary{User: "nobody", Text: "x", Source: SourceHuman}, `user "nobody"`, true},
		{"user prefix of a user", Summary{User: "u", Text: "x", Source: SourceHuman}, `user "u"`, true},
		{"empty user", Summary{User: "", Text: "x", Source: SourceHuman}, "add summary: user is empty", false},
		{"user with NUL", Summary{User: "u1\x00x", Text: "x", Source: SourceHuman}, "contains a NUL byte", false},
		{"parent is the new version", Summary{User: "u1", Text: "x", Source: SourceHuman, Parent: 3}, "parent version 3 does not exist yet", false},
		{"parent beyond", Summary{User: "u1", Text: "x", Source: SourceHuman, Parent: 7}, "parent version 7 does not exist yet", false},
		{"parent of a first version", Summary{User: "u2", Text: "x", Source: SourceHuman, Parent: 1}, "parent version 1 does not exist yet", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := db.AddSummary(tt.s)
			if err == nil {
				t.Fatalf("AddSummary accepted %+v as version %d", tt.s, got.Version)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q, want it to contain %q", err, tt.wantErr)
			}
			if errors.Is(err, ErrNotFound) != tt.notFound {
				t.Errorf("errors.Is(%v, ErrNotFound) = %v, want %v", err, !tt.notFound, tt.notFound)
			}
		})
	}
	if got := fxSummaryTexts(t, db, "u1"); !slices.Equal(got, []string{"v1", "v2"}) {
		t.Errorf("u1's versions after rejected adds: %q", got)
	}
	if got := fxSummaryTexts(t, db, "u2"); len(got) != 0 {
		t.Errorf("u2's versions after rejected adds: %q", got)
	}
	if st := storetest.Stats(t, db); st.Summaries != 2 || st.SummariesHuman != 0 {
		t.Errorf("Stats: %d summaries, %d human; want 2, 0", st.Summaries, st.SummariesHuman)
	}
	// A parent that exists is fine.
	if got := storetest.AddSummary(t, db, Summary{User: "u1", Text: "v3", Source: SourceHuman, Parent: 2}); got.Version != 3 || got.Parent != 2 {
		t.Errorf("version %d parent %d, want 3 and 2", got.Version, got.Parent)
	}
}

func TestCurrentSummaryIsTheNewest(t *testing.T) {
	db := storetest.Open(t)
	storetest.Import(t, db, fxSummaryUsers)
	if _, ok, err := db.CurrentSummary("u1"); ok || err != nil {
		t.Fatalf("CurrentSummary before any: ok %v err %v", ok, err)
	}
	if all, err := db.Summaries("u1"); len(all) != 0 || err != nil {
		t.Fatalf("Summaries before any: %v %v", all, err)
	}
	if _, ok, err := db.CurrentSummary("nobody"); ok || err != nil {
		t.Fatalf("CurrentSummary of an unknown user: ok %v err %v", ok, err)
	}
	texts := []string{"first", "second", "third", "fourth"}
	for i, text := range texts {
		added := storetest.AddSummary(t, db, Summary{User: "u1", Text: text, Source: "m", Parent: i})
		cur, ok, err := db.CurrentSummary("u1")
		if err != nil || !ok {
			t.Fatalf("CurrentSummary: ok %v err %v", ok, err)
		}
		if storetest.JSON(t, cur) != storetest.JSON(t, added) {
			t.Errorf("after adding %q: current %s, want %s", text, storetest.JSON(t, cur), storetest.JSON(t, added))
		}
		if got := fxSummaryTexts(t, db, "u1"); !slices.Equal(got, texts[:i+1]) {
			t.Errorf("Summaries = %q, want %q", got, texts[:i+1])
		}
	}
}

func TestSummariesOfPrefixUsersStayApart(t *testing.T) {
	db := storetest.Open(t)
	storetest.Import(t, db, fxSummaryUsers)
	// The longer ids get versions first, so that a scan that strays past
	// the user's own range would find them.
	order := []struct{ user, text string }{
		{"ab\x01", "ab1-v1"}, {"abc", "abc-v1"}, {"ab\x01", "ab1-v2"}, {"abc", "abc-v2"}, {"abc", "abc-v3"},
		{"ab", "ab-v1"}, {"a", "a-v1"}, {"ab", "ab-v2"}, {"ab\x01", "ab1-v3"},
	}
	for _, o := range order {
		got := storetest.AddSummary(t, db, Summary{User: o.user, Text: o.text, Source: "m"})
		if want := o.text[strings.LastIndex(o.text, "-v")+2:]; want != string(rune('0'+got.Version)) {
			t.Errorf("%q got version %d for %q", o.user, got.Version, o.text)
		}
	}
	want := map[string][]string{
		"a":      {"a-v1"},
		"ab":     {"ab-v1", "ab-v2"},
		"ab\x01": {"ab1-v1", "ab1-v2", "ab1-v3"},
		"abc":    {"abc-v1", "abc-v2", "abc-v3"},
		"u1":     nil,
	}
	for user, texts := range want {
		if got := fxSummaryTexts(t, db, user); !slices.Equal(got, texts) {
			t.Errorf("Summaries(%q) = %q, want %q", user, got, texts)
		}
		cur, ok, err := db.CurrentSummary(user)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case len(texts) == 0 && ok:
			t.Errorf("CurrentSummary(%q) = %q, want none", user, cur.Text)
		case len(texts) > 0 && (!ok || cur.Text != texts[len(texts)-1] || cur.User != user):
			t.Errorf("CurrentSummary(%q) = %q of %q (ok %v), want %q", user, cur.Text, cur.User, ok, texts[len(texts)-1])
		}
	}
	// EachSummary: user by user, oldest version first.
	var seen []string
	if err := db.EachSummary(func(s Summary) error { seen = append(seen, s.Text); return nil }); err != nil {
		t.Fatal(err)
	}
	wantAll := []string{"a-v1", "ab-v1", "ab-v2", "ab1-v1", "ab1-v2", "ab1-v3", "abc-v1", "abc-v2", "abc-v3"}
	if !slices.Equal(seen, wantAll) {
		t.Errorf("EachSummary = %q, want %q", seen, wantAll)
	}
}

func TestStatsCountSummaries(t *testing.T) {
	db := storetest.Open(t)
	storetest.Import(t, db, fxSummaryUsers)
	adds := []Summary{
		{User: "u1", Text: "model", Source: "ollama/llama3"},
		{User: "u1", Text: "edited", Source: SourceHuman, Parent: 1},
		{User: "u2", Text: "baseline", Source: SourceHeuristic},
		{User: "u2", Text: "written", Source: SourceHuman},
		{User: "ab", Text: "edited again", Source: SourceHuman},
		{User: "abc", Text: "model", Source: "openai/gpt-4o"},
	}
	wantTotal := []int{1, 2, 3, 4, 5, 6}
	wantHuman := []int{0, 1, 1, 2, 3, 3}
	for i, s := range adds {
		storetest.AddSummary(t, db, s)
		st := storetest.Stats(t, db)
		if st.Summaries != wantTotal[i] || st.SummariesHuman != wantHuman[i] {
			t.Errorf("after %d adds: summaries %d human %d, want %d %d", i+1, st.Summaries, st.SummariesHuman, wantTotal[i], wantHuman[i])
		}
	}
	for _, tt := range []struct {
		s     Summary
		model bool
	}{
		{adds[0], true}, {adds[1], false}, {adds[2], false}, {adds[5], true},
	} {
		if tt.s.IsModel() != tt.model {
			t.Errorf("IsModel of source %q = %v, want %v", tt.s.Source, !tt.model, tt.model)
		}
	}
	// The other counts are not disturbed by summaries.
	st := storetest.Stats(t, db)
	if st.Users != 6 || st.Tasks != 4 || st.PairsHistory != 1 || st.Texts != 1 || st.Labels != 0 || st.Generations != 0 {
		t.Errorf("Stats = %+v", st)
	}
}
