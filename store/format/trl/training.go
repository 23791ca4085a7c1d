package trl

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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
	// none.
	Summary store.Summary
}

// UserSource is where the training-loop exports read users: every user's
// id, in order, then each user's data. DBUsers reads a database; tests
// give users of their own.
type UserSource struct {
	IDs  func() ([]string, error)
	Read func(id string) (UserData, error)
}

// DBUsers reads the users of db. Each user is read in a transaction of
// its own, none held while the caller renders a prompt: the renderer reads
// the database too (the engine reads the current summary), and a read
// transaction opened inside another can deadlock against a writer. The
// datasets are read with the ids, so Read knows them once IDs has run.
func DBUsers(db *store.DB) UserSource {
	datasets := map[string]string{}
	return UserSource{
		IDs: func() ([]string, error) {
			var ids []string
			err := db.EachUser("", func(u store.User) (bool, error) {
				ids = append(ids, u.ID)
				if u.Dataset != "" {
					datasets[u.ID] = u.Dataset
				}
				return true, nil
			})
			return ids, err
		},
		Read: func(id string) (UserData, error) {
			signals, err := db.Signals(id)
			if err != nil {
				return UserData{}, fmt.Errorf("user %q: %w", id, err)
			}
			summary, _, err := db.CurrentSummary(id)
			if err != nil {
				return UserData{}, fmt.Errorf("user %q: current summary: %w", id, err)
			}
			return UserData{ID: id, Dataset: datasets[id], Signals: signals, Summary: summary}, nil
		},
	}
}

// each reads the users of ids in turn and hands each to fn.
func (s UserSource) each(ids []string, fn func(UserData) error) error {
	for _, id := range ids {
		u, err := s.Read(id)
		if err != nil {
			return err
		}
		if err := fn(u); err != nil {
			return err
		}
	}
	return nil
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

// rowOutput writes rows as JSONL through printsafe, in order or, for
// kto, through a seeded shuffle buffer (see rowShuffler).
type rowOutput struct {
	safe    *printsafe.Writer
	shuffle *rowShuffler
	buf     bytes.Buffer
	enc     *json.Encoder
}

// newRowOutput writes to w; rng, when not nil, shuffles the rows.
func newRowOutput(w io.Writer, rng *rand.Rand) *rowOutput {
	o := &rowOutput{safe: printsafe.NewWriter(w)}
	if rng != nil {
		o.shuffle = newRowShuffler(rng, o.safe, shuffleBuffer)
	}
	o.enc = json.NewEncoder(&o.buf)
	o.enc.SetEscapeHTML(false) // code answers keep their <, > and &
	return o
}

func (o *rowOutput) write(row any) error {
	o.buf.Reset()
	if err := o.enc.Encode(row); err != nil {
		return err
	}
	if o.shuffle != nil {
		return o.shuffle.add(o.buf.Bytes())
	}
	_, err := o.safe.Write(o.buf.Bytes())
	return err
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

// ktoRNG is the random order of a kto export: the labels export's, so that
// --seed means the same in both.
func ktoRNG(seed uint64) (*rand.Rand, uint64) {
	if seed == 0 {
		seed = DefaultExportSeed
	}
	return rand.New(rand.NewPCG(seed, 0x706f7069)), seed // "popi"
}
