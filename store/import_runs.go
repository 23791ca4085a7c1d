package store

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
)

// indexEntrySize is the length of encodeIndexEntry's output; a spilled
// index entry is followed by the line of its record (uvarint), for the
// message should it turn out to conflict with another.
const indexEntrySize = 10

// importRuns are the sorted runs an import has spilled: files of (key,
// value) records in key order, each a uvarint length and bytes. They live
// in a directory beside the database (runsDir), removed when the import
// ends, and by the next Open or import after a crash: they hold nothing
// the database needs, and whoever holds the database's lock owns them.
type importRuns struct {
	dir          string
	index, users []string
}

// spillRun writes the staged index entries and new users, sorted, to a
// run file each, and forgets them.
func (w *importWriter) spillRun() error {
	if len(w.staged) == 0 && len(w.stagedUsers) == 0 {
		return nil
	}
	if w.runs.dir == "" {
		dir := runsDir(w.db.path)
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("spill index: %w", err)
		}
		if err := os.Mkdir(dir, 0o700); err != nil {
			return fmt.Errorf("spill index: %w", err)
		}
		w.runs.dir = dir
	}
	n := len(w.runs.index)
	var buf []byte
	err := spillSorted(filepath.Join(w.runs.dir, fmt.Sprintf("index-%d", n)), w.staged, func(e indexEntry) []byte {
		buf = binary.AppendUvarint(encodeIndexEntryTo(buf[:0], e.seq, e.kind, e.split), uint64(e.line))
		return buf
	})
	if err != nil {
		return fmt.Errorf("spill index: %w", err)
	}
	w.runs.index = append(w.runs.index, filepath.Join(w.runs.dir, fmt.Sprintf("index-%d", n)))
	err = spillSorted(filepath.Join(w.runs.dir, fmt.Sprintf("users-%d", n)), w.stagedUsers, func(v []byte) []byte { return v })
	if err != nil {
		return fmt.Errorf("spill users: %w", err)
	}
	w.runs.users = append(w.runs.users, filepath.Join(w.runs.dir, fmt.Sprintf("users-%d", n)))
	clear(w.staged)
	clear(w.stagedUsers)
	return nil
}

// runsDir is where an import into the database at dbPath spills its runs.
func runsDir(dbPath string) string {
	return filepath.Join(filepath.Dir(dbPath), "."+filepath.Base(dbPath)+".import-runs")
}

func encodeIndexEntryTo(dst []byte, seq uint64, k Kind, sp Split) []byte {
	return append(binary.BigEndian.AppendUint64(dst, seq), byte(k), byte(sp))
}

// spillSorted writes staged to a new file at path in key order.
func spillSorted[V any](path string, staged map[string]V, encode func(V) []byte) error {
	keys := make([]string, 0, len(staged))
	for k := range staged {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	var hdr []byte
	for _, k := range keys {
		v := encode(staged[k])
		hdr = binary.AppendUvarint(binary.AppendUvarint(hdr[:0], uint64(len(k))), uint64(len(v)))
		bw.Write(hdr)
		bw.WriteString(k)
		bw.Write(v)
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// runReader reads one run file, a record at a time.
type runReader struct {
	f        *os.File
	r        *bufio.Reader
	key, val []byte
	done     bool
}

func (rr *runReader) next() error {
	klen, err := binary.ReadUvarint(rr.r)
	if errors.Is(err, io.EOF) {
		rr.done = true
		return nil
	}
	if err != nil {
		return err
	}
	vlen, err := binary.ReadUvarint(rr.r)
	if err != nil {
		return err
	}
	rr.key = slices.Grow(rr.key[:0], int(klen))[:klen]
	rr.val = slices.Grow(rr.val[:0], int(vlen))[:vlen]
	if _, err := io.ReadFull(rr.r, rr.key); err != nil {
		return err
	}
	_, err = io.ReadFull(rr.r, rr.val)
	return err
}

// mergeRuns calls fn once per key of the runs at paths, in key order, with
// the key's values in the order of paths (a run's keys are distinct).
// There are few runs (one per 2^17 entries), so the smallest key is found
// by looking at each.
func mergeRuns(paths []string, fn func(key []byte, vals [][]byte) error) error {
	runs := make([]*runReader, 0, len(paths))
	defer func() {
		for _, rr := range runs {
			rr.f.Close()
		}
	}()
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		rr := &runReader{f: f, r: bufio.NewReaderSize(f, 1<<16)}
		runs = append(runs, rr)
		if err := rr.next(); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
	}
	var vals [][]byte
	var from []*runReader
	for {
		var min []byte
		for _, rr := range runs {
			if !rr.done && (min == nil || bytes.Compare(rr.key, min) < 0) {
				min = rr.key
			}
		}
		if min == nil {
			return nil
		}
		vals, from = vals[:0], from[:0]
		for _, rr := range runs {
			if !rr.done && bytes.Equal(rr.key, min) {
				vals, from = append(vals, rr.val), append(from, rr)
			}
		}
		if err := fn(min, vals); err != nil {
			return err
		}
		for _, rr := range from {
			if err := rr.next(); err != nil {
				return fmt.Errorf("%s: %w", rr.f.Name(), err)
			}
		}
	}
}
