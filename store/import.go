package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Format is an input layout the importer reads.
type Format string

const (
	FormatAuto   Format = "auto"   // decided by the first record
	FormatPopi   Format = "popi"   // DESIGN §3.1
	FormatAlignX Format = "alignx" // DESIGN §3.2
)

// ParseFormat checks a --format value.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case FormatAuto, FormatPopi, FormatAlignX:
		return f, nil
	}
	return "", fmt.Errorf("unknown format %q (want auto, popi or alignx)", s)
}

// MaxReportedErrors is how many bad records an import lists; the rest are
// only counted.
const MaxReportedErrors = 20

// ErrRejected marks an import that found bad records and so added nothing.
var ErrRejected = errors.New("rejected")

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
	Format Format
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
	Format     Format
	Records    int    // records read, good and bad
	Users      int    // users added
	Added      Counts // signals added
	Duplicates int    // signals already in the database, skipped
	Bytes      int64  // input consumed
	Errors     []*ImportError
	BadRecords int // all bad records, of which Errors lists the first
}

// importItem is one parsed record on its way to the writer.
type importItem struct {
	line int
	user parsedUser
}

type importBatch struct {
	items []importItem
	errs  []*ImportError
	bytes int64 // input consumed when the batch was cut
}

// Batches are cut at whichever comes first. Each batch is one transaction:
// bounded so that memory stays flat however big the file, large enough that
// the two fsyncs of a commit are paid rarely.
const (
	batchRecords = 8192
	batchBytes   = 8 << 20
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
// nothing. name is used in messages only.
func (db *DB) Import(ctx context.Context, name string, r io.Reader, opt ImportOptions) (ImportReport, error) {
	rep := ImportReport{File: name, Format: opt.Format}
	if rep.Format == "" {
		rep.Format = FormatAuto
	}
	rr, err := newRecordReader(r)
	if err != nil {
		return rep, fmt.Errorf("import %s: %w", name, err)
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan importBatch, 2)
	var readErr error // set by the parser before it closes batches
	go func() {
		defer close(batches)
		readErr = parseRecords(ctx, name, rr, &rep.Format, &rep.Records, batches)
	}()

	w := importWriter{db: db, file: name}
	var writeErr error
	for b := range batches {
		for _, e := range b.errs {
			w.bad(e)
		}
		if writeErr == nil && ctx.Err() == nil {
			if writeErr = w.write(b.items); writeErr != nil {
				cancel() // stop the parser; the batches in flight are drained
			}
		}
		rep.Bytes = b.bytes
		if opt.Progress != nil {
			opt.Progress(b.bytes)
		}
	}
	rep.Errors, rep.BadRecords = w.errs, w.badCount
	var failure error
	switch {
	case writeErr != nil:
		failure = writeErr
	case parent.Err() != nil:
		failure = fmt.Errorf("interrupted: %w", parent.Err())
	case readErr != nil:
		failure = readErr
	case w.badCount > 0:
		failure = ErrRejected
	}
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
		if err := db.commitImport(); err != nil {
			return rep, fmt.Errorf("import %s: %w", name, err)
		}
	}
	rep.Users, rep.Added, rep.Duplicates = w.users, w.added, w.dups
	return rep, nil
}

// parseRecords reads and parses every record, sending them in batches. It
// runs beside the writer so that parsing one batch overlaps committing the
// one before. Bad records travel in the batches too, so that the writer
// sees every problem in line order.
func parseRecords(ctx context.Context, name string, rr *recordReader, format *Format, count *int, out chan<- importBatch) error {
	var b importBatch
	var size int
	flush := func() bool {
		b.bytes = rr.n
		select {
		case out <- b:
		case <-ctx.Done():
			return false
		}
		b, size = importBatch{}, 0
		return true
	}
	for {
		rec, err := rr.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var ae *ArrayError
			if errors.As(err, &ae) { // the rest of the file cannot be split into records
				*count++
				b.errs = append(b.errs, &ImportError{File: name, Line: ae.Line, Reason: ae.Reason})
				break
			}
			return err
		}
		*count++
		if rec.bad != "" {
			b.errs = append(b.errs, &ImportError{File: name, Line: rec.line, Reason: rec.bad})
			continue
		}
		if *format == FormatAuto {
			*format = sniffFormat(rec.data)
		}
		u, err := parseRecord(*format, rec.data)
		if err != nil {
			b.errs = append(b.errs, recordErrorAt(name, rec, err))
			continue
		}
		for _, s := range u.signals {
			size += len(s.Prompt) + len(s.Chosen) + len(s.Rejected) + len(s.Text) + len(s.Meta) + 64
		}
		b.items = append(b.items, importItem{line: rec.line, user: u})
		if len(b.items) >= batchRecords || size >= batchBytes {
			if ctx.Err() != nil || !flush() {
				return ctx.Err()
			}
		}
	}
	if *format == FormatAuto {
		*format = FormatPopi // an empty file
	}
	flush()
	return ctx.Err()
}

func parseRecord(f Format, data []byte) (parsedUser, error) {
	if f == FormatAlignX {
		return parseAlignXRecord(data)
	}
	s, err := parsePopiRecord(data)
	if err != nil {
		return parsedUser{}, err
	}
	return parsedUser{id: s.User, signals: []Signal{s}}, nil
}

