package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/format/printsafe"
	"github.com/popi-tui/popi-tui/ui/compare"
	"github.com/popi-tui/popi-tui/ui/sanitize"
	"github.com/popi-tui/popi-tui/ui/screen"
)

func queueCommand() *command {
	var asJSON bool
	return &command{
		name:    "queue",
		uses:    useDB | useConfig | useUI | useSelect,
		summary: "list an annotator's labeling queue: items, decided or not",
		help: `
Lists the items Compare & label asks --annotator (default: [ui] annotator,
else your login name) under --compare, in the order it asks them: with a
team ([ui] team and overlap) the annotator's share, with --users or
--dataset those users' items. Each item says whether it is decided, its
verdict, its skips and whether it is done (a skip that comes back once at
the end is not), and whom of the team it goes to.

--json prints one object: annotator, comparison, skips, team, overlap,
selection, items (key "USER/PROMPT_ID", user, prompt_id, kind "heldout" or
"task", decided, verdict, skips, done, annotators), and the counts total,
done, decided, skipped, again, left, with next, the key of the item labeling
resumes at ("" when every item is done).`,
		flags: func(fs *pflag.FlagSet) {
			fs.BoolVar(&asJSON, "json", false, "print one JSON object, for scripts")
		},
		run: func(_ context.Context, c *runContext, _ []string) error {
			return c.withEngine(func(w *workspace, e *engine.Engine) error { return runQueue(c, w.db, e, asJSON) })
		},
	}
}

func runQueue(c *runContext, db *store.DB, e *engine.Engine, asJSON bool) error {
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	spec, err := screen.ParseCompare(firstOf(c.compare, cfg.UI.Compare), e, false)
	if err != nil {
		return usagef("%v", err)
	}
	if spec.Summaries() {
		return usagef("queue lists the answers Compare & label asks about; a comparison of summaries (--compare %s) is not listed", spec)
	}
	opt := compare.QueueOptions{Annotator: firstOf(c.annotator, cfg.UI.Annotator, c.loginName()), Compare: spec}
	if opt.Settings, err = queueSettings(cfg.UI, opt.Annotator); err != nil {
		return err
	}
	sel, err := c.sel.resolve(db)
	if err != nil {
		return err
	}
	if sel != nil {
		opt.Select = *sel
	}
	list, err := compare.ListQueue(db, opt)
	if err != nil {
		return err
	}
	out := newQueueJSON(opt, list)
	if asJSON {
		safe := printsafe.NewWriter(c.Stdout) // ids come from data files
		enc := json.NewEncoder(safe)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(out); err != nil {
			return err
		}
		return safe.Close()
	}
	printQueue(c, out)
	return nil
}

// queueJSON is what queue --json prints.
type queueJSON struct {
	Annotator  string          `json:"annotator"`
	Comparison string          `json:"comparison"`
	Skips      string          `json:"skips"`
	Team       []string        `json:"team"`
	Overlap    int             `json:"overlap"`
	Selection  string          `json:"selection"`
	Items      []queueItemJSON `json:"items"`
	Total      int             `json:"total"`
	Done       int             `json:"done"`
	Decided    int             `json:"decided"`
	Skipped    int             `json:"skipped"`
	Again      int             `json:"again"`
	Left       int             `json:"left"`
	Next       string          `json:"next"`
}

// queueItemJSON is one item: every one has every field, of one type.
type queueItemJSON struct {
	Key        string   `json:"key"`
	User       string   `json:"user"`
	PromptID   string   `json:"prompt_id"`
	Kind       string   `json:"kind"`
	Decided    bool     `json:"decided"`
	Verdict    string   `json:"verdict"`
	Skips      int      `json:"skips"`
	Done       bool     `json:"done"`
	Annotators []string `json:"annotators"`
}

func newQueueJSON(opt compare.QueueOptions, list compare.QueueList) queueJSON {
	skips := opt.Settings.Skips
	if skips == "" {
		skips = engine.SkipsAgain
	}
	t := list.Tally
	out := queueJSON{Annotator: opt.Annotator, Comparison: opt.Compare.Comparison(), Skips: skips, Team: append([]string{}, opt.Settings.Team...),
		Overlap: opt.Settings.Overlap, Selection: opt.Select.Name, Items: make([]queueItemJSON, len(list.Rows)),
		Total: t.Items, Done: t.Done, Decided: t.Decided, Skipped: t.Skipped, Again: t.Again, Left: t.Left}
	for i, r := range list.Rows {
		kind := "task"
		if r.Heldout {
			kind = "heldout"
		}
		out.Items[i] = queueItemJSON{Key: r.User + "/" + r.PromptID, User: r.User, PromptID: r.PromptID, Kind: kind,
			Decided: r.Verdict != "", Verdict: r.Verdict, Skips: r.Skips, Done: r.Done, Annotators: append([]string{}, r.Annotators...)}
	}
	if list.Next >= 0 {
		out.Next = out.Items[list.Next].Key
	}
	return out
}

// printQueue prints the queue as a table, its names sanitized.
func printQueue(c *runContext, q queueJSON) {
	c.printf("Queue of %s, comparing %s", sanitize.Line(q.Annotator), sanitize.Line(q.Comparison))
	if len(q.Team) > 0 {
		c.printf("; team %s, each item to %d", sanitize.Names(q.Team, 10), q.Overlap)
	}
	if q.Selection != "" {
		c.printf("; %s", sanitize.Line(q.Selection))
	}
	c.printf("\n%d item(s): %d done (%d decided, %d skipped), %d skipped once, to ask again, %d left; skips %s\n",
		q.Total, q.Done, q.Decided, q.Skipped, q.Again, q.Left, q.Skips)
	if q.Next != "" {
		c.printf("next: %s\n", sanitize.Line(q.Next))
	}
	for _, it := range q.Items {
		state := "-"
		switch {
		case it.Decided && !it.Done:
			state = "skipped, again"
		case it.Decided:
			state = it.Verdict
		}
		line := fmt.Sprintf("  %-28s %-8s %-15s", sanitize.Line(it.Key), it.Kind, state)
		if len(it.Annotators) > 0 {
			line += " " + sanitize.Names(it.Annotators, 10)
		}
		c.printf("%s\n", strings.TrimRight(line, " "))
	}
}
