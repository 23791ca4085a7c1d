package store

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/store/format"
)

// The figures of the README's Performance section come from these
// benchmarks:
//
//	go test ./store -run '^$' -bench . -benchtime 3x

const benchPairs = 100_000

var (
	benchFileOnce sync.Once
	benchFilePath string
	benchFileErr  error
	benchTempDir  string
)

// benchFile is a generated popi JSONL file of 100,000 pairs (about 100 MB):
// 10,000 users whose records are interleaved at random, as in a file
// concatenated from several sources, with escapes and non-ASCII text.
func benchFile(b *testing.B) string {
	b.Helper()
	benchFileOnce.Do(func() {
		benchTempDir, benchFileErr = os.MkdirTemp("", "popi-bench-*")
		if benchFileErr != nil {
			return
		}
		benchFilePath = filepath.Join(benchTempDir, "pairs-100k.jsonl")
		benchFileErr = writeBenchFile(benchFilePath, benchPairs)
	})
	if benchFileErr != nil {
		b.Fatal(benchFileErr)
	}
	return benchFilePath
}

func writeBenchFile(path string, pairs int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	r := rand.New(rand.NewSource(42))
	words := strings.Fields(`the a answer should be short and to the point with a list of steps café naïve résumé
		code example func main() { fmt.Println("hi") } because users prefer clear structure 😀 headings
		## Summary - item one - item two "quoted" text and tabs	and more words about databases networks cooking`)
	sentence := func(n int) string {
		var sb strings.Builder
		for i := 0; i < n; i++ {
			if i > 0 {
				if r.Intn(12) == 0 {
					sb.WriteString("\n")
				} else {
					sb.WriteByte(' ')
				}
			}
			sb.WriteString(words[r.Intn(len(words))])
		}
		return sb.String()
	}
	type rec struct {
		User     string `json:"user"`
		Kind     string `json:"kind"`
		Prompt   string `json:"prompt"`
		Chosen   string `json:"chosen"`
		Rejected string `json:"rejected"`
		Split    string `json:"split,omitempty"`
	}
	enc := json.NewEncoder(w)
	for i := 0; i < pairs; i++ {
		split := ""
		if i%5 == 4 {
			split = "heldout"
		}
		if err := enc.Encode(rec{User: fmt.Sprintf("user-%05d", r.Intn(10_000)), Kind: "pair",
			Prompt: sentence(25), Chosen: sentence(60), Rejected: sentence(75), Split: split}); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// popiRecordJSON is the popi record as a plain struct, for the baseline:
// what decoding the file with encoding/json alone costs.
type popiRecordJSON struct {
	ID       json.RawMessage `json:"id"`
	User     json.RawMessage `json:"user"`
	Kind     string          `json:"kind"`
	Prompt   string          `json:"prompt"`
	Chosen   string          `json:"chosen"`
	Rejected string          `json:"rejected"`
	Split    string          `json:"split"`
	Text     string          `json:"text"`
	Source   string          `json:"source"`
	Meta     json.RawMessage `json:"meta"`
}

func decodeWithEncodingJSON(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), format.MaxRecordBytes+2)
	n := 0
	for sc.Scan() {
		var r popiRecordJSON
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return n, err
		}
		n++
	}
	return n, sc.Err()
}

// BenchmarkImport100k imports the 100 MB file into a fresh database and,
// in the same run, decodes it with encoding/json; it reports both and
// their ratio (goal: import ≤ 1.5 × plain decoding).
func BenchmarkImport100k(b *testing.B) {
	path := benchFile(b)
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	var decode, imp time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		n, err := decodeWithEncodingJSON(path)
		if err != nil || n != benchPairs {
			b.Fatalf("decode: %d records, %v", n, err)
		}
		decode += time.Since(start)

		db, err := Open(filepath.Join(b.TempDir(), fmt.Sprintf("bench-%d.db", i)))
		if err != nil {
			b.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		start = time.Now()
		rep, err := db.Import(context.Background(), "bench.jsonl", f, ImportOptions{})
		imp += time.Since(start)
		f.Close()
		db.Close()
		if err != nil || rep.Added.HistoryPairs+rep.Added.HeldoutPairs != benchPairs {
			b.Fatalf("import: %+v, %v", rep, err)
		}
	}
	n := float64(b.N)
	b.ReportMetric(decode.Seconds()/n, "decode-s")
	b.ReportMetric(imp.Seconds()/n, "import-s")
	b.ReportMetric(imp.Seconds()/decode.Seconds(), "import/decode")
	b.ReportMetric(float64(st.Size())/1e6/(imp.Seconds()/n), "import-MB/s")
	b.ReportMetric(benchPairs/(imp.Seconds()/n), "import-records/s")
	b.ReportMetric(0, "ns/op") // the figures above say it; ns/op would mix both
}

// BenchmarkLabelCommit commits 1,000 labels, each in its own fsync'd
// transaction with the annotator's session, and reports the p50 and p99
// latency of a commit (goal: p99 ≤ 10 ms).
func BenchmarkLabelCommit(b *testing.B) {
	db := demoTestDB(b)
	const commits = 1000
	var all []time.Duration
	for i := 0; i < b.N; i++ {
		for j := 0; j < commits; j++ {
			l := Label{Kind: LabelDecision, User: "terse-tom", PromptID: fmt.Sprintf("t%d", j%3), Prompt: "Explain TCP.",
				Candidates: []Candidate{
					{Pane: "a", Slot: 1, Backend: "llama", Model: "m1", Condition: ConditionSummary, GenerationID: "g1"},
					{Pane: "b", Slot: 0, Backend: "vllm", Model: "m2", Condition: ConditionSummary, GenerationID: "g2"},
				},
				Verdict: []string{"a", "b", VerdictTie}[j%3], Annotator: "bench", ShownAt: time.Now()}
			sess := Session{Annotator: "bench", Position: j}
			start := time.Now()
			if _, err := db.AddLabel(l, &sess); err != nil {
				b.Fatal(err)
			}
			all = append(all, time.Since(start))
		}
	}
	slices.Sort(all)
	pct := func(p float64) float64 { return float64(all[int(p*float64(len(all)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkImportPeakRSS measures the peak resident memory (VmHWM) of a
// process importing the 100 MB file, over that of the same process
// importing a one-record file (goal: ≤ 64 MiB over the baseline). Each
// runs in a fresh child process so that nothing else in this one counts.
func BenchmarkImportPeakRSS(b *testing.B) {
	path := benchFile(b)
	tiny := filepath.Join(b.TempDir(), "tiny.jsonl")
	if err := os.WriteFile(tiny, []byte(`{"user":"u","kind":"task","prompt":"p"}`+"\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	var over, peak float64
	for i := 0; i < b.N; i++ {
		base := childPeakRSS(b, tiny)
		full := childPeakRSS(b, path)
		over += (full - base) / (1 << 20)
		peak += full / (1 << 20)
	}
	b.ReportMetric(over/float64(b.N), "MiB-over-baseline")
	b.ReportMetric(peak/float64(b.N), "MiB-peak")
	b.ReportMetric(0, "ns/op")
}

// childPeakRSS imports file into a fresh database in a child process and
// returns the child's peak RSS in bytes.
func childPeakRSS(b *testing.B, file string) float64 {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), "POPI_STORE_IMPORT_CHILD=1", "POPI_DB="+filepath.Join(b.TempDir(), "rss.db"),
		"POPI_FILE="+file, "POPI_REPORT_RSS=1")
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("child: %v", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				b.Fatal(err)
			}
			return float64(kb) * 1024
		}
	}
	b.Fatalf("child printed no VmHWM: %s", out)
	return 0
}
