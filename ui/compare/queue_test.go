package compare

import (
	"slices"
	"strings"
	"testing"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
)

func TestQueueItemOf(t *testing.T) {
	tests := []struct {
		name       string
		sig        store.Signal
		replayOnly bool
		want       bool
		heldout    bool
	}{
		{"task", store.Signal{User: "u", ID: "t1", Kind: store.KindTask, Prompt: "p"}, false, true, false},
		{"task, replay only", store.Signal{User: "u", ID: "t1", Kind: store.KindTask}, true, false, false},
		{"held-out pair", store.Signal{User: "u", ID: "h", Kind: store.KindPair, Split: store.SplitHeldout}, false, true, true},
		{"held-out pair, replay only", store.Signal{User: "u", ID: "h", Kind: store.KindPair, Split: store.SplitHeldout}, true, true, true},
		{"history pair", store.Signal{User: "u", ID: "h", Kind: store.KindPair}, false, false, false},
		{"text", store.Signal{User: "u", ID: "c", Kind: store.KindText}, false, false, false},
		{"persona", store.Signal{User: "u", ID: "p", Kind: store.KindPersona}, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it, ok := queueItemOf(tt.sig, tt.replayOnly)
			if ok != tt.want {
				t.Fatalf("queued = %v, want %v", ok, tt.want)
			}
			if ok && (it.User != tt.sig.User || it.PromptID != tt.sig.ID || it.Heldout != tt.heldout) {
				t.Errorf("item = %+v", it)
			}
		})
	}
}

func testItems(keys ...string) []queueItem {
	var out []queueItem
	for _, k := range keys {
		out = append(out, queueItem{User: k[:1], PromptID: k[1:]})
	}
	return out
}

func TestQueueNextResumeUpcoming(t *testing.T) {
	items := testItems("a1", "a2", "b1", "b2", "c1")
	k := func(s string) string { return itemKey(s[:1], s[1:]) }
	tests := []struct {
		name     string
		done     []string
		last     string
		resume   int
		upcoming []int // after resume, 2 of them
		nDone    int
	}{
		{"new session", nil, "", 0, []int{1, 2}, 0},
		{"resumes after the last item", []string{"a1", "a2"}, "a2", 2, []int{3, 4}, 2},
		{"skips items done out of order", []string{"a1", "b1"}, "a1", 1, []int{3, 4}, 2},
		{"wraps to an item taken back earlier", []string{"a2", "b1", "b2", "c1"}, "c1", 0, nil, 4},
		{"unknown last item starts over", []string{"a1"}, "zz", 1, []int{2, 3}, 1},
		{"all done", []string{"a1", "a2", "b1", "b2", "c1"}, "c1", -1, nil, 5},
		{"done keys outside the queue are ignored", []string{"x1"}, "", 0, []int{1, 2}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := map[string]string{}
			for _, d := range tt.done {
				done[k(d)] = "a"
			}
			q := newQueue(items, engine.SkipsAgain, done, nil)
			last := ""
			if tt.last != "" {
				last = k(tt.last)
			}
			got := q.resume(last)
			if got != tt.resume {
				t.Fatalf("resume = %d, want %d", got, tt.resume)
			}
			if up := q.upcoming(got, 2); !slices.Equal(up, tt.upcoming) {
				t.Errorf("upcoming = %v, want %v", up, tt.upcoming)
			}
			if q.doneCount() != tt.nDone {
				t.Errorf("done = %d, want %d", q.doneCount(), tt.nDone)
			}
		})
	}
}

func TestQueueDecidedUndoneAndBefore(t *testing.T) {
	q := newQueue(testItems("a1", "a2", "b1"), engine.SkipsAgain, nil, nil)
	q.decided(itemKey("a", "1"), "a")
	q.decided(itemKey("a", "1"), "b") // decided again (a revisit) counts once
	if q.doneCount() != 1 || q.next(0) != 1 {
		t.Fatalf("done = %d, next = %d", q.doneCount(), q.next(0))
	}
	q.undone(itemKey("a", "1"), "b") // taken back: asked again
	if q.doneCount() != 0 || q.next(0) != 0 {
		t.Fatalf("after undo: done = %d, next = %d", q.doneCount(), q.next(0))
	}
	q.decided(itemKey("z", "9"), "a")
	if q.doneCount() != 0 || q.tally() != (QueueTally{Items: 3, Left: 3}) {
		t.Errorf("an item outside the queue was counted: %+v", q.tally())
	}
	for i, want := range []string{"", itemKey("a", "1"), itemKey("a", "2")} {
		if got := q.before(i); got != want {
			t.Errorf("before(%d) = %q, want %q", i, got, want)
		}
	}
	// After an undo the session records the item before; reopening then
	// starts at the item taken back.
	q.decided(itemKey("a", "1"), "a")
	if got := q.resume(q.before(1)); got != 1 {
		t.Errorf("resume after undo of a2 = %d, want 1", got)
	}
	if empty := newQueue(nil, "", nil, nil); empty.next(0) != -1 || empty.resume("") != -1 || empty.upcoming(0, 3) != nil {
		t.Errorf("empty queue gives items")
	}
}

