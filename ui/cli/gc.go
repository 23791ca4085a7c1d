package cli

import "runtime/debug"

// garbageHeavyGC is the collector's GOGC for commands that make garbage
// by the gigabyte over a small live heap (an export keeps a few MiB while
// it encodes a million rows): at the default 100 the collector runs every
// few MiB of rows, hundreds of times a second. 400 lets the heap grow to
// five times what is live before it runs; an export of summaries at
// 1,000,000 users took 20 % less time (README, Performance).
const garbageHeavyGC = 400

// collectLessOften sets the collector to garbageHeavyGC, unless the user
// set GOGC, and returns what puts it back (commands run in tests share the
// process).
func (c *runContext) collectLessOften() (restore func()) {
	if c.Getenv("GOGC") != "" {
		return func() {}
	}
	old := debug.SetGCPercent(garbageHeavyGC)
	return func() { debug.SetGCPercent(old) }
}
