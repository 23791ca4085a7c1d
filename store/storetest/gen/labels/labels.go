// Package labels adds generated label decisions to a database of generated
// users (package gen), for the label exports' benchmarks at scale: pairs
// of replayed answers (a user's chosen and rejected response, as the replay
// backend stores them, each with the 1–2 KB generator input it was sent)
// and the decisions of two annotators on each, some amended and some
// retracted, so that every rule of which decisions are current is at work.
// The same options write the same records.
//
// The records go straight into the database's buckets (ARCHITECTURE.md,
// The database), many to a transaction: AddLabel's fsync per label would
// take hours at a million. The counters are not told about the
// generations or the human summaries (stats counts fewer than there are).
// The list of users with a person's version is kept, as the store keeps
// it; the labels' items and the count of current decisions are rebuilt
// from the records at the end (store.DB.RebuildLabelIndex).
package labels

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/popi-tui/popi-tui/store"
)

// Options say what to add.
type Options struct {
	Labels int   // decisions, before amendments and retractions
	Users  int   // the generated users they are spread over (user-0 …)
	Seed   int64 // 0 means 1
	// HumanEvery, when not 0, also gives every HumanEvery-th user a
	// summary version written by a person over their newest one.
	HumanEvery int
}

// Report says what was added.
type Report struct {
	Decisions, Amendments, Retractions, Generations, HumanSummaries int
}

// Every amendEvery-th decision is amended (a second decision naming it,
// with a rationale) and every retractEvery-th taken back.
const (
	amendEvery   = 20
	retractEvery = 50
	batch        = 8192 // decisions a transaction
)

// annotators decide each item in turn: item k is decided by both.
var annotators = []string{"ann", "bob"}

// Add writes opt's labels into the database file at path (which must be
// closed, and at the current schema: store.Open it once first).
func Add(path string, opt Options) (Report, error) {
	var rep Report
	if opt.Labels < 0 || opt.Users <= 0 || opt.HumanEvery < 0 {
		return rep, fmt.Errorf("labels: %d labels over %d users: need users, and no fewer than no labels", opt.Labels, opt.Users)
	}
	if opt.Seed == 0 {
		opt.Seed = 1
	}
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		return rep, fmt.Errorf("labels: %w", err)
	}
	defer db.Close()
	w := writer{r: rand.New(rand.NewSource(opt.Seed)), opt: opt, at: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	for start := 0; start < opt.Labels; start += batch {
		err := db.Update(func(tx *bolt.Tx) error {
			return w.decisions(tx, start, min(opt.Labels, start+batch), &rep)
		})
		if err != nil {
			return rep, fmt.Errorf("labels: decisions from %d: %w", start, err)
		}
	}
	if opt.HumanEvery > 0 {
		if rep.HumanSummaries, err = addHumanSummaries(db, opt, w.r, w.at); err != nil {
			return rep, fmt.Errorf("labels: %w", err)
		}
	}
	if err := db.Close(); err != nil {
		return rep, fmt.Errorf("labels: %w", err)
	}
	// The labels' items and the count of current decisions, which the
	// store's writers keep, are worked out from the records written.
	sdb, err := store.Open(path)
	if err != nil {
		return rep, fmt.Errorf("labels: %w", err)
	}
	defer sdb.Close()
	if err := sdb.RebuildLabelIndex(); err != nil {
		return rep, fmt.Errorf("labels: %w", err)
	}
	return rep, nil
}

// writer makes the records.
type writer struct {
	r   *rand.Rand
	opt Options
	at  time.Time
}