// A skipped item comes back once, after every other item, under skips =
// "again"; under "final" a skip is the item's decision. The steps decide
// (or skip, "s", or undo, "u…") the item next gives, and the test follows
// the items asked.
func TestQueueSkips(t *testing.T) {
	tests := []struct {
		name   string
		skips  string
		loaded map[string]string // current verdicts read
		counts map[string]int    // skips standing, read
		steps  []string          // a verdict for the item next gives
		asked  string            // the items asked, in order
		tally  QueueTally        // at the end
	}{
		{name: "again: skips come back at the end, once", skips: engine.SkipsAgain,
			steps: []string{"s", "a", "s", "b", "s", "a"},
			asked: "a1 a2 b1 b2 a1 b1 -",
			tally: QueueTally{Items: 4, Done: 4, Decided: 3, Skipped: 1}},
		{name: "final: a skip is a decision", skips: engine.SkipsFinal,
			steps: []string{"s", "a", "s", "b"},
			asked: "a1 a2 b1 b2 -",
			tally: QueueTally{Items: 4, Done: 4, Decided: 2, Skipped: 2}},
		{name: "the default is again", skips: "",
			steps: []string{"s", "a", "a", "a", "tie"},
			asked: "a1 a2 b1 b2 a1 -",
			tally: QueueTally{Items: 4, Done: 4, Decided: 4, Ties: 1}},
		{name: "resumed: a skip read from the labels comes back, a second one stays", skips: engine.SkipsAgain,
			loaded: map[string]string{"a1": "skip", "a2": "skip", "b1": "both_bad"}, counts: map[string]int{"a1": 1, "a2": 2},
			steps: []string{"a", "s"},
			asked: "b2 a1 -",
			tally: QueueTally{Items: 4, Done: 4, Decided: 2, AllBad: 1, Skipped: 2}},
		{name: "a skip taken back is asked in the first round again", skips: engine.SkipsAgain,
			steps: []string{"s", "u", "a", "a", "a", "a"},
			asked: "a1 a2 a1 a2 b1 b2 -",
			tally: QueueTally{Items: 4, Done: 4, Decided: 4}},
		{name: "stopped in the second round", skips: engine.SkipsAgain,
			steps: []string{"s", "s", "a", "a", "a"},
			asked: "a1 a2 b1 b2 a1 a2",
			tally: QueueTally{Items: 4, Done: 3, Decided: 3, Again: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := func(s string) string { return itemKey(s[:1], s[1:]) }
			loaded, counts := map[string]string{}, map[string]int{}
			for it, v := range tt.loaded {
				loaded[k(it)] = v
			}
			for it, n := range tt.counts {
				counts[k(it)] = n
			}
			items := testItems("a1", "a2", "b1", "b2")
			q := newQueue(items, tt.skips, loaded, counts)
			name := func(i int) string {
				if i < 0 {
					return "-"
				}
				return items[i].User + items[i].PromptID
			}
			cur := q.resume("")
			asked := []string{name(cur)}
			var made [][2]string // key and verdict of the decisions, for undo
			for _, step := range tt.steps {
				switch step {
				case "u": // as the screen does: the item taken back is current
					m := made[len(made)-1]
					made = made[:len(made)-1]
					q.undone(m[0], m[1])
					cur = q.index[m[0]]
				case "s":
					step = store.VerdictSkip
					fallthrough
				default:
					q.decided(q.keys[cur], step)
					made = append(made, [2]string{q.keys[cur], step})
					cur = q.next(cur + 1)
				}
				asked = append(asked, name(cur))
			}
			if got := strings.Join(asked, " "); got != tt.asked {
				t.Errorf("asked %s, want %s", got, tt.asked)
			}
			if q.tally() != tt.tally {
				t.Errorf("tally %+v, want %+v", q.tally(), tt.tally)
			}
		})
	}
}

