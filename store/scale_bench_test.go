package store

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/store/storetest/gen"
)

// The figures of issue 13 (README, Performance: "At scale") come from
// BenchmarkScale, at 10,000 and 100,000 users, and at 1,000,000 when
// POPI_BENCH_1M=1 (about 2.4 GB of input and 3 GB of database on disk,
// so never in CI):
//
//	go test ./store -run '^$' -bench Scale -benchtime 1x -timeout 2h
//	POPI_BENCH_1M=1 go test ./store -run '^$' -bench Scale/users=1000000 -benchtime 1x -timeout 2h
//
// The generated files are kept in $POPI_BENCH_DIR (default: the system's
// temporary directory) between runs. POPI_BENCH_HEAPPROFILE=FILE has the
// import write a heap profile near its heap's peak, POPI_CPUPROFILE=FILE a
// CPU profile. jq -c . on the same file, in the same
// run, is the baseline.
func BenchmarkScale(b *testing.B) {
	sizes := []int{10_000, 100_000}
	if os.Getenv("POPI_BENCH_1M") != "" {
		sizes = append(sizes, 1_000_000)
	}
	for _, users := range sizes {
		b.Run(fmt.Sprintf("users=%d", users), func(b *testing.B) {
			file := scaleFile(b, gen.Options{Users: users})
			var jq, imp, stats time.Duration
			var child childFigures
			for i := 0; i < b.N; i++ {
				jq += runJQ(b, file)
				dbPath := filepath.Join(b.TempDir(), "scale.db")
				c := importInChild(b, dbPath, file, os.Getenv("POPI_BENCH_HEAPPROFILE"))
				imp += c.elapsed
				child = c
				stats += timeStats(b, dbPath)
			}
			n := float64(b.N)
			b.ReportMetric(jq.Seconds()/n, "jq-s")
			b.ReportMetric(imp.Seconds()/n, "import-s")
			b.ReportMetric(imp.Seconds()/jq.Seconds(), "import/jq")
			b.ReportMetric(child.heapPeak/(1<<20), "heap-MiB")
			b.ReportMetric(child.rssPeak/(1<<20), "RSS-MiB")
			b.ReportMetric(child.rssAnon/(1<<20), "anon-MiB")
			b.ReportMetric(float64(stats.Milliseconds())/n, "stats-ms")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// scaleFile is the generated file of opt, written once per directory.
func scaleFile(b *testing.B, opt gen.Options) string {
	b.Helper()
	dir := os.Getenv("POPI_BENCH_DIR")
	if dir == "" {
		dir = os.TempDir()
	}
	path := filepath.Join(dir, gen.FileName(opt))
	if err := gen.WriteFile(path, opt); err != nil {
		b.Fatal(err)
	}
	return path
}

// runJQ times jq -c . over file, its output thrown away.
func runJQ(b *testing.B, file string) time.Duration {
	b.Helper()
	cmd := exec.Command("jq", "-c", ".", file)
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("jq (apt-get install jq): %v: %s", err, out)
	}
	return time.Since(start)
}

func timeStats(b *testing.B, dbPath string) time.Duration {
	b.Helper()
	db, err := Open(dbPath)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	start := time.Now()
	if _, err := db.Stats(); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

// childFigures is what an import child reports.
type childFigures struct {
	elapsed                    time.Duration
	heapPeak, rssPeak, rssAnon float64 // bytes
}

// importInChild imports file into dbPath in a child process (so that its
// memory is the import's alone) and reads the figures it prints; with
// heapProfile, the child writes a heap profile there at its heap's peak.
func importInChild(b *testing.B, dbPath, file, heapProfile string) childFigures {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), "POPI_STORE_IMPORT_CHILD=1", "POPI_DB="+dbPath,
		"POPI_FILE="+file, "POPI_REPORT_RSS=1", "POPI_REPORT_HEAP=1", "POPI_HEAPPROFILE="+heapProfile)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("import child: %v: %s", err, stderr.Bytes())
	}
	var c childFigures
	for _, line := range strings.Split(string(out), "\n") {
		name, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
		switch name {
		case "Elapsed":
			c.elapsed = time.Duration(f)
		case "HeapPeak":
			c.heapPeak = f
		case "VmHWM":
			c.rssPeak = f * 1024
		case "RssAnon":
			c.rssAnon = f * 1024
		}
	}
	return c
}

// heapSampler keeps the peak of the Go heap (every span in use: objects,
// unused parts of spans, stacks are not counted) while an import runs,
// sampled from runtime/metrics every few milliseconds. With a path, it
// writes a heap profile there each time the peak grows by 16 MiB, so the
// last profile written is the one nearest the peak.
type heapSampler struct {
	peak    uint64
	profile string
	stop    chan struct{}
	done    chan struct{}
}

func startHeapSampler(profile string) *heapSampler {
	h := &heapSampler{profile: profile, stop: make(chan struct{}), done: make(chan struct{})}
	go h.run()
	return h
}

func (h *heapSampler) run() {
	defer close(h.done)
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	var written uint64
	for {
		metrics.Read(s)
		if v := s[0].Value.Uint64() + s[1].Value.Uint64(); v > h.peak {
			h.peak = v
			if h.profile != "" && v > written+16<<20 {
				written = v
				writeHeapProfile(h.profile)
			}
		}
		select {
		case <-h.stop:
			return
		case <-tick.C:
		}
	}
}

// Stop ends the sampling and returns the peak in bytes.
func (h *heapSampler) Stop() uint64 {
	close(h.stop)
	<-h.done
	return h.peak
}

func writeHeapProfile(path string) {
	f, err := os.Create(path)
	if err != nil {
		return
	}
	defer f.Close()
	pprof.Lookup("heap").WriteTo(f, 0)
}
