package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/sanitize"
)

// xdgDir is an XDG base directory: $env, or fallback under the home directory.
func (c *runContext) xdgDir(env, fallback string) (string, error) {
	if d := c.Getenv(env); d != "" && filepath.IsAbs(d) {
		return d, nil
	}
	home := c.Getenv("HOME")
	if home == "" {
		var err error
		if home, err = os.UserHomeDir(); err != nil {
			return "", fmt.Errorf("cannot find a place for popi-tui's files: $%s and $HOME are unset", env)
		}
	}
	return filepath.Join(home, fallback), nil
}

// dbPath is --db, else $POPI_DB, else the default database.
func (c *runContext) dbPath() (string, error) {
	if db := firstOf(c.db, c.Getenv("POPI_DB")); db != "" {
		return db, nil
	}
	dir, err := c.xdgDir("XDG_DATA_HOME", ".local/share")
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "popi-tui", "popi.db"), nil
}

// openDBAt opens the database at path, saying so when it had to roll back
// an interrupted import.
func (c *runContext) openDBAt(path string) (*store.DB, error) {
	db, err := store.Open(path)
	if err != nil {
		return nil, err
	}
	for _, note := range db.Recovered {
		c.eprintf("popi-tui: %s: %s\n", sanitize.Line(path), sanitize.Line(note)) // the note names the imported file
	}
	return db, nil
}
