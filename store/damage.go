package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"math/bits"
	"os"
	"runtime/debug"

	bolt "go.etcd.io/bbolt"
)

// A database file is memory-mapped by bbolt, which trusts the file: a page
// past the end of a cut-short file is a SIGBUS that kills the process, and
// a page with garbage in it is a panic. So a file is checked before it is
// mapped (checkFile), and every transaction runs guarded (boltDB), turning
// what slips through into a DamagedError naming the file.

// DamagedError is a database file that cannot be read as it is: cut short,
// with header pages that fail their checks, or with a page that bbolt
// cannot read. The file is left as it is.
type DamagedError struct {
	Path   string
	Reason string
	// Truncated says the file looks cut short (a copy that stopped early,
	// a full disk).
	Truncated bool
}

func (e *DamagedError) Error() string {
	if e.Truncated {
		return fmt.Sprintf("%s is damaged (truncated?): %s", e.Path, e.Reason)
	}
	return fmt.Sprintf("%s is damaged: %s", e.Path, e.Reason)
}

// bbolt's on-disk layout (go.etcd.io/bbolt/internal/common, format
// version 2), written in the machine's byte order. Every page starts with
// a 16-byte header (id uint64, flags uint16, count uint16, overflow
// uint32); pages 0 and 1 hold a meta each, right after the header: magic,
// version, page size, flags (uint32 each), the root bucket (root page and
// sequence), the freelist page, the high-water mark pgid (pages in use),
// the transaction id and an FNV-64a checksum of the fields before it
// (uint64 each). bbolt writes the two metas in turn and uses the valid one
// with the larger transaction id.
const (
	pageHeaderSize   = 16
	metaSize         = 56 // the fields before the checksum
	boltMagic        = 0xED0CDAED
	boltVersion      = 2
	freelistPageFlag = 0x10
	pgidNoFreelist   = ^uint64(0)
	// minPageSize and maxPageSize bound the page sizes bbolt looks for a
	// second meta at (1 KiB to 16 MiB).
	minPageSize = 1 << 10
	maxPageSize = 1 << 24
)

type boltMeta struct {
	magic, version, pageSize uint32
	root, freelist, pgid     uint64
	txid                     uint64
	checksumOK               bool
}

// parseMeta reads the meta of the page that starts b.
func parseMeta(b []byte) (m boltMeta, ok bool) {
	if len(b) < pageHeaderSize+metaSize+8 {
		return m, false
	}
	ne := binary.NativeEndian
	b = b[pageHeaderSize:]
	m = boltMeta{
		magic:    ne.Uint32(b[0:]),
		version:  ne.Uint32(b[4:]),
		pageSize: ne.Uint32(b[8:]),
		root:     ne.Uint64(b[16:]),
		freelist: ne.Uint64(b[32:]),
		pgid:     ne.Uint64(b[40:]),
		txid:     ne.Uint64(b[48:]),
	}
	h := fnv.New64a()
	h.Write(b[:metaSize])
	m.checksumOK = h.Sum64() == ne.Uint64(b[metaSize:])
	return m, true
}

func (m boltMeta) valid() bool {
	return m.magic == boltMagic && m.version == boltVersion && m.checksumOK
}

// checkFile checks that the database file at path, if there is one, is
// whole before bbolt maps it: both header pages can be read, one of them
// is valid, and the file holds every page that header says is in use.
// It only reads the file. A path with nothing at it is fine (Open creates
// it); a directory is left for the open to report.
func checkFile(path string) error {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case st.IsDir():
		return nil
	case !st.Mode().IsRegular():
		// Opening a pipe would wait for a writer; a device is no database.
		return errors.New("not a popi-tui database (not a regular file)")
	case st.Size() == 0:
		// bbolt would make a new database of it; a file that once was one
		// and was cut to nothing would then quietly be empty.
		return &DamagedError{Path: path, Truncated: true,
			Reason: "the file is empty (0 bytes)"}
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return checkLayout(path, f, st.Size())
}

