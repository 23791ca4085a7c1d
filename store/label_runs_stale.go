package store

import (
	"os"
	"path/filepath"
	"strings"
	"time"
)

// A labels export's runs live in a directory of their own under the
// system's temporary directory, removed when the export ends. One that a
// killed process left (kill -9, a power cut) is removed by the next
// labels export: each holds a lock file inside its directory for as long
// as it lives, as a write in progress holds its temporary file
// (lockTemp), so a directory nobody holds locked belongs to a process
// that is gone.

// labelRunsPrefix names the runs' directories in os.TempDir.
const labelRunsPrefix = "popi-tui-label-runs-"

// labelRunsLock is the lock file inside a runs directory.
const labelRunsLock = "lock"

// makeLabelRunsDir removes stale runs directories and makes a new one,
// locked; unlock lets go of it (before the directory is removed).
func makeLabelRunsDir() (dir string, unlock func(), err error) {
	removeStaleLabelRuns(os.TempDir())
	dir, err = os.MkdirTemp("", labelRunsPrefix)
	if err != nil {
		return "", nil, err
	}
	lock := filepath.Join(dir, labelRunsLock)
	if err := os.WriteFile(lock, nil, 0o600); err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	return dir, lockTemp(lock), nil
}

// removeStaleLabelRuns removes the runs directories in tmp that no
// running export holds.
func removeStaleLabelRuns(tmp string) {
	ents, err := os.ReadDir(tmp)
	if err != nil {
		return
	}
	for _, e := range ents {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), labelRunsPrefix) {
			continue
		}
		dir := filepath.Join(tmp, e.Name())
		fi, err := e.Info()
		if err != nil || time.Since(fi.ModTime()) < tempMinAge {
			continue // just made: its lock may not be taken yet
		}
		state := lockUnknown
		if _, err := os.Stat(filepath.Join(dir, labelRunsLock)); err == nil {
			state = tempInUse(filepath.Join(dir, labelRunsLock))
		}
		if state == lockFree || (state == lockUnknown && time.Since(fi.ModTime()) > tempStaleAge) {
			os.RemoveAll(dir)
		}
	}
}
