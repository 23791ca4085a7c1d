package trl

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest/gen"
	bolt "go.etcd.io/bbolt"
)

// benchLabels is how many decisions the export benchmarks write out.
const benchLabels = 100_000

// fillBenchLabels writes n best-of-2 decisions on n users' prompts, with
// their two summary-conditioned answers, into the database file at path,
// straight into its buckets (ARCHITECTURE.md, The database) in one
// transaction: AddLabel's fsync per label would take minutes. The texts
// are the size of real ones: a 1.5 KB generator input and 1–2 KB answers.
func fillBenchLabels(b *testing.B, path string, n int) {
	b.Helper()
	db, err := store.Open(path) // the buckets, at the current schema
	if err != nil {
		b.Fatal(err)
	}
	db.Close()
	bdb, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer bdb.Close()
	summary := strings.Repeat("Prefers short, exact answers with a code example first; dislikes greetings. ", 12)
	answer := strings.Repeat("Use `git reset --soft HEAD~1` to undo the last commit and keep its changes staged. ", 18)
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	err = bdb.Update(func(tx *bolt.Tx) error {
		gens, labels := tx.Bucket([]byte("generations")), tx.Bucket([]byte("labels"))
		for i := range n {
			user, prompt := fmt.Sprintf("user-%06d", i), fmt.Sprintf("How do I undo commit number %d?", i)
			var cands []store.Candidate
			for slot, model := range []string{"model-a", "model-b"} {
				g := store.Generation{ID: fmt.Sprintf("gen-%06d-%d", i, slot), Key: fmt.Sprintf("key-%06d-%d", i, slot), User: user,
					PromptID: "t1", Prompt: prompt, Condition: store.ConditionSummary, SummaryID: "S" + user, Backend: "b-" + model, Model: model,
					Messages: []store.Message{{Role: "user", Content: "# What this user prefers\n\n" + summary + "\n\n# Prompt\n\n" + prompt}},
					Text:     answer[:len(answer)-slot*500], FinishReason: "stop", CreatedAt: at}
				v, err := json.Marshal(g)
				if err != nil {
					return err
				}
				if err := gens.Put([]byte(g.ID), v); err != nil {
					return err
				}
				cands = append(cands, store.Candidate{Pane: store.PaneLetter(slot), Slot: slot, Backend: g.Backend, Model: model,
					Condition: store.ConditionSummary, GenerationID: g.ID})
			}
			l := store.Label{ID: fmt.Sprintf("label-%06d", i), Kind: store.LabelDecision, User: user, PromptID: "t1", Prompt: prompt,
				SummaryID: "S" + user, SummaryVersion: 1, Candidates: cands, Verdict: store.PaneLetter(i % 2), Annotator: "kim",
				ShownAt: at, DecidedAt: at.Add(time.Duration(i) * time.Second), AppVersion: "bench"}
			v, err := json.Marshal(l)
			if err != nil {
				return err
			}
			seq, err := labels.NextSequence()
			if err != nil {
				return err
			}
			if err := labels.Put(binary.BigEndian.AppendUint64(nil, seq), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkExportLabels100k exports 100,000 decisions in each format (the
// README's goal: under 2 s).
//
//	go test ./store/format/trl -run '^$' -bench ExportLabels -benchtime 3x
func BenchmarkExportLabels100k(b *testing.B) {
	path := filepath.Join(b.TempDir(), "labels.db")
	fillBenchLabels(b, path, benchLabels)
	db, err := store.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for _, opt := range []LabelExport{{Format: LabelsRaw}, {Format: LabelsDPO}, {Format: LabelsDPO, Plain: true}, {Format: LabelsKTO}} {
		name := opt.Format
		if opt.Plain {
			name += "-plain"
		}
		b.Run(name, func(b *testing.B) {
			var w countingWriter
			cpu := processCPU()
			for b.Loop() {
				w = 0
				rep, err := ExportLabels(db, &w, opt)
				if err != nil {
					b.Fatal(err)
				}
				if rep.Decisions != benchLabels || rep.Rows == 0 {
					b.Fatalf("report %+v", rep)
				}
			}
			b.SetBytes(int64(w))
			// CPU time over both cores: steadier than wall time on a
			// shared machine.
			b.ReportMetric((processCPU()-cpu).Seconds()/float64(b.N), "cpu-s/op")
		})
	}
}

// processCPU is the CPU time this process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// countingWriter counts what is written to it.
type countingWriter int64

func (w *countingWriter) Write(p []byte) (int, error) {
	*w += countingWriter(len(p))
	return len(p), nil
}

var _ io.Writer = (*countingWriter)(nil)

// BenchmarkExportPairsScale exports the held-out pairs of generated users
// (package gen: 3 records a user, one pair in five held out), each user
// with a summary, under the summary condition, as dpo and as kto: the
// streaming path of export pairs (store.ScanUsers, rows on every core),
// with a renderer of this package's tests in place of the engine's.
// POPI_BENCH_USERS sets how many users (default 100,000; the README's
// figures at 1,000,000 are of the real binary).
//
//	go test ./store/format/trl -run '^$' -bench ExportPairsScale -benchtime 3x
func BenchmarkExportPairsScale(b *testing.B) {
	n := 100_000
	if s := os.Getenv("POPI_BENCH_USERS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatalf("POPI_BENCH_USERS=%q: %v", s, err)
		}
	}
	db := benchGenDB(b, n)
	for _, format := range []string{PairsDPO, PairsKTO} {
		b.Run(fmt.Sprintf("users=%d/%s", n, format), func(b *testing.B) {
			var w countingWriter
			cpu := processCPU()
			for b.Loop() {
				w = 0
				rep, err := ExportPairs(DBUsers(db), &w, PairExport{Format: format, Render: fxGeneratorRender})
				if err != nil {
					b.Fatal(err)
				}
				if rep.Rows == 0 || rep.LeftOut[LeftOutNoSummary] != 0 {
					b.Fatalf("report %+v", rep)
				}
			}
			b.SetBytes(int64(w))
			b.ReportMetric((processCPU()-cpu).Seconds()/float64(b.N), "cpu-s/op")
		})
	}
}

// benchGenDB imports n generated users into a database in the
// benchmark's temporary directory and gives each a summary.
func benchGenDB(b *testing.B, n int) *store.DB {
	b.Helper()
	path := filepath.Join(b.TempDir(), "pairs.db")
	db, err := store.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	r, w := io.Pipe()
	go func() { w.CloseWithError(gen.Write(w, gen.Options{Users: n})) }()
	if _, err := db.Import(b.Context(), "gen.jsonl", r, store.ImportOptions{Format: store.FormatPopi}); err != nil {
		b.Fatal(err)
	}
	text := strings.Repeat("Prefers short, exact answers with a code example first; dislikes greetings. ", 4)
	var batch []store.Summary
	for i := range n {
		batch = append(batch, store.Summary{User: fmt.Sprintf("user-%d", i), Text: text, Source: store.SourceHeuristic})
		if len(batch) == 10_000 || i == n-1 {
			if _, err := db.AddSummaries(batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	return db
}
