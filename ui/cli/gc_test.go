package cli

import (
	"runtime/debug"
	"testing"
)

// gcPercent reads the collector's GOGC (SetGCPercent returns the old one).
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// A garbage-heavy command collects less often, unless the user chose
// GOGC, and leaves the collector as it found it.
func TestCollectLessOften(t *testing.T) {
	before := gcPercent()
	tests := []struct {
		name, gogc string
		want       int
	}{
		{"unset", "", garbageHeavyGC},
		{"set by the user", "50", before},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &runContext{Env: Env{Getenv: func(k string) string {
				if k == "GOGC" {
					return tc.gogc
				}
				return ""
			}}}
			restore := c.collectLessOften()
			if got := gcPercent(); got != tc.want {
				t.Errorf("during the command GOGC = %d, want %d", got, tc.want)
			}
			restore()
			if got := gcPercent(); got != before {
				t.Errorf("after the command GOGC = %d, want %d as before", got, before)
			}
		})
	}
}
