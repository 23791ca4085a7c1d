package trl

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"strings"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/format/printsafe"
)

// The training-loop exports (README: export pairs, export summarizer)
// turn the dataset's own preference pairs into the next round's training
// data: the generator's (ExportPairs) and the summarizer's
// (ExportSummarizer). Their prompts are worded by the engine's template
// sets, which this package cannot import (store cannot depend on the
// engine): the caller passes a render function, as ExportSummaries takes a
// SummarizerInput.

// UserData is what the training-loop exports read of one user.
type UserData struct {
	ID      string
	Dataset string         // the dataset the user was imported from; "" when untagged
	Signals []store.Signal // in import order
	// Summary is the user's current summary; its ID is "" when there is
	// none. DBUsers reads it only for the exports that show it (pairs
	// under the summary condition).
	Summary store.Summary
}

// UserSource is where the training-loop exports read users: each user's
// data is handed to build, which runs on every core, and what build made
// of it to emit, in the order the users were read, on one goroutine.
// DBUsers reads a database; tests give users of their own.
type UserSource struct {
	scan func(opt userScan, build func(UserData) (userRows, error), emit func(userRows) error) error
}

// userScan says what an export reads of each user and in which order.
type userScan struct {
	summary bool // read the current summary (UserData.Summary)
	// only, when not nil, reads only the users with a signal of a kind
	// and split it wants: the others would give no rows.
	only func(store.Kind, store.Split) bool
	// shuffle, when not nil, visits the users in a random order (as
	// store.UserScan.Shuffle: a page of users at a time); else in id order.
	shuffle func(n int, swap func(i, j int))
}

// userRows is what build made of one user: the rows (encoded, each ending
// in a newline) and the counts of the report.
type userRows struct {
	builtRows
	pairs     int // pairs of the split read
	noSummary int // pairs left out: no summary under the summary condition
	noHistory int // pairs left out: nothing to show
}

// countInto adds what one user's rows count to an export's report: its
// rows, pairs, users with rows and pairs left out by reason.
func (r userRows) countInto(rows, pairs, users *int, leftOut map[string]int) {
	*pairs += r.pairs
	if r.noSummary > 0 {
		leftOut[LeftOutNoSummary] += r.noSummary
	}
	leftOut[LeftOutNoHistory] += r.noHistory
	if len(r.ends) > 0 {
		*rows += len(r.ends)
		*users++
	}
}

// DBUsers reads the users of db from one snapshot, a page at a time
// (store.ScanUsers), with the current summary read beside the signals: the
// renderer is given it rather than reading it again, so that it reads
// nothing while the snapshot is open (a read transaction opened inside
// another can deadlock against a writer) and every prompt names the
// summary of the same snapshot.
func DBUsers(db *store.DB) UserSource {
	return UserSource{scan: func(opt userScan, build func(UserData) (userRows, error), emit func(userRows) error) error {
		scan := store.UserScan{Summary: opt.summary, Only: opt.only, Shuffle: opt.shuffle}
		return store.ScanUsers(db, scan, func(su store.StoredUser) (userRows, error) {
			u, err := userData(su)
			if err != nil {
				return userRows{}, err
			}
			return build(u)
		}, emit)
	}}
}

// userData decodes what the exports read of a stored user.
func userData(su store.StoredUser) (UserData, error) {
	u := UserData{ID: su.ID}
	var err error
	if u.Dataset, err = su.Dataset(); err != nil {
		return UserData{}, err
	}
	if u.Signals, err = su.Signals(); err != nil {
		return UserData{}, err
	}
	u.Summary, _ = su.CurrentSummary()
	return u, nil
}

// Rendered is a prompt as a model would be sent it: the messages, and the
// version of the template set that worded them.
type Rendered struct {
	Messages    []store.Message
	TemplateSet string
}

// checkRendered refuses a prompt with nothing to answer: no row may have
// an empty prompt, whatever a renderer returns.
func checkRendered(r Rendered) error {
	for _, m := range r.Messages {
		if m.Role != "system" && strings.TrimSpace(m.Content) != "" {
			return nil
		}
	}
	return errors.New("the rendered prompt has no turn to answer")
}

// answerColumn is an answer as a row holds it: a one-message assistant
// list, or with plain the text itself.
func answerColumn(text string, plain bool) any {
	if plain {
		return text
	}
	return []store.Message{{Role: "assistant", Content: text}}
}

// rowEncoder encodes one user's rows, on a worker: JSONL, as
// json.Encoder writes it without HTML escapes (code answers keep their <,
// > and &), into a pooled buffer (rowBuffer).
type rowEncoder struct {
	buf  *bytes.Buffer
	enc  *json.Encoder
	rows builtRows
}

// newRowEncoder is an encoder with room for size bytes.
func newRowEncoder(size int) *rowEncoder {
	e := &rowEncoder{buf: bytes.NewBuffer(rowBuffer(size))}
	e.enc = json.NewEncoder(e.buf)
	e.enc.SetEscapeHTML(false)
	return e
}

func (e *rowEncoder) write(row any) error {
	if err := e.enc.Encode(row); err != nil {
		return err
	}
	e.rows.ends = append(e.rows.ends, e.buf.Len())
	return nil
}

// built is what was encoded.
func (e *rowEncoder) built() builtRows {
	e.rows.text = e.buf.Bytes()
	return e.rows
}

// rowOutput writes rows through printsafe, in order or, for kto, through
// a seeded shuffle buffer (see rowShuffler).
type rowOutput struct {
	safe    *printsafe.Writer
	shuffle *rowShuffler
}

// newRowOutput writes to w; rng, when not nil, shuffles the rows. It is
// used by emit's goroutine only.
func newRowOutput(w io.Writer, rng *rand.Rand) *rowOutput {
	o := &rowOutput{safe: printsafe.NewWriter(w)}
	if rng != nil {
		o.shuffle = newRowShuffler(rng, o.safe, shuffleBuffer)
	}
	return o
}

// write writes one user's rows and recycles their buffer.
func (o *rowOutput) write(r builtRows) error {
	defer recycleRows(r.text)
	if o.shuffle == nil {
		_, err := o.safe.Write(r.text)
		return err
	}
	start := 0
	for _, end := range r.ends {
		if err := o.shuffle.add(r.text[start:end]); err != nil {
			return err
		}
		start = end
	}
	return nil
}

// close writes what the shuffle buffer holds and what printsafe held back.
func (o *rowOutput) close() error {
	if o.shuffle != nil {
		if err := o.shuffle.flush(); err != nil {
			return err
		}
	}
	return o.safe.Close()
}

// ktoRNG is the random order of a kto export's rows: the labels export's,
// so that --seed means the same in both.
func ktoRNG(seed uint64) (*rand.Rand, uint64) {
	if seed == 0 {
		seed = DefaultExportSeed
	}
	return rand.New(rand.NewPCG(seed, 0x706f7069)), seed // "popi"
}

// ktoUserOrder is the random order a kto export visits users in, from the
// same seed as its rows but a stream of its own: the users are ordered on
// the transaction's goroutine while the rows are shuffled on emit's, and
// one generator shared by both would race and give another file each run.
func ktoUserOrder(seed uint64) func(n int, swap func(i, j int)) {
	return rand.New(rand.NewPCG(seed, 0x75736572)).Shuffle // "user"
}
