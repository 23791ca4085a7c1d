package popi_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"testing"

	. "github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/format/formattest"
	"github.com/popi-tui/popi-tui/store/format/popi"
	"github.com/popi-tui/popi-tui/store/storetest"
)

// fxTrickyUsers exercises what ExportUsers must write back exactly: meta
// and unknown fields, numbers kept as written, numeric ids, escapes,
// control characters, non-ASCII, records without ids, a user spread over
// the file, and a record added to a demo user.
const fxTrickyUsers = `{"user": "zed", "kind": "pair", "id": "p1", "prompt": "Q \"quoted\" <tag> & \\ back", "chosen": "line1\nline2\ttab\r\n", "rejected": "ctrl \u0001 \u001f \u007f end", "split": "heldout", "lang": "en", "meta": {"src": "x", "n": [1, 2.50, 1e3, {"k": null}], "nested": {"a": true}}}
{"user": "terse-tom", "kind": "task", "id": "extra-task", "prompt": "Added to a demo user."}
{"user": "zed", "kind": "text", "text": "Unicode: zoë 🐙 \u2028 sep \u00e9", "source": "review"}
{"user": 42, "kind": "task", "id": 7, "prompt": "numeric ids", "text": "a stray field, kept in meta"}
{"user": "zed", "kind": "profile", "text": "no id: a content hash", "source": "moved to meta"}
{"user": "zed", "kind": "persona", "id": "persona", "text": "ground truth"}
{"user": "zed", "kind": "text", "id": "t-nosrc", "text": "no source"}
{"user": "zed", "kind": "pair", "prompt": "p", "chosen": "c", "rejected": "r", "split": "history"}
{"user": "ab\u0001", "kind": "text", "id": "x", "text": "a control character in the user id"}
{"user": "zed", "kind": "text", "id": "t-post", "text": "a reply", "source": "comment", "post": "the post it answered", "votes": 3}
{"user": "zed", "kind": "text", "id": "t-prompt", "text": "a reply", "prompt": "named as AlignX names it"}
{"user": "zed", "kind": "profile", "id": "demographics", "text": "age 30"}
`

