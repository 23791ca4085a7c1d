package cli

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
	"github.com/popi-tui/popi-tui/ui/uitest"
)

// demoQueueDB is a copy of the demo users at a path of e's, and a
// configuration file of a team of three, overlap 2.
func demoQueueDB(t *testing.T, e *testEnv) (db, config string) {
	t.Helper()
	db = e.demoDB()
	config = writeFile(t, e.path("team.toml"), "[ui]\nteam = [\"kim\", \"lee\", \"max\"]\noverlap = 2\n")
	return db, config
}

func parseQueue(t *testing.T, out string) queueJSON {
	t.Helper()
	if strings.Count(out, "\n") != 1 {
		t.Fatalf("queue --json is not one line:\n%s", out)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	for _, it := range raw["items"].([]any) { // every item has every field
		got := storetest.Keys(it.(map[string]any))
		if want := storetest.Sorted("key", "user", "prompt_id", "kind", "decided", "verdict", "skips", "done", "annotators"); !slices.Equal(got, want) {
			t.Fatalf("item fields %v, want %v", got, want)
		}
	}
	var q queueJSON
	if err := json.Unmarshal([]byte(out), &q); err != nil {
		t.Fatal(err)
	}
	return q
}

// queue --json lists each annotator's share of a team campaign: every item
// in exactly two of the three queues, each naming the same two.
func TestQueueTeamJSON(t *testing.T) {
	e := newTestEnv(t)
	db, config := demoQueueDB(t, e)
	owners, in := map[string][]string{}, map[string]int{}
	for _, a := range []string{"kim", "lee", "max"} {
		q := parseQueue(t, e.mustRun(ExitOK, "queue", "--db", db, "--config", config, "--annotator", a, "--json").stdout)
		if q.Annotator != a || q.Overlap != 2 || !slices.Equal(q.Team, []string{"kim", "lee", "max"}) || q.Skips != engine.SkipsAgain ||
			q.Comparison != "replay:chosen,replay:rejected" || q.Total != len(q.Items) || q.Left != q.Total || q.Next != q.Items[0].Key {
			t.Errorf("%s's queue: %+v", a, q)
		}
		for _, it := range q.Items {
			if it.Kind != "heldout" || it.Key != it.User+"/"+it.PromptID || it.Decided || it.Done || len(it.Annotators) != 2 || !slices.Contains(it.Annotators, a) {
				t.Errorf("%s's item %+v", a, it)
			}
			if o, ok := owners[it.Key]; ok && !slices.Equal(o, it.Annotators) {
				t.Errorf("%s goes to %v in one queue and %v in another", it.Key, o, it.Annotators)
			}
			owners[it.Key] = it.Annotators
			in[it.Key]++
		}
	}
	if len(owners) != 11 {
		t.Errorf("%d items over the three queues, want the demo's 11", len(owners))
	}
	for k, n := range in {
		if n != 2 {
			t.Errorf("%s is in %d queues (%v), want 2", k, n, owners[k])
		}
	}
}

// Decisions show in the listing: decided, the verdict, a skip that comes
// back (not done), the counts and where labeling resumes.
func TestQueueDecisions(t *testing.T) {
	e := newTestEnv(t)
	db, _ := demoQueueDB(t, e)
	d := storetest.OpenAt(t, db)
	cands := []store.Candidate{{Pane: "a", Slot: 0, Backend: "replay", Condition: "none", Replay: "chosen"},
		{Pane: "b", Slot: 1, Backend: "replay", Condition: "none", Replay: "rejected"}}
	for _, l := range []struct{ user, prompt, verdict string }{{"beginner-bea", "ho1", "a"}, {"bullet-ben", "ho1", "skip"}, {"bullet-ben", "ho2", "tie"}} {
		lab := storetest.Decision("kim", l.user, l.prompt, l.verdict)
		lab.Candidates = cands
		storetest.AddLabel(t, d, lab)
	}
	d.Close()
	q := parseQueue(t, e.mustRun(ExitOK, "queue", "--db", db, "--annotator", "kim", "--json", "--users", "bullet-ben,beginner-bea").stdout)
	if q.Total != 3 || q.Done != 2 || q.Decided != 2 || q.Again != 1 || q.Left != 0 || q.Next != "bullet-ben/ho1" || q.Selection != "beginner-bea, bullet-ben" {
		t.Errorf("queue: %+v", q)
	}
	if it := q.Items[1]; !it.Decided || it.Done || it.Verdict != "skip" || it.Skips != 1 {
		t.Errorf("the skip: %+v", it)
	}
	if it := q.Items[2]; !it.Decided || !it.Done || it.Verdict != "tie" || len(it.Annotators) != 0 {
		t.Errorf("the tie: %+v", it)
	}
	// skips = "final": the skip is done.
	final := writeFile(t, e.path("final.toml"), "[ui]\nskips = \"final\"\n")
	q = parseQueue(t, e.mustRun(ExitOK, "queue", "--db", db, "--config", final, "--annotator", "kim", "--json", "--dataset", "demo").stdout)
	if q.Total != 11 || q.Done != 3 || q.Skipped != 1 || q.Again != 0 || q.Next != "code-first-kai/ho1" || q.Selection != "dataset demo" {
		t.Errorf("queue under skips = final: %+v", q)
	}
	uitest.WantIn(t, e.mustRun(ExitOK, "queue", "--db", db, "--annotator", "kim").stdout, "Queue of kim, comparing replay:chosen,replay:rejected",
		"11 item(s): 2 done (2 decided, 0 skipped), 1 skipped once, to ask again, 8 left", "next: code-first-kai/ho1",
		"  bullet-ben/ho1               heldout  skipped, again", "  bullet-ben/ho2               heldout  tie")
}

// --users and --dataset are checked against the database, and refused
// where they mean nothing; an annotator outside the team is told so.
func TestQueueSelectionErrors(t *testing.T) {
	e := newTestEnv(t)
	db, config := demoQueueDB(t, e)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"queue", "--users", "terse-tom,nobody"}, `--users: no user "nobody" in the database`},
		{[]string{"queue", "--dataset", "elix"}, `--dataset "elix": no user was imported with that dataset (datasets: demo)`},
		{[]string{"queue", "--dataset", "demo", "--users", "terse-tom"}, "--users and --dataset each choose whom to label: give one"},
		{[]string{"--dataset", "demo", "stats"}, "--users and --dataset choose whom the interactive UI, demo and queue label; stats does not take them there"},
		{[]string{"--users", "x", "export", "labels"}, "export does not take them there"},
		{[]string{"queue", "--config", config, "--annotator", "zed"}, `annotator "zed" is not in the team of [ui] team (kim, lee, max): each item goes to 2 of them`},
		{[]string{"queue", "--compare", "nope:summary"}, `no generator backend named "nope"`},
		{[]string{"queue", "--compare", "summaries:versions"}, "a comparison of summaries (--compare summaries"},
	}
	for _, tt := range tests {
		r := e.mustRun(ExitUsage, append(tt.args, "--db", db)...)
		if !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%q: stderr %q, want %q", tt.args, r.stderr, tt.want)
		}
	}
}

