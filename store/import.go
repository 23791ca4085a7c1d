package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/popi-tui/popi-tui/store/format"
)

// The formats ImportOptions.Format names (package format reads them).
const (
	FormatAuto   = format.Auto   // decided by the first record
	FormatPopi   = format.Popi   // popi JSONL
	FormatAlignX = format.AlignX // AlignX
)

// MaxReportedErrors is how many bad records an import lists; the rest are
// only counted.
const MaxReportedErrors = 20

// ErrRejected marks an import that found bad records and so added nothing.
var ErrRejected = errors.New("rejected")

// ErrInterrupted marks an import stopped by its context (Ctrl-C): it
// added nothing.
var ErrInterrupted = errors.New("interrupted")

// RejectedError is the error of an import that found bad records; it
// matches ErrRejected.
type RejectedError struct {
	File       string
	BadRecords int
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("%s: %d bad record(s); nothing from this file was imported", e.File, e.BadRecords)
}

func (e *RejectedError) Is(target error) bool { return target == ErrRejected }

// ImportOptions tune one import.
type ImportOptions struct {
	Format format.Format
	// Dataset tags the users the import creates (User.Dataset; CheckDataset
	// says what a name may be): "" tags none. Users already in the
	// database keep the dataset they came with.
	Dataset string
	// Progress, when set, is called now and then with the number of bytes
	// of input consumed so far.
	Progress func(bytesRead int64)
}

// ImportError is one bad record.
type ImportError struct {
	File   string
	Line   int
	Reason string
}

func (e *ImportError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason) }

// ImportReport says what an import did.
type ImportReport struct {
	File       string
	Format     format.Format
	Records    int    // records read, good and bad
	Users      int    // users added
	Added      Counts // signals added
	Duplicates int    // signals already in the database, skipped
	Bytes      int64  // input consumed
	Errors     []*ImportError
	BadRecords int // all bad records, of which Errors lists the first
}

// importItem is one signal of a parsed record on its way to the writer,
// already encoded as stored: the parser's goroutine does that work, and
// the strings it decoded are garbage before the batch is written.
type importItem struct {
	line     int
	key      []byte // signalKey(user, id)
	user, id string
	kind     Kind
	split    Split
	body     []byte // encodeSignal
	userMeta []byte // for a user the record creates
}

type importBatch struct {
	items []importItem
	// errs are the batch's first bad records; the others are only counted,
	// so that a file of nothing but bad records still takes little memory
	// (the first MaxReportedErrors of a file are among the first of its
	// batches).
	errs    []*ImportError
	dropped int
	bytes   int64 // input consumed when the batch was cut
	arena   byteArena
}

func (b *importBatch) bad(e *ImportError) {
	if len(b.errs) < MaxReportedErrors {
		b.errs = append(b.errs, e)
	} else {
		b.dropped++
	}
}

// add encodes a parsed record's signals into the batch.
func (b *importBatch) add(rec *format.Record) (size int) {
	for i := range rec.Signals {
		s := &rec.Signals[i]
		key := b.arena.alloc(len(s.User) + 1 + len(s.ID))
		key = append(append(append(key, s.User...), 0), s.ID...)
		body := encodeSignal(b.arena.alloc(encodedSignalSize(s)), s)
		b.items = append(b.items, importItem{line: rec.Line, key: key, user: s.User, id: s.ID,
			kind: s.Kind, split: s.Split, body: body, userMeta: rec.UserMeta})
		size += len(body) + len(key)
	}
	return size
}

// Batches of bodies are cut at whichever comes first. Each is one
// transaction. Small batches keep memory flat however big the file (two
// are in memory at once: one being parsed, one being written);
// appending bodies costs the same in small batches as in large ones, only
// the index is costly to rewrite, and it is written apart (flushIndex).
// Measured in store/bench_test.go.
const (
	batchRecords = 8192
	batchBytes   = 2 << 20
)