// fxSignalsByUser is every user's signals, Seq cleared.
func fxSignalsByUser(t *testing.T, db *DB) map[string][]Signal {
	t.Helper()
	out := map[string][]Signal{}
	err := db.EachUser("", func(u User) (bool, error) {
		signals, err := db.Signals(u.ID)
		if err != nil {
			return false, err
		}
		for i := range signals {
			signals[i].Seq = 0
		}
		out[u.ID] = signals
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func fxUserCounts(t *testing.T, db *DB) map[string]Counts {
	t.Helper()
	out := map[string]Counts{}
	err := db.EachUser("", func(u User) (bool, error) { out[u.ID] = u.Counts; return true, nil })
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func fxSignalTotal(st Stats) int {
	return st.PairsHistory + st.PairsHeldout + st.Texts + st.Profiles + st.Personas + st.Tasks
}

func TestExportUsersRoundTrip(t *testing.T) {
	db := storetest.DemoDB(t)
	storetest.Import(t, db, fxTrickyUsers)
	st := storetest.Stats(t, db)

	var out bytes.Buffer
	urep, err := popi.WriteUsers(&out, db.EachSignal)
	if err != nil {
		t.Fatal(err)
	}
	n := urep.Rows
	if n != fxSignalTotal(st) || n < 100 || urep.Users != st.Users {
		t.Fatalf("ExportUsers wrote %d records; the database holds %d signals", n, fxSignalTotal(st))
	}
	rows := storetest.Rows(t, out.Bytes(), n)

	// Every row is a popi record with exactly its kind's fields.
	fieldsOf := map[string][]string{
		"pair":    {"user", "kind", "id", "split", "prompt", "chosen", "rejected"},
		"task":    {"user", "kind", "id", "prompt"},
		"text":    {"user", "kind", "id", "text"},
		"profile": {"user", "kind", "id", "text"},
		"persona": {"user", "kind", "id", "text"},
	}
	byKey := map[string]map[string]any{}
	for i, r := range rows {
		kind, _ := r["kind"].(string)
		want, ok := fieldsOf[kind]
		if !ok {
			t.Errorf("row %d: kind %v", i, r["kind"])
			continue
		}
		want = slices.Clone(want)
		if _, ok := r["meta"]; ok {
			want = append(want, "meta")
		}
		if _, ok := r["source"]; ok && (kind == "text" || kind == "profile") {
			want = append(want, "source")
		}
		if _, ok := r["post"]; ok && kind == "text" {
			want = append(want, "post")
		}
		if got := storetest.Keys(r); !slices.Equal(got, storetest.Sorted(want...)) {
			t.Errorf("row %d (%s): fields %q, want %q", i, kind, got, storetest.Sorted(want...))
		}
		for k, v := range r {
			if _, isString := v.(string); k != "meta" && !isString {
				t.Errorf("row %d: %s is %T, want a string", i, k, v)
			}
		}
		byKey[fmt.Sprint(r["user"], "/", r["id"])] = r
	}
	literal := map[string]map[string]any{
		"zed/p1": {"user": "zed", "kind": "pair", "id": "p1", "split": "heldout",
			"prompt": "Q \"quoted\" <tag> & \\ back", "chosen": "line1\nline2\ttab\r\n", "rejected": "ctrl \x01 \x1f \x7f end",
			"meta": map[string]any{"src": "x", "n": []any{1.0, 2.5, 1000.0, map[string]any{"k": nil}}, "nested": map[string]any{"a": true}, "lang": "en"}},
		"42/7": {"user": "42", "kind": "task", "id": "7", "prompt": "numeric ids",
			"meta": map[string]any{"text": "a stray field, kept in meta"}},
		"zed/t-nosrc": {"user": "zed", "kind": "text", "id": "t-nosrc", "text": "no source"},
		"zed/persona": {"user": "zed", "kind": "persona", "id": "persona", "text": "ground truth"},
		// A text keeps the post it answered, however the input named it; a
		// profile named demographics holds demographics.
		"zed/t-post": {"user": "zed", "kind": "text", "id": "t-post", "text": "a reply", "source": "comment", "post": "the post it answered",
			"meta": map[string]any{"votes": 3.0}},
		"zed/t-prompt":     {"user": "zed", "kind": "text", "id": "t-prompt", "text": "a reply", "post": "named as AlignX names it"},
		"zed/demographics": {"user": "zed", "kind": "profile", "id": "demographics", "text": "age 30", "source": "demographics"},
	}
	for key, want := range literal {
		got, ok := byKey[key]
		if !ok {
			t.Errorf("no row for %s", key)
			continue
		}
		storetest.CheckRow(t, key, got, want)
	}
	// Meta is written as imported: numbers as they were written.
	for _, want := range []string{`"n":[1,2.50,1e3,{"k":null}]`, `"user":"ab\u0001"`, `"split":"history"`} {
		if !bytes.Contains(out.Bytes(), []byte(want)) {
			t.Errorf("export does not contain %s", want)
		}
	}
	// A user's records are together, in import order: terse-tom's extra
	// task comes right after the demo records of terse-tom.
	var tom []string
	for _, r := range rows {
		if r["user"] == "terse-tom" {
			tom = append(tom, r["id"].(string))
		}
	}
	if len(tom) < 2 || tom[len(tom)-1] != "extra-task" {
		t.Errorf("terse-tom's ids in the export: %q, want extra-task last", tom)
	}
	var users []string
	for _, r := range rows {
		if u := r["user"].(string); len(users) == 0 || users[len(users)-1] != u {
			if slices.Contains(users, u) {
				t.Errorf("user %q's records are not together", u)
			}
			users = append(users, u)
		}
	}

	// Re-imported into the same database: nothing new.
	rep, err := db.Import(t.Context(), "users.jsonl", bytes.NewReader(out.Bytes()), ImportOptions{Format: FormatAuto})
	if err != nil {
		t.Fatalf("re-import: %v", err)
	}
	if rep.Format != FormatPopi || rep.Records != n || rep.Users != 0 || rep.Added.Total() != 0 || rep.Duplicates != n || rep.BadRecords != 0 {
		t.Errorf("re-import report %+v, want popi, %d records, 0 users, 0 added, %d duplicates", rep, n, n)
	}
	if got := storetest.Stats(t, db); got != st {
		t.Errorf("Stats after re-import %+v, want %+v", got, st)
	}

	// Imported into a fresh database: the same users, signals and counts.
	fresh := storetest.Open(t)
	rep, err = fresh.Import(t.Context(), "users.jsonl", bytes.NewReader(out.Bytes()), ImportOptions{})
	if err != nil {
		t.Fatalf("import into a fresh database: %v", err)
	}
	if rep.Users != st.Users || rep.Added.Total() != n || rep.Duplicates != 0 {
		t.Errorf("fresh import report %+v, want %d users, %d added", rep, st.Users, n)
	}
	if got := storetest.Stats(t, fresh); got != st {
		t.Errorf("fresh Stats %+v, want %+v", got, st)
	}
	want, got := fxSignalsByUser(t, db), fxSignalsByUser(t, fresh)
	if len(got) != len(want) {
		t.Errorf("fresh database has %d users, want %d", len(got), len(want))
	}
	for user, ws := range want {
		gs := got[user]
		if len(gs) != len(ws) {
			t.Errorf("user %q: %d signals, want %d", user, len(gs), len(ws))
			continue
		}
		for i := range ws {
			if !reflect.DeepEqual(gs[i], ws[i]) {
				t.Errorf("user %q signal %d:\n got %+v\nwant %+v", user, i, gs[i], ws[i])
			}
		}
	}
	if gc, wc := fxUserCounts(t, fresh), fxUserCounts(t, db); !reflect.DeepEqual(gc, wc) {
		t.Errorf("fresh user counts %v, want %v", gc, wc)
	}

	// And exported again, byte for byte the same.
	var again bytes.Buffer
	if rep2, err := popi.WriteUsers(&again, fresh.EachSignal); err != nil || rep2.Rows != n || !bytes.Equal(again.Bytes(), out.Bytes()) {
		n2 := rep2.Rows
		t.Errorf("export of the fresh database differs (%d records, err %v)", n2, err)
	}
}

func TestExportUsersEmptyDatabase(t *testing.T) {
	db := storetest.Open(t)
	var out bytes.Buffer
	if rep, err := popi.WriteUsers(&out, db.EachSignal); rep.Rows != 0 || rep.Users != 0 || err != nil || out.Len() != 0 {
		t.Errorf("ExportUsers of an empty database: %+v err %v output %q", rep, err, out.String())
	}
}

// fxFailingWriter fails every write after the first limit bytes.
type fxFailingWriter struct {
	limit int
	err   error
}

func (w *fxFailingWriter) Write(p []byte) (int, error) {
	if len(p) > w.limit {
		n := w.limit
		w.limit = 0
		return n, w.err
	}
	w.limit -= len(p)
	return len(p), nil
}

func TestExportUsersWriteError(t *testing.T) {
	db := storetest.DemoDB(t)
	boom := errors.New("disk full")
	_, err := popi.WriteUsers(&fxFailingWriter{limit: 100, err: boom}, db.EachSignal)
	if !errors.Is(err, boom) {
		t.Errorf("ExportUsers to a failing writer: err %v, want %v", err, boom)
	}
}

// ---- WriteFileAtomic -----------------------------------------------------------

// The real AlignX sample (formattest.AlignXSample), when present: exporting it as popi
// and importing that into a fresh database gives the same users and signals.
func TestExportUsersRoundTripAlignXSample(t *testing.T) {
	f, err := os.Open(formattest.AlignXSample(t)) // skipped only outside CI
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	db := storetest.Open(t)
	if _, err := db.Import(t.Context(), "alignx.json", f, ImportOptions{Format: FormatAlignX}); err != nil {
		t.Fatal(err)
	}
	st := storetest.Stats(t, db)
	if st.Users != 600 || st.PairsHeldout != 600 || st.PairsHistory != 2400 {
		t.Fatalf("AlignX sample imported as %+v, want 600 users, 600 held-out and 2400 history pairs", st)
	}
	var out bytes.Buffer
	urep, err := popi.WriteUsers(&out, db.EachSignal)
	n := urep.Rows
	if err != nil || n != fxSignalTotal(st) {
		t.Fatalf("ExportUsers: %d records, err %v; want %d", n, err, fxSignalTotal(st))
	}
	rep, err := db.Import(t.Context(), "users.jsonl", bytes.NewReader(out.Bytes()), ImportOptions{})
	if err != nil || rep.Format != FormatPopi || rep.Added.Total() != 0 || rep.Users != 0 || rep.Duplicates != n {
		t.Errorf("re-import: %+v err %v, want nothing added and %d duplicates", rep, err, n)
	}
	fresh := storetest.Open(t)
	if _, err := fresh.Import(t.Context(), "users.jsonl", bytes.NewReader(out.Bytes()), ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := storetest.Stats(t, fresh); got != st {
		t.Errorf("fresh Stats %+v, want %+v", got, st)
	}
	if got, want := fxSignalsByUser(t, fresh), fxSignalsByUser(t, db); !reflect.DeepEqual(got, want) {
		t.Errorf("the fresh database's signals differ from the original's (%d vs %d users)", len(got), len(want))
	}
}
