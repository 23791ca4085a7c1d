// Package store is popi-tui's database: one bbolt file holding users and
// their signals, summary versions, cached generations, labels and annotator
// sessions. It imports files all or nothing, records parsed by package
// format, and offers the iterators the exporters of package format/trl
// read (ARCHITECTURE.md).
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
	// bucketHumanSummaries and bucketSummaryLabels (summary_index.go) list
	// what the summaries export reads.

	allBuckets = [][]byte{bucketMeta, bucketUsers, bucketSignals, bucketBodies, bucketSummaries,
		bucketGenerations, bucketGenCache, bucketLabels, bucketSessions, bucketEvals, bucketCurrent,
		bucketHumanSummaries, bucketSummaryLabels, bucketLabelLive, bucketLabelItemLive, bucketLabelWithdrawn}

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
	bolt     boltDB // every transaction guarded against damaged pages
	path     string
	importMu sync.Mutex // held by the one import under way
	// Recovered describes interrupted imports that Open rolled back.
	Recovered []string
}

// Open opens (creating if needed, with its directories) the database at
// path, upgrades its schema and rolls back any import a crash interrupted.
// A damaged file (cut short, say) is refused with a DamagedError before it
// is mapped, and left as it is.
func Open(path string) (*DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("open database %s: %w", path, err)
		}
	}
	b, err := openBolt(path, &bolt.Options{
		FreelistType: bolt.FreelistMapType,
		// Address space, not memory: a large first mapping spares a growing
		// database the remaps that copy every open node out of the old map.
		InitialMmapSize: initialMmapSize,
	})
	var damaged *DamagedError
	switch {
	case errors.Is(err, ErrInUse):
		return nil, fmt.Errorf("%s is %w", path, ErrInUse)
	case errors.As(err, &damaged): // names the file already
		return nil, err
	case err != nil:
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	// Batched writes (summaries and generations arriving together from a
	// bulk run) wait at most this long for company before committing.
	b.MaxBatchDelay = 2 * time.Millisecond
	db := &DB{bolt: b, path: path}
	if err := db.migrate(); err != nil {
		b.Close()
		if errors.As(err, &damaged) {
			return nil, err
		}
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	if err := db.recoverImport(); err != nil {
		b.Close()
		if errors.As(err, &damaged) {
			return nil, err
		}
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return db, nil
}

// openBolt checks the file at path (checkFile) and opens it with bbolt,
// waiting at most LockTimeout for another process to let go of it (then
// ErrInUse). bbolt's own complaints mean the file is not a database this
// can read; a panic or fault inside bbolt.Open (a damaged page it reads
// on the way) is a DamagedError.
func openBolt(path string, opts *bolt.Options) (b boltDB, err error) {
	if err := checkFile(path); err != nil {
		return boltDB{}, err
	}
	if !opts.ReadOnly {
		if err := createFile(path); err != nil {
			return boltDB{}, err
		}
	}
	opts.Timeout = LockTimeout
	// Keep the file, to let go of its lock should bbolt panic half-way.
	var file *os.File
	opts.OpenFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
		f, err := os.OpenFile(name, flag, perm)
		file = f
		return f, err
	}
	defer func() {
		if _, ok := err.(*DamagedError); ok && b.DB == nil && file != nil {
			file.Close()
		}
	}()
	defer guard(path, &err)()
	db, err := bolt.Open(path, 0o600, opts)
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return boltDB{}, ErrInUse
	case err != nil && !errors.As(err, new(*fs.PathError)):
		return boltDB{}, fmt.Errorf("not a popi-tui database (%v)", err)
	case err != nil:
		return boltDB{}, err
	}
	return boltDB{DB: db, path: path}, nil
}

// createFile makes a new database file at path if there is none, whole or
// not at all: bbolt writes it beside path and it is linked into place once
// synced. bbolt creating it in place would leave an empty file if killed
// at that moment, and an empty file is refused (checkFile) because it may
// be a database cut to nothing. Where hard links are not to be had, bbolt
// creates the file in place as before.
func createFile(path string) error {
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		return nil // there is a file (or another error, which opening it will say)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".new-*")
	if err != nil {
		return nil
	}
	name := tmp.Name()
	tmp.Close()
	defer os.Remove(name)
	b, err := bolt.Open(name, 0o600, &bolt.Options{Timeout: LockTimeout})
	if err != nil {
		return fmt.Errorf("open database %s: create: %w", path, err)
	}
	if err := b.Close(); err != nil {
		return fmt.Errorf("open database %s: create: %w", path, err)
	}
	// Link fails if another process made the file meanwhile: then that
	// one is opened.
	if err := os.Link(name, path); err == nil {
		syncDir(filepath.Dir(path))
	}
	return nil
}

// Path is the file the database lives in.
func (db *DB) Path() string { return db.path }

// Close releases the file.
func (db *DB) Close() error { return db.bolt.Close() }
