package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/popi-tui/popi-tui/store/format"
	"github.com/popi-tui/popi-tui/store/format/formattest"
	"github.com/popi-tui/popi-tui/store/format/popi"
	bolt "go.etcd.io/bbolt"
)

func importString(t *testing.T, db *DB, name, content string, f format.Format) (ImportReport, error) {
	t.Helper()
	return db.Import(context.Background(), name, strings.NewReader(content), ImportOptions{Format: f})
}

// snapshot digests every key, value and bucket sequence in the database,
// so that "the database did not change" can be asserted exactly.
func snapshot(t *testing.T, db *DB) string {
	t.Helper()
	h := sha256.New()
	err := db.bolt.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			fmt.Fprintf(h, "bucket %s seq %d\n", name, b.Sequence())
			return b.ForEach(func(k, v []byte) error {
				fmt.Fprintf(h, "%q=%q\n", k, v)
				return nil
			})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

const goodPopi = `{"user":"ann","kind":"pair","prompt":"Capital of France?","chosen":"Paris.","rejected":"The capital of France is Paris, a city of about two million people."}
{"user":"ann","kind":"pair","prompt":"2+2?","chosen":"4","rejected":"Two plus two equals four.","split":"heldout"}
{"user":"ann","kind":"text","text":"short answers please","source":"comment"}
{"user":"ann","kind":"profile","text":"engineer, 40s"}
{"user":"ann","kind":"persona","text":"wants the shortest correct answer"}
{"user":"ann","kind":"task","prompt":"Explain TCP."}
{"user":"bob","id":"b1","kind":"pair","prompt":"Explain DNS.","chosen":"## DNS\n\n- maps names to addresses","rejected":"DNS maps names to addresses.","meta":{"source":"survey"},"rating":5}
{"user":"bob","kind":"task","prompt":"Explain TLS."}
`

func TestImportPopi(t *testing.T) {
	db := openTestDB(t)
	rep, err := importString(t, db, "good.jsonl", goodPopi, FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	want := Counts{HistoryPairs: 2, HeldoutPairs: 1, Texts: 1, Profiles: 1, Personas: 1, Tasks: 2}
	if rep.Added != want || rep.Users != 2 || rep.Duplicates != 0 || rep.Records != 8 || rep.Format != FormatPopi {
		t.Errorf("report = %+v, want added %+v, 2 users, popi", rep, want)
	}
	u, err := db.User("ann")
	if err != nil {
		t.Fatal(err)
	}
	if u.Counts != (Counts{HistoryPairs: 1, HeldoutPairs: 1, Texts: 1, Profiles: 1, Personas: 1, Tasks: 1}) {
		t.Errorf("ann's counts = %+v", u.Counts)
	}
	signals, err := db.Signals("bob")
	if err != nil {
		t.Fatal(err)
	}
	if len(signals) != 2 {
		t.Fatalf("bob has %d signals, want 2", len(signals))
	}
	p := signals[0]
	if p.ID != "b1" || p.Chosen != "## DNS\n\n- maps names to addresses" || p.Split != SplitHistory {
		t.Errorf("bob's pair = %+v", p)
	}
	// Unknown fields join meta, values as written.
	if string(p.Meta) != `{"source":"survey","rating":5}` {
		t.Errorf("meta = %s", p.Meta)
	}
	if !strings.HasPrefix(signals[1].ID, "c-") {
		t.Errorf("a record without id got id %q, want a content hash", signals[1].ID)
	}

	// Importing the same file again adds nothing.
	before := snapshot(t, db)
	rep, err = importString(t, db, "good.jsonl", goodPopi, FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Added != (Counts{}) || rep.Users != 0 || rep.Duplicates != 8 {
		t.Errorf("re-import report = %+v, want nothing added and 8 duplicates", rep)
	}
	if snapshot(t, db) != before {
		t.Error("re-import changed the database")
	}
}

// Text is stored exactly as given: no trimming, escapes decoded, any
// Unicode kept.
func TestImportKeepsTextAsGiven(t *testing.T) {
	db := openTestDB(t)
	in := `{"user":"u","kind":"text","text":"  leading and trailing  \n\t\"quoted\" caf\u00e9 😀 \ud83d\ude00 \u001b[31m "}` + "\r\n"
	if _, err := importString(t, db, "t.jsonl", in, FormatPopi); err != nil {
		t.Fatal(err)
	}
	s, _ := db.Signals("u")
	want := "  leading and trailing  \n\t\"quoted\" café 😀 😀 \x1b[31m "
	if len(s) != 1 || s[0].Text != want {
		t.Fatalf("text = %q, want %q", s[0].Text, want)
	}
}

func TestImportBOMBlankLinesAndNoFinalNewline(t *testing.T) {
	db := openTestDB(t)
	in := "\xef\xbb\xbf\n   \n" + `{"user":"u","kind":"task","prompt":"a"}` + "\n\n" + `{"user":"u","kind":"task","prompt":"b"}`
	rep, err := importString(t, db, "t.jsonl", in, FormatAuto)
	if err != nil || rep.Added.Tasks != 2 {
		t.Fatalf("report %+v, err %v", rep, err)
	}
}

// Every kind of bad record rejects its whole file, names the line, and
// leaves the database exactly as it was.
func TestImportRejectsBadRecords(t *testing.T) {
	good := `{"user":"x","kind":"task","prompt":"fine"}`
	long := `{"user":"x","kind":"text","text":"` + strings.Repeat("a", format.MaxRecordBytes) + `"}`
	alignxGood := `{"prompt":"p","chosen":"c","rejected":"r"}`
	tests := []struct {
		name, bad string
		format    format.Format
		line      int // of the bad record, which follows two good lines
		reason    string
	}{
		{"invalid JSON", `{"user":"x","kind":"task","prompt":"a",}`, FormatPopi, 3, `invalid JSON: unexpected '}' (column 40)`},
		{"truncated JSON", `{"user":"x","kind":"task"`, FormatPopi, 3, `invalid JSON: unexpected end of input (column 26)`},
		{"not an object", `["user"]`, FormatPopi, 3, `a record must be a JSON object (column 1)`},
		{"invalid UTF-8", "{\"user\":\"x\",\"kind\":\"text\",\"text\":\"caf\xe9\"}", FormatPopi, 3, `invalid UTF-8 at column 38`},
		{"missing user", `{"kind":"task","prompt":"a"}`, FormatPopi, 3, `missing "user"`},
		{"null user", `{"user":null,"kind":"task","prompt":"a"}`, FormatPopi, 3, `missing "user"`},
		{"blank user", `{"user":"  ","kind":"task","prompt":"a"}`, FormatPopi, 3, `"user" is empty`},
		{"missing kind", `{"user":"x","prompt":"a"}`, FormatPopi, 3, `missing "kind"`},
		{"unknown kind", `{"user":"x","kind":"pairs"}`, FormatPopi, 3, `unknown kind "pairs" (want pair, text, profile, persona or task)`},
		{"empty prompt", `{"user":"x","kind":"pair","prompt":"","chosen":"a","rejected":"b"}`, FormatPopi, 3, `pair: "prompt" is empty or missing`},
		{"missing chosen", `{"user":"x","kind":"pair","prompt":"p","rejected":"b"}`, FormatPopi, 3, `pair: "chosen" is empty or missing`},
		{"blank rejected", `{"user":"x","kind":"pair","prompt":"p","chosen":"a","rejected":" \n "}`, FormatPopi, 3, `pair: "rejected" is empty or missing`},
		{"empty text", `{"user":"x","kind":"text","text":""}`, FormatPopi, 3, `text: "text" is empty or missing`},
		{"empty profile", `{"user":"x","kind":"profile"}`, FormatPopi, 3, `profile: "text" is empty or missing`},
		{"empty task", `{"user":"x","kind":"task","prompt":"\t"}`, FormatPopi, 3, `task: "prompt" is empty or missing`},
		{"chosen is rejected", `{"user":"x","kind":"pair","prompt":"p","chosen":"same","rejected":"same"}`, FormatPopi, 3, `pair: "chosen" and "rejected" are identical`},
		{"NUL in text", `{"user":"x","kind":"text","text":"a\u0000b"}`, FormatPopi, 3, `"text" contains a NUL byte`},
		{"NUL in user", `{"user":"a\u0000b","kind":"task","prompt":"a"}`, FormatPopi, 3, `"user" contains a NUL byte`},
		{"raw control character", "{\"user\":\"x\",\"kind\":\"task\",\"prompt\":\"a\x01\"}", FormatPopi, 3, `invalid JSON: control character U+0001 in string (escape it) (column 38)`},
		{"prompt not a string", `{"user":"x","kind":"task","prompt":42}`, FormatPopi, 3, `"prompt" must be a string`},
		{"meta not an object", `{"user":"x","kind":"task","prompt":"a","meta":[1]}`, FormatPopi, 3, `"meta" must be an object`},
		{"field in meta and top level", `{"user":"x","kind":"task","prompt":"a","meta":{"k":1},"k":2}`, FormatPopi, 3, `field "k" appears both at the top level and in "meta"`},
		{"duplicate field", `{"user":"x","kind":"task","prompt":"a","prompt":"b"}`, FormatPopi, 3, `duplicate field "prompt" (column 40)`},
		{"unknown split", `{"user":"x","kind":"pair","prompt":"p","chosen":"a","rejected":"b","split":"test"}`, FormatPopi, 3, `unknown split "test" (want history or heldout)`},
		{"line over 8 MiB", long, FormatPopi, 3, `line is longer than 8 MiB`},
		{"same id, other content", `{"user":"x","id":"t","kind":"task","prompt":"other"}`, FormatPopi, 3, `id "t" of user "x" is already taken by a different record`},
		{"alignx without rejected", `{"prompt":"p","chosen":"c"}`, FormatAlignX, 3, `missing "rejected" (an AlignX record's held-out pair)`},
		{"alignx without pair", `{"profile":"someone"}`, FormatAlignX, 3, `missing "prompt" (an AlignX record's held-out pair)`},
		{"alignx history pair incomplete", `{"prompt":"p","chosen":"c","rejected":"r","Pair-wise Comparative Feedback":[{"prompt":"q","chosen":"x"}]}`, FormatAlignX, 3, `"Pair-wise Comparative Feedback"[0]: missing "rejected"`},
		{"alignx history not a list", `{"prompt":"p","chosen":"c","rejected":"r","Pair-wise Comparative Feedback":{}}`, FormatAlignX, 3, `"Pair-wise Comparative Feedback" must be a list`},
		{"alignx history pair identical", `{"prompt":"p","chosen":"c","rejected":"r","Pair-wise Comparative Feedback":[{"prompt":"q","chosen":"x","rejected":"x"}]}`, FormatAlignX, 3, `"Pair-wise Comparative Feedback"[0]: pair: "chosen" and "rejected" are identical`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := demoTestDB(t)
			first := good
			if tt.format == FormatAlignX {
				first = alignxGood
			}
			// A record with id "t" so that a conflicting one can follow.
			second := `{"user":"x","id":"t","kind":"task","prompt":"fine too"}`
			if tt.format == FormatAlignX {
				second = `{"prompt":"p2","chosen":"c2","rejected":"r2"}`
			}
			in := first + "\n" + second + "\n" + tt.bad + "\n" + first + "\n"
			before := snapshot(t, db)
			rep, err := importString(t, db, "in.jsonl", in, tt.format)
			if !errors.Is(err, ErrRejected) {
				t.Fatalf("err = %v, want a rejection", err)
			}
			if rep.BadRecords != 1 || len(rep.Errors) != 1 {
				t.Fatalf("bad records = %d, errors %v; want exactly one", rep.BadRecords, rep.Errors)
			}
			want := fmt.Sprintf("in.jsonl:%d: %s", tt.line, tt.reason)
			if got := rep.Errors[0].Error(); got != want {
				t.Errorf("error\n got %s\nwant %s", got, want)
			}
			if rep.Added != (Counts{}) || rep.Users != 0 {
				t.Errorf("a rejected import reports additions: %+v", rep)
			}
			if snapshot(t, db) != before {
				t.Error("the database changed")
			}
		})
	}
}

func TestImportListsFirstTwentyBadRecords(t *testing.T) {
	db := openTestDB(t)
	var b strings.Builder
	for i := 1; i <= 50; i++ {
		if i%2 == 0 {
			fmt.Fprintf(&b, `{"user":"u","kind":"task","prompt":"p%d"}`+"\n", i)
		} else {
			fmt.Fprintf(&b, `{"user":"u","kind":"nope%d"}`+"\n", i)
		}
	}
	rep, err := importString(t, db, "many.jsonl", b.String(), FormatPopi)
	if !errors.Is(err, ErrRejected) || err.Error() != "many.jsonl: 25 bad record(s); nothing from this file was imported" {
		t.Fatalf("err = %v", err)
	}
	if rep.BadRecords != 25 || len(rep.Errors) != MaxReportedErrors {
		t.Fatalf("bad = %d, listed = %d", rep.BadRecords, len(rep.Errors))
	}
	for i, e := range rep.Errors {
		if e.Line != 2*i+1 {
			t.Errorf("error %d is on line %d, want %d (in line order)", i, e.Line, 2*i+1)
		}
	}
	if st, _ := db.Stats(); st.Tasks != 0 || st.Users != 0 {
		t.Errorf("stats after rejection: %+v", st)
	}
}

// A record just under the limit is fine; the limit is on the record, not
// the reader's buffer.
func TestImportLongRecordUnderLimit(t *testing.T) {
	db := openTestDB(t)
	text := strings.Repeat("b", format.MaxRecordBytes-100)
	in := `{"user":"u","kind":"text","text":"` + text + `"}` + "\n"
	if _, err := importString(t, db, "big.jsonl", in, FormatPopi); err != nil {
		t.Fatal(err)
	}
	s, _ := db.Signals("u")
	if len(s) != 1 || s[0].Text != text {
		t.Fatal("long text not stored whole")
	}
}

func TestImportAlignXSample(t *testing.T) {
	path := formattest.AlignXSample(t)
	db := openTestDB(t)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := db.Import(context.Background(), path, f, ImportOptions{Format: FormatAuto})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Format != FormatAlignX || rep.Records != 600 || rep.Users != 600 {
		t.Errorf("report = %+v", rep)
	}
	st, err := db.Stats()
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{Users: 600, PairsHistory: 2400, PairsHeldout: 600, Profiles: 600, Personas: 600}
	if st != want {
		t.Errorf("stats = %+v, want %+v", st, want)
	}
	// Re-import adds nothing.
	before := snapshot(t, db)
	f.Seek(0, io.SeekStart)
	rep, err = db.Import(context.Background(), path, f, ImportOptions{Format: FormatAlignX})
	if err != nil || rep.Users != 0 || rep.Added != (Counts{}) || rep.Duplicates != 600*(4+1+1+1) {
		t.Errorf("re-import: %+v, %v", rep, err)
	}
	if snapshot(t, db) != before {
		t.Error("re-import changed the database")
	}

	// Round trip: AlignX → popi JSONL → a fresh database holds the same.
	var out bytes.Buffer
	if _, err := popi.WriteUsers(&out, db.EachSignal); err != nil {
		t.Fatal(err)
	}
	db2 := openTestDB(t)
	if _, err := db2.Import(context.Background(), "export.jsonl", &out, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if st2, _ := db2.Stats(); st2 != want {
		t.Errorf("round-tripped stats = %+v", st2)
	}
	assertSameSignals(t, db, db2)
}

func assertSameSignals(t *testing.T, a, b *DB) {
	t.Helper()
	dump := func(db *DB) []string {
		var out []string
		db.EachSignal(func(s Signal) error {
			s.Seq = 0
			out = append(out, fmt.Sprintf("%+v", s))
			return nil
		})
		sort.Strings(out)
		return out
	}
	da, dbb := dump(a), dump(b)
	if len(da) != len(dbb) {
		t.Fatalf("%d signals vs %d", len(da), len(dbb))
	}
	for i := range da {
		if da[i] != dbb[i] {
			t.Fatalf("signals differ:\n%s\n%s", da[i], dbb[i])
		}
	}
}

// The same AlignX records as a JSON array or as JSONL give the same users.
func TestImportAlignXArrayAndJSONLAgree(t *testing.T) {
	records := []string{
		`{"prompt":"Fix my code","chosen":"` + "```go\\nfmt.Println()\\n```" + `","rejected":"Try printing.",
		  "Demographic Information":"A developer in Lisbon.",
		  "User-Generated Content":[{"prompt":"Tabs or spaces?","comment":"Tabs, obviously.","Preference Direction":[1,0,0.5]}, {"prompt":"x","comment":""}],
		  "Pair-wise Comparative Feedback":[{"prompt":"a","chosen":"b","rejected":"c","Preference Direction":[0,1]},{"prompt":"a","chosen":"b","rejected":"c"}],
		  "Preference Direction":[0.5,1,0]}`,
		`{"prompt":"Hi","chosen":"Hello!","rejected":"Greetings.","ground_truth_persona":"cheerful","profile":""}`,
	}
	array := "[\n" + strings.Join(records, ",\n") + "\n]\n"
	var jsonl strings.Builder
	for _, r := range records {
		var c bytes.Buffer
		json.Compact(&c, []byte(r))
		jsonl.Write(c.Bytes())
		jsonl.WriteByte('\n')
	}
	a, b := openTestDB(t), openTestDB(t)
	ra, err := importString(t, a, "a.json", array, FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := importString(t, b, "b.jsonl", jsonl.String(), FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	if ra.Format != FormatAlignX || rb.Format != FormatAlignX {
		t.Errorf("formats %s, %s; want alignx", ra.Format, rb.Format)
	}
	want := Counts{HistoryPairs: 2, HeldoutPairs: 2, Texts: 1, Profiles: 1, Personas: 1}
	if ra.Added != want || ra.Users != 2 {
		t.Errorf("added %+v (%d users), want %+v", ra.Added, ra.Users, want)
	}
	assertSameSignals(t, a, b)

	// Fields popi-tui has no place for are kept: on the user, the pair and the text.
	var users []User
	a.EachUser("", func(u User) (bool, error) { users = append(users, u); return true, nil })
	var withMeta *User
	for i := range users {
		if len(users[i].Meta) > 0 {
			withMeta = &users[i]
		}
	}
	if withMeta == nil || string(withMeta.Meta) != `{"Preference Direction":[0.5,1,0]}` {
		t.Fatalf("user meta not kept: %+v", users)
	}
	signals, _ := a.Signals(withMeta.ID)
	var text, pair Signal
	for _, s := range signals {
		switch s.ID {
		case "t1":
			text = s
		case "h1":
			pair = s
		}
	}
	// The post a comment answered is the text's Post (AlignX calls it "prompt").
	if text.Text != "Tabs, obviously." || text.Post != "Tabs or spaces?" || string(text.Meta) != `{"Preference Direction":[1,0,0.5]}` {
		t.Errorf("UGC text = %+v", text)
	}
	if string(pair.Meta) != `{"Preference Direction":[0,1]}` {
		t.Errorf("pair meta = %s", pair.Meta)
	}
}

func TestImportBrokenArrayIsRejected(t *testing.T) {
	db := openTestDB(t)
	in := "[\n" + `{"prompt":"p","chosen":"c","rejected":"r"}` + "\n" + `{"prompt":"p2","chosen":"c","rejected":"r"}` + "\n"
	rep, err := importString(t, db, "cut.json", in, FormatAuto)
	if !errors.Is(err, ErrRejected) {
		t.Fatalf("err = %v", err)
	}
	if len(rep.Errors) != 1 || rep.Errors[0].Error() != "cut.json:3: invalid JSON: expected , or ] between records, found '{'" {
		t.Errorf("errors = %v", rep.Errors)
	}
	if st, _ := db.Stats(); st.Users != 0 {
		t.Error("records of a rejected file were kept")
	}
}

// manyRecords is a popi JSONL input large enough to span several batches.
func manyRecords(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `{"user":"u%03d","kind":"pair","prompt":"question %d","chosen":"short %d","rejected":"a much longer answer %d"}`+"\n", i%500, i, i, i)
	}
	return b.String()
}

// parsedRecords parses popi JSONL as an import does.
func parsedRecords(t *testing.T, jsonl string) []format.Record {
	t.Helper()
	src, err := format.NewReader(strings.NewReader(jsonl), FormatPopi)
	if err != nil {
		t.Fatal(err)
	}
	var out []format.Record
	for {
		rec, err := src.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil || rec.Bad != "" {
			t.Fatalf("line %d: %v %s", rec.Line, err, rec.Bad)
		}
		out = append(out, rec)
	}
}

func TestImportCancelledRollsBack(t *testing.T) {
	db := demoTestDB(t)
	before := snapshot(t, db)
	ctx, cancel := context.WithCancel(context.Background())
	batches := 0
	_, err := db.Import(ctx, "big.jsonl", strings.NewReader(manyRecords(4*batchRecords)), ImportOptions{
		Progress: func(int64) {
			batches++
			if batches == 2 {
				cancel() // two batches are committed by now
			}
		},
	})
	if err == nil || !strings.Contains(err.Error(), "interrupted") || !strings.Contains(err.Error(), "nothing from this file was imported") {
		t.Fatalf("err = %v", err)
	}
	if snapshot(t, db) != before {
		t.Error("a cancelled import left records behind")
	}
	// And the file imports fine afterwards.
	rep, err := importString(t, db, "big.jsonl", manyRecords(4*batchRecords), FormatAuto)
	if err != nil || rep.Added.HistoryPairs != 4*batchRecords || rep.Users != 500 {
		t.Fatalf("import after cancel: %+v %v", rep, err)
	}
}

// A bad record late in a big file rolls back the batches already written.
func TestImportBadRecordAfterCommittedBatches(t *testing.T) {
	db := openTestDB(t)
	if _, err := importString(t, db, "first.jsonl", goodPopi, FormatAuto); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, db)
	in := manyRecords(3*batchRecords) + `{"user":"ann","kind":"oops"}` + "\n"
	rep, err := importString(t, db, "late.jsonl", in, FormatAuto)
	if !errors.Is(err, ErrRejected) || rep.Errors[0].Line != 3*batchRecords+1 {
		t.Fatalf("err = %v, errors %v", err, rep.Errors)
	}
	if snapshot(t, db) != before {
		t.Error("the database changed")
	}
}

// Users that already existed keep their counts when an import that added
// to them is rolled back.
func TestRollbackRestoresExistingUsers(t *testing.T) {
	db := openTestDB(t)
	if _, err := importString(t, db, "first.jsonl", goodPopi, FormatAuto); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, db)
	in := `{"user":"ann","kind":"task","prompt":"new task"}` + "\n" + `{"user":"new","kind":"task","prompt":"x"}` + "\n" + `{"user":"ann"}` + "\n"
	if _, err := importString(t, db, "second.jsonl", in, FormatAuto); !errors.Is(err, ErrRejected) {
		t.Fatalf("err = %v", err)
	}
	if snapshot(t, db) != before {
		t.Error("the database changed")
	}
	u, _ := db.User("ann")
	if u.Counts.Tasks != 1 {
		t.Errorf("ann's tasks = %d, want 1", u.Counts.Tasks)
	}
	if _, err := db.User("new"); !errors.Is(err, ErrNotFound) {
		t.Errorf("user created by a rolled-back import: %v", err)
	}
}

// An import a crash interrupted (its journal entry and some committed
// batches on disk) is rolled back by the next Open.
func TestOpenRollsBackInterruptedImport(t *testing.T) {
	path := filepath.Join(t.TempDir(), "popi.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := importString(t, db, "first.jsonl", goodPopi, FormatAuto); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, db)
	// Write batches the way an import does, then stop without committing.
	w := importWriter{db: db, file: "crashed.jsonl"}
	var b importBatch
	for _, rec := range parsedRecords(t, manyRecords(2*batchRecords)) {
		b.add(&rec)
		if len(b.items) == batchRecords {
			if err := w.write(b.items); err != nil {
				t.Fatal(err)
			}
			b = importBatch{}
		}
	}
	var bodies int
	db.bolt.View(func(tx *bolt.Tx) error { bodies = tx.Bucket(bucketBodies).Stats().KeyN; return nil })
	if bodies < batchRecords {
		t.Fatalf("the simulated crash wrote %d bodies", bodies)
	}
	db.Close()

	db, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if len(db.Recovered) != 1 || !strings.Contains(db.Recovered[0], "rolled back the interrupted import of crashed.jsonl") {
		t.Errorf("Recovered = %q", db.Recovered)
	}
	if snapshot(t, db) != before {
		t.Error("the interrupted import was not rolled back")
	}
}

// Cancelling returns at once even while the input is an idle pipe, and
// rolls back what the import had written.
func TestImportCancelWhileWaitingForInput(t *testing.T) {
	db := openTestDB(t)
	before := snapshot(t, db)
	pr, pw := io.Pipe()
	defer pw.Close()
	go pw.Write([]byte(manyRecords(2 * batchRecords))) // then nothing more, and no EOF
	ctx, cancel := context.WithCancel(context.Background())
	written := make(chan struct{})
	var once bool
	done := make(chan error, 1)
	go func() {
		_, err := db.Import(ctx, "pipe", pr, ImportOptions{Progress: func(int64) {
			if !once {
				once = true
				close(written)
			}
		}})
		done <- err
	}()
	<-written // a batch is committed; the parser now waits on the pipe
	cancel()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "interrupted") {
			t.Fatalf("err = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Import did not return after cancel")
	}
	if snapshot(t, db) != before {
		t.Error("the cancelled import left records behind")
	}
}

// Positions in messages are those of the file, whatever the layout.
func TestImportErrorPositions(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"second record of a one-line array",
			`[{"user":"a","kind":"task","prompt":"x"}, {"user":"b","kind":"task","prompt":"y" "z"}]`,
			`in:1: invalid JSON: unexpected '"' (column 82)`},
		{"indented JSONL record with invalid UTF-8",
			" {\"user\":\"x\",\"kind\":\"text\",\"text\":\"caf\xe9\"}",
			`in:1: invalid UTF-8 at column 39`},
		{"record on the third line of an array",
			"[\n {\"user\":\"a\",\"kind\":\"task\",\"prompt\":\"x\"},\n   {\"user\":\"b\",\"kind\":\"task\",\n    \"prompt\":\"y\",}\n]",
			`in:4: invalid JSON: unexpected '}' (column 18)`},
		{"a line of non-breaking spaces is not blank",
			"{\"user\":\"a\",\"kind\":\"task\",\"prompt\":\"x\"}\n\u00a0\u00a0\n",
			`in:2: invalid JSON: unexpected '\u00a0' (column 1)`},
		{"an array after 70,000 blank lines",
			strings.Repeat("\n", 70000) + `[{"user":"a","kind":"oops"}]`,
			`in:70001: unknown kind "oops" (want pair, text, profile, persona or task)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openTestDB(t)
			rep, err := importString(t, db, "in", tt.in, FormatAuto)
			if !errors.Is(err, ErrRejected) || len(rep.Errors) != 1 {
				t.Fatalf("err = %v, errors %v", err, rep.Errors)
			}
			if got := rep.Errors[0].Error(); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// A first record that is not JSON does not decide the format: the next
// one does.
func TestImportAutoSkipsUnparsableFirstRecord(t *testing.T) {
	db := openTestDB(t)
	in := `{"prompt":p,"chosen":"a","rejected":"b"}` + "\n" + `{"prompt":"p2","chosen":"a","rejected":"b"}` + "\n"
	rep, err := importString(t, db, "ax.jsonl", in, FormatAuto)
	if !errors.Is(err, ErrRejected) || rep.Format != FormatAlignX || len(rep.Errors) != 1 || rep.Errors[0].Line != 1 {
		t.Fatalf("format %s, err %v, errors %v", rep.Format, err, rep.Errors)
	}
	in = `{"user":"u1","prompt":"p","chosen":"a","rejected":"b"}` + "\n" + `{"user":"u2","kind":"pair","prompt":"p2","chosen":"a","rejected":"b"}` + "\n"
	rep, err = importString(t, db, "popi.jsonl", in, FormatAuto)
	if !errors.Is(err, ErrRejected) || rep.Format != FormatPopi || rep.Errors[0].Error() != `popi.jsonl:1: missing "kind"` {
		t.Fatalf("format %s, err %v, errors %v", rep.Format, err, rep.Errors)
	}
}

// Two imports into one database at once do not interleave: the second
// waits, and the first one's rollback touches only its own records.
func TestConcurrentImportsAreSerialized(t *testing.T) {
	db := openTestDB(t)
	pr, pw := io.Pipe()
	aDone := make(chan error, 1)
	firstBatch := make(chan struct{})
	var once bool
	go func() {
		_, err := db.Import(context.Background(), "a", pr, ImportOptions{Progress: func(int64) {
			if !once {
				once = true
				close(firstBatch)
			}
		}})
		aDone <- err
	}()
	go pw.Write([]byte(manyRecords(batchRecords + 10)))
	<-firstBatch
	bDone := make(chan error, 1)
	go func() {
		_, err := importString(t, db, "b", `{"user":"bee","kind":"task","prompt":"keep me"}`+"\n", FormatAuto)
		bDone <- err
	}()
	pw.Write([]byte(`{"user":"x","kind":"oops"}` + "\n"))
	pw.Close()
	if err := <-aDone; !errors.Is(err, ErrRejected) {
		t.Fatalf("import a: %v", err)
	}
	if err := <-bDone; err != nil {
		t.Fatalf("import b: %v", err)
	}
	s, err := db.Signals("bee")
	if err != nil || len(s) != 1 || s[0].Prompt != "keep me" {
		t.Fatalf("bee's signals = %+v, %v", s, err)
	}
	if st, _ := db.Stats(); st.Users != 1 || st.Tasks != 1 || st.PairsHistory != 0 {
		t.Errorf("stats = %+v", st)
	}
}

// A journal entry left by an import that could neither commit nor roll
// back is rolled back before the next import starts.
func TestImportFinishesAnEarlierFailedImport(t *testing.T) {
	db := openTestDB(t)
	w := importWriter{db: db, file: "stuck.jsonl"}
	var b importBatch
	for _, rec := range parsedRecords(t, manyRecords(100)) {
		b.add(&rec)
	}
	if err := w.write(b.items); err != nil {
		t.Fatal(err)
	}
	if _, err := importString(t, db, "b.jsonl", `{"user":"bee","kind":"task","prompt":"p"}`+"\n", FormatAuto); err != nil {
		t.Fatal(err)
	}
	if st, _ := db.Stats(); st.Users != 1 || st.Tasks != 1 || st.PairsHistory != 0 {
		t.Errorf("stats = %+v", st)
	}
	var bodies int
	db.bolt.View(func(tx *bolt.Tx) error { bodies = tx.Bucket(bucketBodies).Stats().KeyN; return nil })
	if bodies != 1 {
		t.Errorf("%d bodies, want 1", bodies)
	}
	if len(db.Recovered) != 1 {
		t.Errorf("Recovered = %q", db.Recovered)
	}
}

func TestImportOfManyBadRecordsCountsThemAll(t *testing.T) {
	db := openTestDB(t)
	in := strings.Repeat("{}\n", 3*batchRecords+5)
	rep, err := importString(t, db, "bad.jsonl", in, FormatAuto)
	if !errors.Is(err, ErrRejected) || rep.BadRecords != 3*batchRecords+5 || len(rep.Errors) != MaxReportedErrors {
		t.Fatalf("err %v, bad %d, listed %d", err, rep.BadRecords, len(rep.Errors))
	}
	if rep.Errors[0].Line != 1 || rep.Errors[19].Line != 20 {
		t.Errorf("listed lines %d…%d", rep.Errors[0].Line, rep.Errors[19].Line)
	}
}

// An empty meta object says nothing: the record is the same as without it.
func TestEmptyMetaIsNoMeta(t *testing.T) {
	db := openTestDB(t)
	in := `{"user":"u","kind":"task","prompt":"p"}` + "\n" + `{"user":"u","kind":"task","prompt":"p","meta":{ }}` + "\n"
	rep, err := importString(t, db, "in.jsonl", in, FormatPopi)
	if err != nil || rep.Added.Tasks != 1 || rep.Duplicates != 1 {
		t.Fatalf("report %+v, err %v", rep, err)
	}
}