// checkLayout is checkFile on the open file r of size bytes.
func checkLayout(path string, r io.ReaderAt, size int64) error {
	damaged := func(truncated bool, format string, args ...any) error {
		return &DamagedError{Path: path, Truncated: truncated, Reason: fmt.Sprintf(format, args...)}
	}
	buf := make([]byte, pageHeaderSize+metaSize+8)
	readMeta := func(off int64) (boltMeta, bool) {
		if n, _ := r.ReadAt(buf, off); n < len(buf) {
			return boltMeta{}, false
		}
		return parseMeta(buf)
	}
	// A file with no bbolt marker where either meta would be is some
	// other file; one with a marker is a database, perhaps a damaged one.
	m0, whole := readMeta(0)
	if !whole {
		if n, _ := r.ReadAt(buf[:pageHeaderSize+4], 0); n == pageHeaderSize+4 &&
			binary.NativeEndian.Uint32(buf[pageHeaderSize:]) == boltMagic {
			return damaged(true, "it is %d bytes, shorter than its first header page", size)
		}
		return errNotBolt
	}
	// The page size: from the first meta, else from a valid second one
	// found where bbolt looks for it (at 1 KiB, 2 KiB, … 16 MiB).
	pageSize, marked := int64(0), m0.magic == boltMagic
	if m0.valid() {
		pageSize = int64(m0.pageSize)
	} else {
		for off := int64(minPageSize); off <= maxPageSize && off < size; off <<= 1 {
			m, ok := readMeta(off)
			marked = marked || (ok && m.magic == boltMagic)
			if ok && m.valid() {
				pageSize = int64(m.pageSize)
				break
			}
		}
	}
	switch {
	case !marked:
		return errNotBolt
	case m0.magic == boltMagic && m0.version != boltVersion && m0.checksumOK:
		return fmt.Errorf("not a popi-tui database this build can read (bbolt file format %d, want %d)", m0.version, boltVersion)
	case pageSize == 0:
		return damaged(false, "neither of its two header pages is valid (checksum or marker wrong)")
	case pageSize < minPageSize || pageSize > maxPageSize:
		return damaged(false, "its header gives a page size of %d bytes", pageSize)
	case size < 2*pageSize:
		return damaged(true, "it is %d bytes, shorter than its two header pages (%d bytes)", size, 2*pageSize)
	}
	// The meta bbolt would use: the valid one with the larger txid.
	m1, _ := readMeta(pageSize)
	meta := m0
	switch {
	case m0.valid() && m1.valid():
		if m1.txid > m0.txid {
			meta = m1
		}
	case m1.valid():
		meta = m1
	case !m0.valid():
		return damaged(false, "neither of its two header pages is valid (checksum or marker wrong)")
	}
	if int64(meta.pageSize) != pageSize {
		return damaged(false, "its two header pages disagree on the page size (%d and %d bytes)", m0.pageSize, m1.pageSize)
	}
	if hi, need := bits.Mul64(meta.pgid, uint64(pageSize)); hi != 0 || need > uint64(size) {
		return damaged(true, "it is %d bytes, but its header says it holds %d pages of %d bytes (%.0f bytes)",
			size, meta.pgid, pageSize, float64(meta.pgid)*float64(pageSize))
	}
	if meta.pgid < 4 || meta.root < 2 || meta.root >= meta.pgid ||
		(meta.freelist != pgidNoFreelist && (meta.freelist < 2 || meta.freelist >= meta.pgid)) {
		return damaged(false, "its header points outside the file (root page %d, freelist page %d, %d pages)", meta.root, meta.freelist, meta.pgid)
	}
	if meta.freelist != pgidNoFreelist {
		return checkFreelist(r, meta, pageSize, damaged)
	}
	return nil
}

// checkFreelist checks the freelist page of the meta bbolt would use:
// bbolt reads it as it opens a database for writing, outside any
// transaction.
func checkFreelist(r io.ReaderAt, meta boltMeta, pageSize int64, damaged func(bool, string, ...any) error) error {
	hdr := make([]byte, pageHeaderSize)
	if n, _ := r.ReadAt(hdr, int64(meta.freelist)*pageSize); n < len(hdr) {
		return damaged(true, "its freelist page %d cannot be read", meta.freelist)
	}
	flags := binary.NativeEndian.Uint16(hdr[8:])
	overflow := uint64(binary.NativeEndian.Uint32(hdr[12:]))
	if flags != freelistPageFlag || meta.freelist+overflow >= meta.pgid {
		return damaged(false, "its freelist page %d is not a freelist page", meta.freelist)
	}
	return nil
}

// errNotBolt is a file that is no bbolt database at all.
var errNotBolt = errors.New("not a popi-tui database (not a bbolt file)")

// boltDB is a bbolt database whose transactions are guarded: a damaged
// page makes bbolt panic, or fault reading past the end of the file; in
// the goroutine that runs the transaction that becomes a DamagedError
// naming the file rather than a crash. bbolt rolls the transaction back
// as the panic passes, so the file is not changed and the handle stays
// usable. (A batch's commit in bbolt's own goroutine is not covered; its
// functions' panics come back to the caller as errors.)
type boltDB struct {
	*bolt.DB
	path string
}

func (b boltDB) View(fn func(*bolt.Tx) error) (err error) {
	defer guard(b.path, &err)()
	return b.DB.View(fn)
}

func (b boltDB) Update(fn func(*bolt.Tx) error) (err error) {
	defer guard(b.path, &err)()
	return b.DB.Update(fn)
}

func (b boltDB) Batch(fn func(*bolt.Tx) error) (err error) {
	defer guard(b.path, &err)()
	return b.DB.Batch(fn)
}

// guard makes a fault in this goroutine a panic until the function it
// returns, deferred, recovers it as a DamagedError of path.
func guard(path string, err *error) func() {
	old := debug.SetPanicOnFault(true)
	return func() {
		debug.SetPanicOnFault(old)
		if p := recover(); p != nil {
			*err = &DamagedError{Path: path, Reason: fmt.Sprintf("reading it failed: %v", p)}
		}
	}
}
