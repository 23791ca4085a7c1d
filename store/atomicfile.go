package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// WriteFileAtomic writes a file through write and puts it in place only
// once it is complete and on disk: written to a temporary file beside it,
// synced, then renamed over path. An interrupted or failed write leaves
// path as it was, never half a file. An existing file keeps its
// permissions; a symbolic link keeps pointing where it did (its target is
// replaced). A path that is not a regular file (a pipe, /dev/stdout) is
// written to directly: there is no file to replace.
//
// The temporary file is removed when write fails or is interrupted (its
// context cancelled, Ctrl-C). One that a killed process left behind is
// removed by the next write to the same path (removeStaleTemps).
func WriteFileAtomic(path string, write func(io.Writer) error) error {
	return WriteFileAtomicContext(context.Background(), path, write)
}

// WriteFileAtomicContext is WriteFileAtomic that also leaves path as it
// was when ctx is cancelled before the rename: a Ctrl-C that comes after
// the last row, while the file is synced, still means "do not replace
// it", and the command says it was interrupted.
func WriteFileAtomicContext(ctx context.Context, path string, write func(io.Writer) error) (err error) {
	mode := os.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil {
		if !fi.Mode().IsRegular() {
			return writeInPlace(path, write)
		}
		mode = fi.Mode().Perm()
		if target, err := filepath.EvalSymlinks(path); err == nil {
			path = target
		}
	}
	dir := filepath.Dir(path)
	removeStaleTemps(dir, filepath.Base(path))
	tmp, err := os.CreateTemp(dir, tempPrefix(filepath.Base(path))+"*")
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) { // say which directory, not which temporary name
			err = pe.Err
		}
		return fmt.Errorf("write %s: cannot create a file in %s: %w", path, dir, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	// Held until the file is renamed or removed: it tells another export
	// to the same path that this temporary file is not stale.
	defer lockTemp(tmp.Name())()
	bw := bufio.NewWriterSize(tmp, 256<<10)
	if err := write(bw); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	for _, step := range []func() error{bw.Flush, tmp.Sync, tmp.Close,
		func() error { return os.Chmod(tmp.Name(), mode) },
		ctx.Err,
		func() error { return os.Rename(tmp.Name(), path) }} {
		if err := step(); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	// The rename itself is durable once the directory is synced.
	syncDir(dir)
	return nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// tempPrefix starts the name of a temporary file for the file base; the
// rest is os.CreateTemp's random digits.
func tempPrefix(base string) string { return "." + base + ".tmp-" }

const (
	// tempMinAge spares a temporary file another process has only just
	// created (and not yet locked).
	tempMinAge = 10 * time.Second
	// tempStaleAge is when a temporary file that cannot be tested with a
	// lock (no file locks on this system or file system) counts as left
	// behind.
	tempStaleAge = time.Hour
)

// removeStaleTemps removes temporary files that earlier writes to base in
// dir left behind when their process was killed (kill -9, a crash, a
// lost terminal): regular files named as WriteFileAtomic names them that
// no running write holds locked. Another export to the same path, still
// running, holds its own locked, so it is left alone. Nothing here is an
// error: a file that cannot be looked at is left where it is.
func removeStaleTemps(dir, base string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	prefix := tempPrefix(base)
	for _, e := range ents {
		digits, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || digits == "" || strings.Trim(digits, "0123456789") != "" || !e.Type().IsRegular() {
			continue
		}
		name := filepath.Join(dir, e.Name())
		fi, err := e.Info()
		if err != nil || time.Since(fi.ModTime()) < tempMinAge {
			continue
		}
		switch tempInUse(name) {
		case lockFree:
			os.Remove(name)
		case lockUnknown:
			if time.Since(fi.ModTime()) > tempStaleAge {
				os.Remove(name)
			}
		}
	}
}

// lockState is what a lock test tells of a temporary file.
type lockState int

const (
	lockUnknown lockState = iota // no file locks here
	lockHeld                     // a running write holds it
	lockFree                     // nobody does: its writer is gone
)

func writeInPlace(path string, write func(io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	bw := bufio.NewWriterSize(f, 256<<10)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
