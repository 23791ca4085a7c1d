package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/sanitize"
)

func demoCommand() *command {
	return &command{
		name:    "demo",
		uses:    useDB | useConfig | useTheme | useUI | useSelect,
		summary: "load popi-tui's built-in demo users (no model server needed)",
		help: `
With --db PATH the demo database is created and filled if PATH is new, and
reused as it is otherwise, so a session can be resumed. Without --db a fresh
temporary database is used and removed afterwards. --users or --dataset open
labeling of those users at once.`,
		run: func(ctx context.Context, c *runContext, _ []string) error { return runDemo(ctx, c) },
	}
}

func runDemo(ctx context.Context, c *runContext) error {
	path := c.db
	if path == "" {
		dir, err := os.MkdirTemp("", "popi-tui-demo-*")
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		defer os.RemoveAll(dir)
		path = filepath.Join(dir, "demo.db")
	}
	return c.withDBAt(path, func(w *workspace) error {
		if err := loadDemo(ctx, c, w.db, path); err != nil {
			return err
		}
		if c.interactive() { // the whole job, no model server: the offline engine
			return runTUI(ctx, c, w.db, true)
		}
		return printDemo(c, w.db, path)
	})
}

// loadDemo fills an empty database with the demo users; a database with
// users is a session to resume (an empty one is new, or was left empty by
// an interrupted first run).
func loadDemo(ctx context.Context, c *runContext, db *store.DB, path string) error {
	st, err := db.Stats()
	if err != nil {
		return err
	}
	if st.Users > 0 {
		c.printf("Demo database %s: reusing it as it is.\n\n", sanitize.Line(path))
		return nil
	}
	rep, err := db.LoadDemo(ctx)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	where := "Demo database " + sanitize.Line(path)
	if c.db == "" {
		where = "A temporary demo database (give --db PATH to keep one)"
	}
	c.printf("%s: loaded %s.\n\n", where, describeAdded(rep))
	return nil
}

// printDemo shows the demo users without a terminal: what each has, and
// what the offline heuristic summarizer reads in their history.
func printDemo(c *runContext, db *store.DB, path string) error {
	c.printf("%-16s %7s %8s %5s %7s %7s %9s\n", "user", "history", "held-out", "texts", "profile", "persona", "tasks")
	err := db.EachUser("", func(u store.User) (bool, error) {
		n := u.Counts
		c.printf("%-16s %7d %8d %5d %7s %7s %9d\n", sanitize.Line(u.ID), n.HistoryPairs, n.HeldoutPairs, n.Texts, yesNo(n.Profiles > 0), yesNo(n.Personas > 0), n.Tasks)
		return true, nil
	})
	if err != nil {
		return err
	}
	// The offline engine at work: what its heuristic summarizer reads in
	// each user's history, without a model server (nothing is stored).
	c.printf("\nThe offline heuristic summarizer's reading of each history (popi-tui infer --backend heuristic stores it):\n")
	err = db.EachUser("", func(u store.User) (bool, error) {
		signals, err := db.Signals(u.ID)
		if err != nil {
			return false, err
		}
		headline := "(no history pairs)"
		if text, err := engine.HeuristicSummary(signals); err == nil {
			headline, _, _ = strings.Cut(text, "\n")
		}
		c.printf("  %-16s %s\n", sanitize.Line(u.ID), sanitize.Line(headline))
		return true, nil
	})
	if err != nil {
		return err
	}
	if c.db != "" {
		p := sanitize.Line(path)
		c.printf("\nLook around: popi-tui --db %s stats; popi-tui --db %s infer; popi-tui --db %s generate --backend replay\n", p, p, p)
	}
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "-"
}