// A ranking (no verdict) is a decision; a decision replaced from the
// Decisions screen swaps its verdict, and a skip replaced no longer counts.
func TestQueueRankingAndReplaced(t *testing.T) {
	k := func(s string) string { return itemKey(s[:1], s[1:]) }
	q := newQueue(testItems("a1", "a2", "b1"), engine.SkipsAgain, map[string]string{k("a1"): ""}, nil)
	if q.doneCount() != 1 || q.next(0) != 1 || q.verdict[k("a1")] != verdictRanked {
		t.Fatalf("a ranking read: done %d, next %d", q.doneCount(), q.next(0))
	}
	q.decided(k("a2"), "")
	q.decided(k("b1"), store.VerdictSkip)
	if q.tally() != (QueueTally{Items: 3, Done: 2, Decided: 2, Again: 1}) {
		t.Fatalf("tally %+v", q.tally())
	}
	skip := store.Label{User: "b", PromptID: "1", Verdict: store.VerdictSkip}
	tie := store.Label{User: "b", PromptID: "1", Verdict: store.VerdictTie}
	q.replaced(skip, tie)
	if q.tally() != (QueueTally{Items: 3, Done: 3, Decided: 3, Ties: 1}) || q.skipped[k("b1")] != 0 || q.next(0) != -1 {
		t.Errorf("after replacing the skip by a tie: %+v, skips %d", q.tally(), q.skipped[k("b1")])
	}
}

func TestQueuePaneOrder(t *testing.T) {
	tests := []struct {
		seed int64
		key  string
		n    int
	}{
		{1, itemKey("u", "t1"), 2},
		{1, itemKey("u", "t2"), 3},
		{42, itemKey("v", "ho1"), 4},
	}
	for _, tt := range tests {
		got := paneOrder(tt.seed, tt.key, tt.n)
		sorted := slices.Sorted(slices.Values(got))
		if !slices.Equal(sorted, []int{0, 1, 2, 3}[:tt.n]) {
			t.Errorf("paneOrder(%d, %q, %d) = %v: not a permutation", tt.seed, tt.key, tt.n, got)
		}
		if again := paneOrder(tt.seed, tt.key, tt.n); !slices.Equal(got, again) {
			t.Errorf("paneOrder is not deterministic: %v then %v", got, again)
		}
	}
	// Over many items each slot lands in pane a about as often: the order
	// is shuffled, not fixed.
	first := map[int]int{}
	for i := range 400 {
		first[paneOrder(7, itemKey("u", string(rune('a'+i%26))+string(rune('a'+i/26))), 2)[0]]++
	}
	if first[0] < 150 || first[1] < 150 {
		t.Errorf("slot shown first: %v (want roughly even)", first)
	}
	// Another seed gives another order for some items.
	diff := 0
	for i := range 50 {
		k := itemKey("u", string(rune('a'+i)))
		if !slices.Equal(paneOrder(1, k, 3), paneOrder(2, k, 3)) {
			diff++
		}
	}
	if diff == 0 {
		t.Errorf("the seed does not change the order")
	}
}

func TestQueueAgreement(t *testing.T) {
	replay := []store.Candidate{{Pane: "a", Replay: "rejected"}, {Pane: "b", Replay: "chosen"}}
	plain := []store.Candidate{{Pane: "a"}, {Pane: "b"}}
	dec := func(verdict string, c []store.Candidate) store.Label {
		return store.Label{Kind: store.LabelDecision, Verdict: verdict, Candidates: c}
	}
	tests := []struct {
		name            string
		labels          []store.Label
		agree, decisive int
	}{
		{"none", nil, 0, 0},
		{"picked the chosen one", []store.Label{dec("b", replay)}, 1, 1},
		{"picked the rejected one", []store.Label{dec("a", replay)}, 0, 1},
		{"tie, all bad and skip are not decisive", []store.Label{dec(store.VerdictTie, replay), dec(store.VerdictBothBad, replay), dec(store.VerdictSkip, replay)}, 0, 0},
		{"no replayed pane", []store.Label{dec("a", plain)}, 0, 0},
		{"retraction", []store.Label{{Kind: store.LabelRetraction}}, 0, 0},
		{"mixed", []store.Label{dec("b", replay), dec("a", replay), dec("b", replay), dec("a", plain)}, 2, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, d := agreement(tt.labels)
			if a != tt.agree || d != tt.decisive {
				t.Errorf("agreement = %d/%d, want %d/%d", a, d, tt.agree, tt.decisive)
			}
		})
	}
}

func TestQueueRevealLine(t *testing.T) {
	tests := []struct {
		cands []store.Candidate
		want  string
	}{
		{[]store.Candidate{{Pane: "a", Backend: "vllm", Model: "vllm", Condition: "summary"}, {Pane: "b", Backend: "llama", Condition: "none"}},
			"a = vllm (summary), b = llama (none)"},
		{[]store.Candidate{{Pane: "a", Backend: "replay", Model: "replay", Condition: "none", Replay: "rejected"}, {Pane: "b", Backend: "replay", Condition: "none", Replay: "chosen"}},
			"a = replay (rejected), b = replay (chosen)"},
		{[]store.Candidate{{Pane: "a", Backend: "srv", Model: "qwen3", Condition: "raw"}},
			"a = srv (raw)"},
	}
	for _, tt := range tests {
		if got := revealLine(tt.cands); got != tt.want {
			t.Errorf("revealLine = %q, want %q", got, tt.want)
		}
	}
}
