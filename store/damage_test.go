package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// bigDB builds a real database whose pages in use fill more than half of
// its file (bbolt grows a file 16 MiB ahead of what it uses, so it takes
// some 20 MiB of data), and returns its path, closed.
func bigDB(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "big.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var b strings.Builder
	long := strings.Repeat("a rather long rejected answer ", 130)
	for i := 0; i < 6000; i++ {
		fmt.Fprintf(&b, `{"user":"u%03d","kind":"pair","prompt":"question %d","chosen":"short %d","rejected":"%s %d"}`+"\n", i%300, i, i, long, i)
	}
	if _, err := importString(t, db, "big.jsonl", b.String(), FormatPopi); err != nil {
		t.Fatal(err)
	}
	var used int64
	db.bolt.View(func(tx *bolt.Tx) error { used = tx.Size(); return nil })
	if st, err := os.Stat(path); err != nil || used <= st.Size()/2 {
		t.Fatalf("the fixture uses %d bytes of its file (%v): cutting it in half would leave it whole", used, err)
	}
	return path
}

// currentMeta is the header page bbolt would use: the valid one of the
// two with the higher transaction id (which of the two that is depends
// on how many transactions wrote the file).
func currentMeta(src []byte) boltMeta {
	m, _ := parseMeta(src)
	if other, ok := parseMeta(src[m.pageSize:]); ok && other.valid() && (!m.valid() || other.txid > m.txid) {
		return other
	}
	return m
}

// damagedCopy writes a damaged copy of the database file src to dst.
type damagedCopy func(t *testing.T, src []byte) []byte

// setMetaField changes a uint64 field of both meta pages (bbolt's layout:
// the meta follows the 16-byte page header), keeping their checksums
// valid when fix is set.
func setMetaField(data []byte, off int, v uint64, fix bool) {
	pageSize := int(binary.NativeEndian.Uint32(data[pageHeaderSize+8:]))
	for _, p := range []int{0, pageSize} {
		m := data[p+pageHeaderSize:]
		binary.NativeEndian.PutUint64(m[off:], v)
		if fix {
			sum := fnv64a(m[:metaSize])
			binary.NativeEndian.PutUint64(m[metaSize:], sum)
		}
	}
}

func fnv64a(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

func damagedFiles() []struct {
	name    string
	damage  damagedCopy
	want    string
	damaged bool // a DamagedError (else: not a database at all)
} {
	return []struct {
		name    string
		damage  damagedCopy
		want    string
		damaged bool
	}{
		{"first 20,000 bytes", func(t *testing.T, src []byte) []byte { return src[:20000] },
			"is damaged (truncated?): it is 20000 bytes, but its header says it holds", true},
		{"first half", func(t *testing.T, src []byte) []byte { return src[:len(src)/2] },
			"is damaged (truncated?): it is", true},
		{"empty", func(t *testing.T, src []byte) []byte { return nil },
			"is damaged (truncated?): the file is empty (0 bytes)", true},
		{"first 50 bytes", func(t *testing.T, src []byte) []byte { return src[:50] },
			"is damaged (truncated?): it is 50 bytes, shorter than its first header page", true},
		{"first 5,000 bytes", func(t *testing.T, src []byte) []byte { return src[:5000] },
			"is damaged (truncated?): it is 5000 bytes, shorter than its two header pages", true},
		{"both header checksums wrong", func(t *testing.T, src []byte) []byte {
			setMetaField(src, 48, 7777, false) // txid
			return src
		}, "is damaged: neither of its two header pages is valid", true},
		{"header says more pages than there are", func(t *testing.T, src []byte) []byte {
			setMetaField(src, 40, 1<<40, true) // pgid
			return src
		}, "is damaged (truncated?): it is", true},
		{"freelist page overwritten", func(t *testing.T, src []byte) []byte {
			m := currentMeta(src)
			off := int(m.freelist) * int(m.pageSize)
			copy(src[off:off+pageHeaderSize], bytes.Repeat([]byte{0xAB}, pageHeaderSize))
			return src
		}, "is not a freelist page", true},
		{"root page overwritten", func(t *testing.T, src []byte) []byte {
			m := currentMeta(src)
			off := int(m.root) * int(m.pageSize)
			copy(src[off:off+int(m.pageSize)], bytes.Repeat([]byte{0xFF}, int(m.pageSize)))
			return src
		}, "is damaged: reading it failed", true},
		{"random bytes", func(t *testing.T, src []byte) []byte {
			b := make([]byte, 1<<16)
			rand.New(rand.NewSource(1)).Read(b)
			return b
		}, "not a popi-tui database (not a bbolt file)", false},
	}
}

// A damaged database file is refused by Open and by Merge with an error
// naming it, never a crash (a file cut short used to be a SIGBUS), and is
// left byte for byte as it was.
func TestDamagedFileIsRefused(t *testing.T) {
	dir := t.TempDir()
	big, err := os.ReadFile(bigDB(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	here := mgOpen(t, dir, "here.db")
	for _, tt := range damagedFiles() {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "copy.db")
			data := tt.damage(t, bytes.Clone(big))
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			for _, open := range []struct {
				what string
				run  func() error
			}{
				{"Open", func() error {
					db, err := Open(path)
					if err == nil {
						db.Close()
					}
					return err
				}},
				{"Merge", func() error { _, err := here.Merge(context.Background(), path); return err }},
			} {
				err := open.run()
				if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("%s: error = %v; want one naming %s and saying %q", open.what, err, path, tt.want)
				}
				var de *DamagedError
				if errors.As(err, &de) != tt.damaged {
					t.Errorf("%s: error %v: DamagedError %v, want %v", open.what, err, !tt.damaged, tt.damaged)
				}
				if strings.Count(fmt.Sprint(err), path) != 1 {
					t.Errorf("%s: error %q names the file more than once", open.what, err)
				}
				if got, _ := os.ReadFile(path); !bytes.Equal(got, data) {
					t.Fatalf("%s changed the damaged file (%d bytes, were %d)", open.what, len(got), len(data))
				}
			}
		})
	}
}