// pendingImport is the journal entry of an import under way. Its records
// are bodies with Seq >= StartSeq; while the entry exists they are not yet
// part of the database, and Open rolls them back.
type pendingImport struct {
	File     string    `json:"file"`
	StartSeq uint64    `json:"start_seq"`
	Started  time.Time `json:"started"`
}

// Import reads one file of user records and adds them, all or nothing: a
// file with any bad record is rejected whole, and an import interrupted by
// a crash is rolled back the next time the database is opened. Records
// already in the database are skipped, so importing a file twice adds
// nothing. name is used in messages only. The records are read and parsed
// by package format, in a goroutine of their own, while this one writes
// them.
func (db *DB) Import(ctx context.Context, name string, r io.Reader, opt ImportOptions) (ImportReport, error) {
	rep := ImportReport{File: name, Format: opt.Format}
	if rep.Format == "" {
		rep.Format = FormatAuto
	}
	// One import at a time: an import owns the journal entry and the tail
	// of the bodies until it commits or rolls back.
	db.importMu.Lock()
	defer db.importMu.Unlock()
	// An earlier import in this process may have failed to commit or roll
	// back (a full disk, say); finish rolling it back before starting.
	if err := db.recoverImport(); err != nil {
		return rep, fmt.Errorf("import %s: %w", name, err)
	}
	if opt.Dataset != "" {
		if why := CheckDataset(opt.Dataset); why != "" {
			return rep, fmt.Errorf("import %s: dataset %q %s", name, opt.Dataset, why)
		}
	}
	w := importWriter{db: db, file: name, dataset: opt.Dataset}
	defer w.removeRuns()
	failure := w.run(ctx, r, opt.Progress, &rep)
	rep.Errors, rep.BadRecords = w.errs, w.badCount
	if failure != nil {
		if w.pending != nil {
			if err := db.rollbackImport(*w.pending); err != nil {
				return rep, fmt.Errorf("import %s: %w; rolling back: %v (it will be retried when the database is next opened)", name, failure, err)
			}
		}
		if errors.Is(failure, ErrRejected) {
			return rep, &RejectedError{File: name, BadRecords: w.badCount}
		}
		return rep, fmt.Errorf("import %s: %w; nothing from this file was imported", name, failure)
	}
	if w.pending != nil {
		if err := w.commit(); err != nil {
			return rep, fmt.Errorf("import %s: %w; it will be rolled back when the database is next opened", name, err)
		}
	}
	rep.Users, rep.Added, rep.Duplicates = w.users, w.added, w.dups
	return rep, nil
}

// run parses r in a goroutine and writes its batches as they come, and
// says why the import fails, if it does. Cancelling ctx returns at once,
// even while the parser waits for input that may never come (an idle
// pipe): nothing here waits for it.
func (w *importWriter) run(parent context.Context, r io.Reader, progress func(int64), rep *ImportReport) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	batches := make(chan importBatch)
	parsed := make(chan parseResult, 1) // sent just before batches closes
	go func() {
		defer close(batches)
		res := parseResult{format: rep.Format}
		src, err := format.NewReader(r, rep.Format)
		if err == nil {
			err = parseRecords(ctx, w.file, src, &res.records, batches)
			res.format = src.Format()
		}
		res.err = err
		parsed <- res
	}()
	var writeErr, readErr error
loop:
	for {
		select {
		case b, ok := <-batches:
			if !ok {
				res := <-parsed
				rep.Format, rep.Records, readErr = res.format, res.records, res.err
				break loop
			}
			for _, e := range b.errs {
				w.bad(e)
			}
			w.badCount += b.dropped
			if writeErr == nil && ctx.Err() == nil {
				if writeErr = w.write(b.items); writeErr != nil {
					cancel() // stop the parser; the batches in flight are drained
				}
			}
			rep.Bytes = b.bytes
			if progress != nil {
				progress(b.bytes)
			}
		case <-parent.Done():
			break loop
		}
	}
	switch {
	case writeErr != nil:
		return writeErr
	case parent.Err() != nil:
		return ErrInterrupted
	case readErr != nil:
		return readErr
	case w.badCount > 0:
		return ErrRejected
	}
	if w.pending == nil {
		return nil // nothing new
	}
	if err := w.finishIndex(); err != nil {
		return err
	}
	if w.badCount > 0 { // ids taken twice in the file, found by the merge
		return ErrRejected
	}
	return nil
}

