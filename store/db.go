// Package store is popi-tui's database: one bbolt file holding users and
// their signals, summary versions, cached generations, labels and annotator
// sessions, plus the importers and exporters that move data in and out.
//
// It imports neither engine nor ui; both reach the file only through it.
package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Bucket names. The layout is described in ARCHITECTURE.md.
var (
	bucketMeta        = []byte("meta")          // schema version, settings, import journal
	bucketUsers       = []byte("users")         // user id → User (JSON)
	bucketSignals     = []byte("signals")       // user NUL id → index entry (seq, kind, split)
	bucketBodies      = []byte("signal_bodies") // seq → Signal (binary), append-only
	bucketSummaries   = []byte("summaries")     // user NUL version → Summary (JSON)
	bucketGenerations = []byte("generations")   // generation id → Generation (JSON)
	bucketGenCache    = []byte("gen_cache")     // generation key hash → generation id
	bucketLabels      = []byte("labels")        // seq → Label (JSON), append-only
	bucketSessions    = []byte("sessions")      // annotator NUL comparison → Session (JSON)
	bucketEvals       = []byte("evals")         // seq → EvalRun (JSON), append-only
	// bucketCurrent pins a user's current summary version where it is not
	// the newest: a merge adds other databases' versions after this one's
	// without changing which one is current here.
	bucketCurrent = []byte("current_summary") // user → version (uint32)

	allBuckets = [][]byte{bucketMeta, bucketUsers, bucketSignals, bucketBodies, bucketSummaries,
		bucketGenerations, bucketGenCache, bucketLabels, bucketSessions, bucketEvals, bucketCurrent}

	keySchema        = []byte("schema_version")
	keyImportPending = []byte("import_pending")
)

const initialMmapSize = 1 << 30

// LockTimeout is how long Open waits for another process to let go of the file.
const LockTimeout = 2 * time.Second

// ErrInUse is returned by Open when another process holds the database.
var ErrInUse = errors.New("in use by another popi-tui process")

// DB is an open popi-tui database. Its methods are safe for concurrent use.
type DB struct {
	bolt     *bolt.DB
	path     string
	importMu sync.Mutex // held by the one import under way
	// Recovered describes interrupted imports that Open rolled back.
	Recovered []string
}

// Open opens (creating if needed, with its directories) the database at
// path, upgrades its schema and rolls back any import a crash interrupted.
func Open(path string) (*DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("open database %s: %w", path, err)
		}
	}
	b, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:      LockTimeout,
		FreelistType: bolt.FreelistMapType,
		// Address space, not memory: a large first mapping spares a growing
		// database the remaps that copy every open node out of the old map.
		InitialMmapSize: initialMmapSize,
	})
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return nil, fmt.Errorf("%s is %w", path, ErrInUse)
	case err != nil && !errors.As(err, new(*fs.PathError)):
		// bbolt's own complaints (invalid, version mismatch, checksum, file
		// too small) all mean the file is not a database this can read.
		return nil, fmt.Errorf("open database %s: not a popi-tui database (%v)", path, err)
	case err != nil:
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	// Batched writes (summaries and generations arriving together from a
	// bulk run) wait at most this long for company before committing.
	b.MaxBatchDelay = 2 * time.Millisecond
	db := &DB{bolt: b, path: path}
	if err := db.migrate(); err != nil {
		b.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	if err := db.recoverImport(); err != nil {
		b.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return db, nil
}

// Path is the file the database lives in.
func (db *DB) Path() string { return db.path }

// Close releases the file.
func (db *DB) Close() error { return db.bolt.Close() }