// bbolt uses the newer valid header page of the two: a file whose older
// one is damaged is not refused.
func TestOneBadHeaderPageIsSurvived(t *testing.T) {
	db := openTestDB(t)
	mgImport(t, db, goodPopi)
	path := db.Path()
	db.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Spoil the older of the two (bbolt writes them in turn), in its txid
	// field: its checksum fails.
	m0, _ := parseMeta(data)
	m1, _ := parseMeta(data[m0.pageSize:])
	older := 0
	if m1.txid < m0.txid {
		older = int(m0.pageSize)
	}
	data[older+pageHeaderSize+48] ^= 0xFF
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err = Open(path)
	if err != nil {
		t.Fatalf("Open with one good header page: %v", err)
	}
	defer db.Close()
	if st, err := db.Stats(); err != nil || st.Users == 0 {
		t.Errorf("Stats = %+v, %v", st, err)
	}
}

// A file cut short while it is open (another program truncating it) makes
// reads fault past its end: a DamagedError, not a SIGBUS.
func TestFileCutShortWhileOpenIsAnError(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("relies on SIGBUS for pages past the end of a mapped file")
	}
	path := bigDB(t, t.TempDir())
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := os.Truncate(path, 20000); err != nil {
		t.Fatal(err)
	}
	_, err = db.Stats()
	var de *DamagedError
	if !errors.As(err, &de) || de.Path != path || !strings.Contains(err.Error(), "reading it failed") {
		t.Fatalf("Stats on a file cut short: %v; want a DamagedError of %s", err, path)
	}
	if _, err := db.Stats(); !errors.As(err, &de) {
		t.Errorf("Stats again: %v; want the same error, the handle still usable", err)
	}
}

// Any schema_version that is not one this build knows is refused, naming
// the file, by Open and Merge alike, and the file is left as it was (a
// negative one used to panic with index out of range).
func TestUnknownSchemaVersionIsRefused(t *testing.T) {
	known := SchemaVersion()
	for _, tt := range []struct{ value, want string }{
		{"-5", "unknown schema version -5 (this popi-tui knows 1–" + strconv.Itoa(known) + ")"},
		{"0", "unknown schema version 0 (this popi-tui knows 1–"},
		{"-9223372036854775808", "unknown schema version -9223372036854775808"},
		{"garbage", `unknown schema version "garbage" (this popi-tui knows 1–`},
		{"", `unknown schema version "" (this popi-tui knows 1–`},
		{"1.5", `unknown schema version "1.5"`},
		{" 2", `unknown schema version " 2"`},
		{"\x1b[2J3", `unknown schema version "\x1b[2J3"`},
		{"99999999999999999999", `unknown schema version "99999999999999999999"`},
		{strconv.Itoa(known + 1), fmt.Sprintf("written by a newer popi-tui (schema %d; this build knows 1–%d)", known+1, known)},
		{"9223372036854775807", "written by a newer popi-tui (schema 9223372036854775807"},
	} {
		t.Run(tt.value, func(t *testing.T) {
			dir := t.TempDir()
			path := mgOther(t, dir, func(tx *bolt.Tx) error {
				return tx.Bucket(bucketMeta).Put(keySchema, []byte(tt.value))
			})
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			db, err := Open(path)
			if err == nil {
				db.Close()
			}
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open: error = %v; want one naming %s and saying %q", err, path, tt.want)
			}
			here := mgOpen(t, dir, "here.db")
			_, err = here.Merge(context.Background(), path)
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Merge: error = %v; want one naming %s and saying %q", err, path, tt.want)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(after, before) {
				t.Error("the file was changed")
			}
		})
	}
}

// A new database is made whole or not at all: no empty file on the way
// (an empty file is refused, as a database cut to nothing), and nothing
// else left beside it.
func TestOpenCreatesANewFileWhole(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "new.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if names := fxDirNames(t, dir); len(names) != 1 || names[0] != "new.db" {
		t.Errorf("the directory holds %q, want only new.db", names)
	}
	if err := checkFile(path); err != nil {
		t.Errorf("the new file: %v", err)
	}
	if db, err = Open(path); err != nil {
		t.Fatalf("reopening: %v", err)
	}
	db.Close()
}