// decisions writes decisions [from, to), their generations (one pair per
// item, for both its decisions) and their amendments and retractions.
func (w *writer) decisions(tx *bolt.Tx, from, to int, rep *Report) error {
	gens, labels := tx.Bucket([]byte("generations")), tx.Bucket([]byte("labels"))
	gens.FillPercent, labels.FillPercent = 1, 1 // keys only ever grow
	var cands []store.Candidate
	for i := from; i < to; i++ {
		item := i / len(annotators)
		user, prompt := fmt.Sprintf("user-%d", item%w.opt.Users), fmt.Sprintf("r%d", item/w.opt.Users) // one item each
		if i%len(annotators) == 0 || cands == nil {
			var err error
			if cands, err = w.generations(gens, item, user, prompt); err != nil {
				return err
			}
			rep.Generations += len(cands)
		}
		l := store.Label{ID: fmt.Sprintf("label-%09d", i), Kind: store.LabelDecision, User: user, PromptID: prompt,
			Prompt: words(w.r, 10+w.r.Intn(31)), SummaryID: "S-" + user, SummaryVersion: 1, Candidates: cands,
			Verdict: store.PaneLetter(w.r.Intn(2)), Annotator: annotators[i%len(annotators)],
			ShownAt: w.at, DecidedAt: w.at.Add(time.Duration(i) * time.Second), AppVersion: "labelgen"}
		if i%7 == 3 {
			l.Verdict = store.VerdictTie
		}
		if err := put(labels, l); err != nil {
			return err
		}
		rep.Decisions++
		if i%amendEvery == amendEvery-1 {
			a := l
			a.ID, a.Amends, a.Rationale = l.ID+"-amended", l.ID, words(w.r, 20)
			a.DecidedAt = l.DecidedAt.Add(time.Minute)
			if err := put(labels, a); err != nil {
				return err
			}
			rep.Amendments++
		}
		if i%retractEvery == retractEvery-1 {
			r := l.Retraction(l.DecidedAt.Add(time.Hour), "labelgen")
			r.ID = l.ID + "-retracted"
			if err := put(labels, r); err != nil {
				return err
			}
			rep.Retractions++
		}
	}
	return nil
}

// generations writes the two replayed answers of an item and returns
// them as candidates, in pane order.
func (w *writer) generations(b *bolt.Bucket, item int, user, prompt string) ([]store.Candidate, error) {
	question := words(w.r, 10+w.r.Intn(31))
	input := []store.Message{{Role: "system", Content: "You answer as this user would prefer. " + words(w.r, 40)},
		{Role: "user", Content: "# What this user prefers\n\n" + words(w.r, 120+w.r.Intn(120)) + "\n\n# Prompt\n\n" + question}}
	var cands []store.Candidate
	for slot, replay := range []string{"chosen", "rejected"} {
		g := store.Generation{ID: fmt.Sprintf("gen-%09d-%d", item, slot), Key: fmt.Sprintf("key-%09d-%d", item, slot), User: user,
			PromptID: prompt, Prompt: question, Condition: store.ConditionSummary, SummaryID: "S-" + user,
			Backend: "replay", Model: replay, Messages: input, Text: words(w.r, 60+w.r.Intn(200)), FinishReason: "stop", CreatedAt: w.at}
		v, err := json.Marshal(g)
		if err != nil {
			return nil, err
		}
		if err := b.Put([]byte(g.ID), v); err != nil {
			return nil, err
		}
		cands = append(cands, store.Candidate{Pane: store.PaneLetter(slot), Slot: slot, Backend: g.Backend, Model: g.Model,
			Condition: g.Condition, GenerationID: g.ID, Replay: replay})
	}
	return cands, nil
}

// put appends a label record under the bucket's next sequence number.
func put(b *bolt.Bucket, l store.Label) error {
	v, err := json.Marshal(l)
	if err != nil {
		return err
	}
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	return b.Put(binary.BigEndian.AppendUint64(nil, seq), v)
}

// vocabulary is what answers are made of: escapes, non-ASCII text and
// code, as real answers have.
var vocabulary = strings.Fields("the a answer should be short and to the point with list of steps café naïve code example " +
	"func main() { fmt.Println(\"hi\") } because users prefer clear structure 😀 headings ## Summary - item <b>bold</b> & " +
	"one two \"quoted\" text tabs\tand more words about databases networks cooking I think you could try this first.")

// words is n words of the vocabulary, a line break now and then.
func words(r *rand.Rand, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			if r.Intn(12) == 0 {
				b.WriteByte('\n')
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteString(vocabulary[r.Intn(len(vocabulary))])
	}
	return b.String()
}