// parseResult is what the parser knows once it is done.
type parseResult struct {
	format  format.Format
	records int
	err     error
}

// parseRecords reads every record, sending them in batches, encoded as
// stored. It runs beside the writer so that parsing one batch overlaps
// committing the one before. Bad records travel in the batches too, so
// that the writer sees every problem in line order.
func parseRecords(ctx context.Context, name string, src *format.Reader, count *int, out chan<- importBatch) error {
	var b importBatch
	var size int
	flush := func() bool {
		b.bytes = src.BytesRead()
		select {
		case out <- b:
		case <-ctx.Done():
			return false
		}
		b, size = importBatch{}, 0
		return true
	}
	for {
		rec, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		*count++
		if rec.Bad != "" {
			b.bad(&ImportError{File: name, Line: rec.Line, Reason: rec.Bad})
			continue
		}
		size += b.add(&rec)
		if len(b.items) >= batchRecords || size >= batchBytes {
			if ctx.Err() != nil || !flush() {
				return ctx.Err()
			}
		}
	}
	flush()
	return ctx.Err()
}

// importWriter adds parsed records to the database. Bodies are appended
// batch by batch, in file order; index entries and new users wait in
// memory (up to indexFlushEntries of them), are spilled in sorted runs to
// temporary files, and are written once every body is in, merged in key
// order (import_index.go). A file scatters one user's records, so writing
// the index with every batch would rewrite most of its pages each time.
// Until the import commits, the journal entry says its bodies are not yet
// part of the database, so index entries may lag behind them.
type importWriter struct {
	db      *DB
	file    string
	dataset string         // the tag of the users it creates
	pending *pendingImport // set by the first batch that writes

	staged      map[string]indexEntry // index entries of the current run, by key
	stagedUsers map[string][]byte     // new users of the current run, encoded
	runs        importRuns            // the runs spilled so far
	seq         uint64                // the last body's Seq
	// indexWasEmpty: the import's index entries are all there will be, so
	// they fill the index's pages whole.
	indexWasEmpty bool

	users, dups int
	added       Counts
	errs        []*ImportError
	badCount    int
}

type indexEntry struct {
	seq   uint64
	kind  Kind
	split Split
	line  int // of the record, for a conflict found when runs are merged
}

// bad records a bad record, keeping the first MaxReportedErrors by line.
func (w *importWriter) bad(e *ImportError) {
	w.badCount++
	i := sort.Search(len(w.errs), func(i int) bool { return w.errs[i].Line > e.Line })
	if i >= MaxReportedErrors {
		return
	}
	w.errs = append(w.errs, nil)
	copy(w.errs[i+1:], w.errs[i:])
	w.errs[i] = e
	if len(w.errs) > MaxReportedErrors {
		w.errs = w.errs[:MaxReportedErrors]
	}
}

func (w *importWriter) write(items []importItem) error {
	if len(items) == 0 {
		return nil
	}
	if w.staged == nil {
		w.staged, w.stagedUsers = make(map[string]indexEntry), make(map[string][]byte)
	}
	var t batchTx
	err := w.db.bolt.Update(func(tx *bolt.Tx) error {
		t = batchTx{w: w, tx: tx, seq: w.seq, staged: map[string]indexEntry{}, users: map[string][]byte{}}
		return t.apply(items)
	})
	if err != nil {
		return fmt.Errorf("write batch: %w", err)
	}
	// Only now that the batch is on disk does its state become the writer's.
	if t.started != nil {
		w.pending = t.started
	}
	w.seq = t.seq
	for k, e := range t.staged {
		w.staged[k] = e
	}
	for k, v := range t.users {
		w.stagedUsers[k] = v
	}
	w.dups += t.dups
	w.added = w.added.Plus(t.added)
	for _, c := range t.conflicts {
		w.bad(&ImportError{File: w.file, Line: c.line, Reason: c.msg})
	}
	if len(w.staged)+len(w.stagedUsers) >= indexFlushEntries {
		return w.spillRun()
	}
	return nil
}