// sniffFormat decides --format auto from the first record: popi records
// say their kind; AlignX records have no kind but a pair's fields or the
// AlignX ones. Anything else is read as popi, whose messages then say what
// is missing.
func sniffFormat(data []byte) Format {
	var hasKind, looksAlignX bool
	scanObjectMembers(data, func(key string, _ jsonValue) error {
		switch key {
		case "kind":
			hasKind = true
		case "prompt", "chosen", "rejected", axHistory, axUGC, axDemographic, axPersona:
			looksAlignX = true
		}
		return nil
	})
	if !hasKind && looksAlignX {
		return FormatAlignX
	}
	return FormatPopi
}

// recordErrorAt places a parse error on the line (and column) it is on.
func recordErrorAt(file string, rec rawRecord, err error) *ImportError {
	off, reason := -1, err.Error()
	var se *jsonSyntaxError
	var re *recordError
	switch {
	case errors.As(err, &se):
		off = se.off
	case errors.As(err, &re):
		off = re.off
	}
	line := rec.line
	if off >= 0 && off <= len(rec.data) {
		before := rec.data[:off]
		line += bytes.Count(before, []byte("\n"))
		if se != nil {
			reason = fmt.Sprintf("%s (column %d)", reason, off-bytes.LastIndexByte(before, '\n'))
		}
	}
	return &ImportError{File: file, Line: line, Reason: reason}
}

// importWriter adds parsed records to the database, batch by batch.
type importWriter struct {
	db      *DB
	file    string
	pending *pendingImport // set by the first batch that writes

	users, dups int
	added       Counts
	errs        []*ImportError
	badCount    int
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
	var conflicts []*ImportError
	var started *pendingImport
	err := w.db.bolt.Update(func(tx *bolt.Tx) error {
		conflicts, started = conflicts[:0], nil
		t := importTx{
			idx:    tx.Bucket(bucketSignals),
			bodies: tx.Bucket(bucketBodies),
			users:  tx.Bucket(bucketUsers),
			cache:  map[string]*User{},
			dirty:  map[string]bool{},
		}
		t.bodies.FillPercent = 1 // keys only ever grow: pack pages full
		t.seq = t.bodies.Sequence()
		if w.pending == nil { // the first batch opens the journal entry
			started = &pendingImport{File: w.file, StartSeq: t.seq + 1, Started: time.Now().UTC()}
			v, err := json.Marshal(started)
			if err != nil {
				return err
			}
			if err := tx.Bucket(bucketMeta).Put(keyImportPending, v); err != nil {
				return err
			}
		}
		for _, it := range items {
			if err := t.add(it, func(msg string) {
				conflicts = append(conflicts, &ImportError{File: w.file, Line: it.line, Reason: msg})
			}); err != nil {
				return err
			}
		}
		if err := t.bodies.SetSequence(t.seq); err != nil {
			return err
		}
		if err := t.flushUsers(); err != nil {
			return err
		}
		w.users += t.newUsers
		w.dups += t.dups
		w.added = w.added.Plus(t.added)
		return nil
	})
	if err != nil {
		return fmt.Errorf("write batch: %w", err)
	}
	if started != nil {
		w.pending = started
	}
	for _, c := range conflicts {
		w.bad(c)
	}
	return nil
}

// importTx is the state of one batch's transaction.
type importTx struct {
	idx, bodies, users *bolt.Bucket
	seq                uint64
	cache              map[string]*User // users looked at by this batch
	dirty              map[string]bool  // users changed by this batch
	newUsers, dups     int
	added              Counts
}

func (t *importTx) add(it importItem, conflict func(string)) error {
	for i := range it.user.signals {
		s := &it.user.signals[i]
		key := signalKey(s.User, s.ID)
		if v := t.idx.Get(key); v != nil {
			seq, _, _, ok := decodeIndexEntry(v)
			old, err := decodeSignal(t.bodies.Get(seqKey(seq)), seq)
			if !ok || err != nil {
				return fmt.Errorf("signal %q of user %q: %w", s.ID, s.User, errCorruptSignal)
			}
			if old.sameContent(*s) {
				t.dups++
			} else {
				conflict(fmt.Sprintf("id %q of user %q is already taken by a different record", s.ID, s.User))
			}
			continue
		}
		u, err := t.user(s.User)
		if err != nil {
			return err
		}
		t.seq++
		if u.FirstSeq == 0 {
			u.FirstSeq = t.seq
			u.Meta = it.user.meta
			t.newUsers++
		}
		if err := t.bodies.Put(seqKey(t.seq), encodeSignal(nil, s)); err != nil {
			return err
		}
		if err := t.idx.Put(key, encodeIndexEntry(t.seq, s.Kind, s.Split)); err != nil {
			return err
		}
		u.Counts.add(s.Kind, s.Split, 1)
		t.dirty[s.User] = true
		t.added.add(s.Kind, s.Split, 1)
	}
	return nil
}

// user returns the user record to update, loading it once per batch.
func (t *importTx) user(id string) (*User, error) {
	if u, ok := t.cache[id]; ok {
		return u, nil
	}
	u := &User{ID: id}
	if v := t.users.Get([]byte(id)); v != nil {
		if err := json.Unmarshal(v, u); err != nil {
			return nil, fmt.Errorf("user %q: %w", id, err)
		}
	}
	t.cache[id] = u
	return u, nil
}

func (t *importTx) flushUsers() error {
	for id := range t.dirty {
		v, err := json.Marshal(t.cache[id])
		if err != nil {
			return err
		}
		if err := t.users.Put([]byte(id), v); err != nil {
			return err
		}
	}
	return nil
}

// commitImport makes an import's records part of the database.
func (db *DB) commitImport() error {
	return db.bolt.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Delete(keyImportPending)
	})
}
