package store

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A labels export removes the runs directories a killed export left, and
// none that a running export holds or that was just made.
func TestStaleLabelRunsAreRemoved(t *testing.T) {
	tmp := t.TempDir()
	tests := []struct {
		name   string
		age    time.Duration
		lock   bool // a lock file inside
		held   bool // held by a running export
		remove bool
	}{
		{"left by a killed export", time.Minute, true, false, true},
		{"held by a running export", 2 * time.Hour, true, true, false},
		{"just made", time.Second, true, false, false},
		{"no lock yet, recent", time.Minute, false, false, false},
		{"no lock, old", 2 * time.Hour, false, false, true},
	}
	for _, tc := range tests {
		dir := filepath.Join(tmp, labelRunsPrefix+tc.name)
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if tc.lock {
			lock := filepath.Join(dir, labelRunsLock)
			if err := os.WriteFile(lock, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			if tc.held {
				defer lockTemp(lock)()
			}
		}
		when := time.Now().Add(-tc.age)
		if err := os.Chtimes(dir, when, when); err != nil {
			t.Fatal(err)
		}
	}
	other := filepath.Join(tmp, "someone-elses-dir")
	if err := os.Mkdir(other, 0o700); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(other, old, old)

	removeStaleLabelRuns(tmp)
	for _, tc := range tests {
		_, err := os.Stat(filepath.Join(tmp, labelRunsPrefix+tc.name))
		if gone := os.IsNotExist(err); gone != tc.remove {
			t.Errorf("%s: removed %v, want %v", tc.name, gone, tc.remove)
		}
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("a directory that is not a labels export's was removed: %v", err)
	}
}