// batchTx is one batch's transaction. What it changes in the writer is
// kept apart until the transaction commits.
type batchTx struct {
	w       *importWriter
	tx      *bolt.Tx
	seq     uint64
	staged  map[string]indexEntry // this batch's new index entries
	users   map[string][]byte     // this batch's new users, encoded
	started *pendingImport

	dups      int
	added     Counts
	conflicts []conflict
}

type conflict struct {
	line int
	msg  string
}

func (t *batchTx) apply(items []importItem) error {
	bodies, idx, users := t.tx.Bucket(bucketBodies), t.tx.Bucket(bucketSignals), t.tx.Bucket(bucketUsers)
	bodies.FillPercent = 1  // keys only ever grow: pack pages full
	if t.w.pending == nil { // the first batch opens the journal entry
		t.seq = bodies.Sequence()
		t.started = &pendingImport{File: t.w.file, StartSeq: t.seq + 1, Started: time.Now().UTC()}
		first, _ := idx.Cursor().First()
		t.w.indexWasEmpty = first == nil
		v, err := json.Marshal(t.started)
		if err != nil {
			return err
		}
		if err := t.tx.Bucket(bucketMeta).Put(keyImportPending, v); err != nil {
			return err
		}
	}
	var arena byteArena
	seenUsers := map[string]bool{}
	for i := range items {
		it := &items[i]
		if seq, ok := t.lookup(idx, it.key); ok {
			// Encodings are deterministic: the same bytes, the same record.
			if bytes.Equal(bodies.Get(seqKey(seq)), it.body) {
				t.dups++
			} else {
				t.conflicts = append(t.conflicts, conflict{it.line,
					fmt.Sprintf("id %q of user %q is already taken by a different record", it.id, it.user)})
			}
			continue
		}
		t.seq++
		if !seenUsers[it.user] {
			seenUsers[it.user] = true
			if err := t.newUser(users, it); err != nil {
				return err
			}
		}
		if err := bodies.Put(binary.BigEndian.AppendUint64(arena.alloc(8), t.seq), it.body); err != nil {
			return err
		}
		t.staged[string(it.key)] = indexEntry{t.seq, it.kind, it.split, it.line}
		t.added.add(it.kind, it.split, 1)
	}
	return bodies.SetSequence(t.seq)
}

// newUser stages the user of it, the first of its records this import
// adds, unless the user is here already. New users are written with the
// index entries, in sorted runs (flushIndex): written batch by batch, a
// file that scatters a million users would rewrite most pages of the users
// bucket with every batch.
func (t *batchTx) newUser(users *bolt.Bucket, it *importItem) error {
	if t.w.stagedUsers[it.user] != nil || users.Get([]byte(it.user)) != nil {
		return nil
	}
	v, err := json.Marshal(User{ID: it.user, Meta: it.userMeta, FirstSeq: t.seq, Dataset: t.w.dataset})
	if err != nil {
		return err
	}
	t.users[it.user] = v
	return nil
}

// lookup finds where a signal already is: in this batch, in this import's
// unwritten index entries, or in the index.
func (t *batchTx) lookup(idx *bolt.Bucket, key []byte) (uint64, bool) {
	if e, ok := t.staged[string(key)]; ok {
		return e.seq, true
	}
	if e, ok := t.w.staged[string(key)]; ok {
		return e.seq, true
	}
	if seq, _, _, ok := decodeIndexEntry(idx.Get(key)); ok {
		return seq, true
	}
	return 0, false
}
