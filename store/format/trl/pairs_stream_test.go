package trl

import (
	"bytes"
	"slices"
	"testing"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
	"github.com/popi-tui/popi-tui/store/storetest/gen"
)

// fxGenDB is a database of n generated users (package gen): more than a
// page of a shuffled scan (store.ScanPage) when n is.
func fxGenDB(t *testing.T, n int) *store.DB {
	t.Helper()
	db := storetest.Open(t)
	var jsonl bytes.Buffer
	if err := gen.Write(&jsonl, gen.Options{Users: n}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Import(t.Context(), "gen.jsonl", &jsonl, store.ImportOptions{Format: store.FormatPopi}); err != nil {
		t.Fatal(err)
	}
	return db
}

// memUsersOf is every user of db, read one by one, as memUsers.
func memUsersOf(t *testing.T, db *store.DB) UserSource {
	t.Helper()
	ids, err := db.UserIDs()
	if err != nil {
		t.Fatal(err)
	}
	users := make([]UserData, len(ids))
	for i, id := range ids {
		if users[i].Signals, err = db.Signals(id); err != nil {
			t.Fatal(err)
		}
		users[i].ID = id
	}
	return memUsers(users...)
}

// The streaming exports write what one user at a time, in id order, in
// one goroutine writes: the same bytes.
func TestStreamingExportsWriteWhatOneUserAtATimeWrites(t *testing.T) {
	db := fxGenDB(t, 3000)
	tests := []struct {
		name   string
		export func(UserSource, *bytes.Buffer) error
	}{
		{"pairs dpo, held-out", func(u UserSource, w *bytes.Buffer) error {
			_, err := ExportPairs(u, w, PairExport{Format: PairsDPO, Condition: store.ConditionNone, Render: fxGeneratorRender})
			return err
		}},
		{"pairs dpo, raw, every pair, plain", func(u UserSource, w *bytes.Buffer) error {
			_, err := ExportPairs(u, w, PairExport{Format: PairsDPO, Condition: store.ConditionRaw, Split: PairsAll, Plain: true, Render: fxGeneratorRender})
			return err
		}},
		{"summarizer grpo", func(u UserSource, w *bytes.Buffer) error {
			_, err := ExportSummarizer(u, w, SummarizerExport{Format: SummarizerGRPO, Render: fxSummarizerRender})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var streamed, one bytes.Buffer
			if err := tt.export(DBUsers(db), &streamed); err != nil {
				t.Fatal(err)
			}
			if err := tt.export(memUsersOf(t, db), &one); err != nil {
				t.Fatal(err)
			}
			if streamed.Len() == 0 || !bytes.Equal(streamed.Bytes(), one.Bytes()) {
				t.Errorf("streamed %d bytes, one at a time %d: not the same", streamed.Len(), one.Len())
			}
		})
	}
}

// kto pairs from a database: the same seed writes the same file, another
// seed another order of the same rows.
func TestExportPairsKTOSameSeedSameFile(t *testing.T) {
	db := fxGenDB(t, 2*store.ScanPage+300)
	export := func(seed uint64) []byte {
		var buf bytes.Buffer
		rep, err := ExportPairs(DBUsers(db), &buf, PairExport{Format: PairsKTO, Condition: store.ConditionNone, Seed: seed, Render: fxGeneratorRender})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Seed != seed || rep.Rows == 0 {
			t.Fatalf("report %+v", rep)
		}
		return buf.Bytes()
	}
	a, again, other := export(3), export(3), export(4)
	if !bytes.Equal(a, again) {
		t.Error("seed 3 wrote two different files")
	}
	if bytes.Equal(a, other) {
		t.Error("seeds 3 and 4 wrote the same file")
	}
	lines := func(b []byte) [][]byte {
		return slices.SortedFunc(slices.Values(bytes.SplitAfter(b, []byte("\n"))), bytes.Compare)
	}
	if !slices.EqualFunc(lines(a), lines(other), bytes.Equal) {
		t.Error("seeds 3 and 4 wrote different rows")
	}
}
