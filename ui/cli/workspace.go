package cli

import (
	"sync/atomic"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
)

// workspace is what a command works on: the database, opened before the
// command's work starts, and the engine on it, made from the configuration
// the first time the command asks for it (a command that asks no model
// server never reads the configuration; eval asks only for the metrics
// that need one).
//
// The engine's notices (a replica set aside, or back) go above the
// progress bar of the run going on when they come, else to standard error
// as a line of their own: a command with several runs (eval's metrics) has
// one engine and a bar per run.
type workspace struct {
	c  *runContext
	db *store.DB
	e  *engine.Engine
	// bar is the progress report of the run going on, the latest made by
	// progress.
	bar atomic.Pointer[progressReport]
}

// withDB opens the database (--db, or the default) and runs fn on it; the
// database, and the engine if fn asked for one, are closed when fn returns.
func (c *runContext) withDB(fn func(w *workspace) error) error {
	path, err := c.dbPath()
	if err != nil {
		return err
	}
	return c.withDBAt(path, fn)
}

// withDBAt is withDB on the database at path.
func (c *runContext) withDBAt(path string, fn func(w *workspace) error) error {
	db, err := c.openDBAt(path)
	if err != nil {
		return err
	}
	w := &workspace{c: c, db: db}
	defer w.close()
	return fn(w)
}

// withEngine is withDB for a command that asks model servers: fn gets the
// engine on the database too.
func (c *runContext) withEngine(fn func(w *workspace, e *engine.Engine) error) error {
	return c.withDB(func(w *workspace) error {
		e, err := w.engine()
		if err != nil {
			return err
		}
		return fn(w, e)
	})
}

// engine is the engine on the database, made from the configuration at
// the first call.
func (w *workspace) engine() (*engine.Engine, error) {
	if w.e != nil {
		return w.e, nil
	}
	cfg, err := w.c.loadConfig()
	if err != nil {
		return nil, err
	}
	w.e = engine.New(w.db, cfg, engine.Options{Getenv: w.c.Getenv, Notify: w.notice})
	return w.e, nil
}

// progress starts reporting a run named name (a command, a metric, a
// file): the engine's notices go above its bar from now on.
func (w *workspace) progress(name string) *progressReport {
	p := w.c.newProgress(name)
	w.bar.Store(p)
	return p
}

// notice prints an engine's notice above the bar of the run going on.
func (w *workspace) notice(msg string) {
	if p := w.bar.Load(); p != nil {
		p.notice(msg)
		return
	}
	w.c.say(msg)
}

func (w *workspace) close() {
	if w.e != nil {
		w.e.Close()
	}
	w.db.Close()
}
