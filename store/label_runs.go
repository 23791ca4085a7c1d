package store

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
)

// An export works out which decisions are current, and which of those it
// writes, item by item, so that memory does not grow with the labels: it
// writes a fixed-size entry per label to sorted runs in a temporary
// directory (the import's spilled runs, done at export time), then merges
// them so that each item's labels (every annotator's) arrive together.

// labelEntry is what the rule and an export's choice need of one label.
type labelEntry struct {
	group     hash128 // user, prompt and comparison: every annotator's decisions on one item
	id        hash128
	target    hash128 // what a retraction takes back or a label amends; zero for none
	annotator uint64  // hashed: the rule's item is the group and the annotator
	note      uint64  // what the export's Note kept of a decision
	sec       int64   // DecidedAt
	nsec      int32
	index     uint32 // storage order among the labels
	kind      uint8  // markDecision, markRetraction or markOther
}

// labelEntrySize is an entry's length in a run file.
const labelEntrySize = 3*16 + 3*8 + 2*4 + 1

// compareEntries orders entries by group, then storage order.
func compareEntries(a, b *labelEntry) int {
	if c := compareHash(a.group, b.group); c != 0 {
		return c
	}
	return int(a.index) - int(b.index)
}

func (e *labelEntry) appendTo(b []byte) []byte {
	for _, h := range [...]hash128{e.group, e.id, e.target} {
		b = binary.LittleEndian.AppendUint64(b, h[0])
		b = binary.LittleEndian.AppendUint64(b, h[1])
	}
	b = binary.LittleEndian.AppendUint64(b, e.annotator)
	b = binary.LittleEndian.AppendUint64(b, e.note)
	b = binary.LittleEndian.AppendUint64(b, uint64(e.sec))
	b = binary.LittleEndian.AppendUint32(b, uint32(e.nsec))
	b = binary.LittleEndian.AppendUint32(b, e.index)
	return append(b, e.kind)
}

func (e *labelEntry) decode(b []byte) {
	u := func(i int) uint64 { return binary.LittleEndian.Uint64(b[8*i:]) }
	e.group, e.id, e.target = hash128{u(0), u(1)}, hash128{u(2), u(3)}, hash128{u(4), u(5)}
	e.annotator, e.note, e.sec = u(6), u(7), int64(u(8))
	e.nsec = int32(binary.LittleEndian.Uint32(b[72:]))
	e.index = binary.LittleEndian.Uint32(b[76:])
	e.kind = b[80]
}

// labelRunSize is how many entries a run holds: 65,536 are 5 MiB in
// memory; a million labels make 16 runs of 5 MiB on disk.
const labelRunSize = 65536

// labelRuns gathers the entries and spills them, sorted, to files in a
// temporary directory of their own (os.TempDir, or TMPDIR), which remove
// deletes; the last run stays in memory. Nothing in it outlives the export.
type labelRuns struct {
	size    int // entries per run
	pending []labelEntry
	dir     string
	unlock  func() // lets go of dir's lock (label_runs_stale.go)
	files   []string
}

func newLabelRuns(size int) *labelRuns {
	return &labelRuns{size: size, pending: make([]labelEntry, 0, min(size, 4096))}
}

// add takes the next label's entry, spilling a run when one is full.
func (r *labelRuns) add(e labelEntry) error {
	r.pending = append(r.pending, e)
	if len(r.pending) < r.size {
		return nil
	}
	return r.spill()
}

// spill writes the pending entries, sorted, to a new run file.
func (r *labelRuns) spill() error {
	if r.dir == "" {
		dir, unlock, err := makeLabelRunsDir()
		if err != nil {
			return fmt.Errorf("label runs: %w", err)
		}
		r.dir, r.unlock = dir, unlock
	}
	path := filepath.Join(r.dir, fmt.Sprintf("run-%d", len(r.files)))
	sort.Sort(entriesInOrder(r.pending))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("label runs: %w", err)
	}
	r.files = append(r.files, path) // removed with the directory, written or not
	w := bufio.NewWriterSize(f, 1<<16)
	buf := make([]byte, 0, labelEntrySize)
	for i := range r.pending {
		buf = r.pending[i].appendTo(buf[:0])
		if _, err := w.Write(buf); err != nil {
			break // Flush reports it
		}
	}
	err = errors.Join(w.Flush(), f.Close())
	if err != nil {
		return fmt.Errorf("label runs: write %s: %w", path, err)
	}
	r.pending = r.pending[:0]
	return nil
}

// finish sorts the entries not spilled: they are the last run, read from
// memory.
func (r *labelRuns) finish() { sort.Sort(entriesInOrder(r.pending)) }

// entriesInOrder sorts entries by compareEntries, comparing them in place
// (a third faster than slices.SortFunc, which copies both to compare).
type entriesInOrder []labelEntry

func (s entriesInOrder) Len() int           { return len(s) }
func (s entriesInOrder) Less(i, j int) bool { return compareEntries(&s[i], &s[j]) < 0 }
func (s entriesInOrder) Swap(i, j int)      { s[i], s[j] = s[j], s[i] }

// remove deletes the run files and their directory.
func (r *labelRuns) remove() error {
	if r.dir == "" {
		return nil
	}
	r.unlock()
	err := os.RemoveAll(r.dir)
	r.dir, r.files, r.unlock = "", nil, nil
	if err != nil {
		return fmt.Errorf("label runs: %w", err)
	}
	return nil
}

// runFile reads a run file an entry at a time.
type runFile struct {
	path string
	f    *os.File
	r    *bufio.Reader
	buf  [labelEntrySize]byte
}

func openRun(path string) (*runFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("label runs: %w", err)
	}
	return &runFile{path: path, f: f, r: bufio.NewReaderSize(f, 1<<16)}, nil
}

// next reads the next entry; ok is false at the end of the file. A file
// that ends inside an entry is an error naming it.
func (rf *runFile) next(e *labelEntry) (ok bool, err error) {
	n, err := io.ReadFull(rf.r, rf.buf[:])
	switch {
	case err == io.EOF:
		return false, nil
	case err == io.ErrUnexpectedEOF:
		return false, fmt.Errorf("label runs: %s: truncated (%d bytes of a %d-byte entry)", rf.path, n, labelEntrySize)
	case err != nil:
		return false, fmt.Errorf("label runs: read %s: %w", rf.path, err)
	}
	e.decode(rf.buf[:])
	return true, nil
}