// The interactive UI's setup: --users and --dataset open labeling of
// those users, the [ui] queue settings reach the screens.
func TestTUIOptionsSelection(t *testing.T) {
	e := newTestEnv(t)
	db, config := demoQueueDB(t, e)
	d := storetest.OpenAt(t, db)
	cfg, err := engine.LoadConfig(config, true)
	if err != nil {
		t.Fatal(err)
	}
	eng := engine.New(d, cfg, engine.Options{})
	defer eng.Close()
	c := &runContext{Env: Env{Getenv: e.getenv}}
	c.annotator = "max"
	opt, err := c.tuiOptions(cfg, d, eng, true)
	if err != nil || opt.Label != nil || opt.Queue.Overlap != 2 || !slices.Equal(opt.Queue.Team, []string{"kim", "lee", "max"}) || opt.Annotator != "max" {
		t.Fatalf("without a selection: %+v, %v", opt, err)
	}
	c.sel.users = listFlag{"terse-tom", "bullet-ben"}
	if opt, err = c.tuiOptions(cfg, d, eng, true); err != nil || opt.Label == nil || !slices.Equal(opt.Label.Users, []string{"bullet-ben", "terse-tom"}) {
		t.Errorf("--users: %+v, %v", opt.Label, err)
	}
	c.sel = selection{dataset: "demo"}
	if opt, err = c.tuiOptions(cfg, d, eng, true); err != nil || opt.Label == nil || opt.Label.Dataset != "demo" {
		t.Errorf("--dataset: %+v, %v", opt.Label, err)
	}
	c.compare = "summaries:versions"
	if _, err := c.tuiOptions(cfg, d, eng, true); err == nil || !strings.Contains(err.Error(), "Compare summaries (--compare summaries") {
		t.Errorf("--dataset with a comparison of summaries: %v", err)
	}
	c.compare, c.annotator = "", "zed"
	if _, err := c.tuiOptions(cfg, d, eng, true); err == nil || !strings.Contains(err.Error(), "not in the team") {
		t.Errorf("an annotator outside the team: %v", err)
	}
}
