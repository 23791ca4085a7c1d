package store

import (
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/popi-tui/popi-tui/store/format/jsonscan"
)

// Decision is what a decision says, without its texts (prompt,
// rationale): what an export reads of a label.
type Decision struct {
	ID             string      `json:"id"`
	User           string      `json:"user"`
	PromptID       string      `json:"prompt_id"`
	SummaryID      string      `json:"summary_id"`
	SummaryVersion int         `json:"summary_version"`
	Candidates     []Candidate `json:"candidates"` // in pane order
	Verdict        string      `json:"verdict"`
	Ranking        []string    `json:"ranking"`
	Annotator      string      `json:"annotator"`
	DecidedAt      time.Time   `json:"decided_at"`
}

// labelHead is what working out the current decisions needs of a label
// record: decoding only these fields skips the texts (prompt, rationale).
type labelHead struct {
	seq      uint64 // storage order
	Kind     string `json:"kind"`
	Retracts string `json:"retracts"`
	Amends   string `json:"amends"`
	Decision
}

func (h *labelHead) itemKey() string { return itemKey(h.Annotator, h.User, h.PromptID, h.Candidates) }

// labelHeads reads the head of every label record, oldest first.
func labelHeads(tx *bolt.Tx) ([]labelHead, error) {
	var heads []labelHead
	err := eachLabelHead(tx, func(h *labelHead) { heads = append(heads, *h) })
	return heads, err
}

// headChunk is how many label records eachLabelHead decodes at once.
const headChunk = 16384

// eachLabelHead reads the head of every label record and passes each to
// fn, oldest first, on the transaction's goroutine (valid during the call).
// The records are decoded on every core, a chunk at a time, so that memory
// holds a chunk of heads however many labels there are: screens and
// exports start here.
func eachLabelHead(tx *bolt.Tx, fn func(*labelHead)) error {
	raws := make([][]byte, 0, headChunk) // in the memory map: valid while tx is open
	heads := make([]labelHead, 0, headChunk)
	flush := func() error {
		err := parallelFor(tx.DB().Path(), len(heads), func(i int) error {
			if err := heads[i].decode(raws[i]); err != nil {
				return fmt.Errorf("label %d: %w", heads[i].seq, err)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for i := range heads {
			fn(&heads[i])
		}
		raws, heads = raws[:0], heads[:0]
		return nil
	}
	c := tx.Bucket(bucketLabels).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		raws = append(raws, v)
		heads = append(heads, labelHead{seq: decodeSeqKey(k)})
		if len(heads) == headChunk {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// decode reads a head from a stored label record. Every screen and export
// starts by reading every label's head, so it reads the members it needs
// with the importer's scanner rather than decoding the record with
// encoding/json (a test holds the two to the same result), and decodes
// only the strings it keeps: the prompt and the rationale are skipped.
func (h *labelHead) decode(v []byte) error {
	return jsonscan.ObjectRaw(v, func(key string, m jsonscan.Value) error {
		var err error
		switch key {
		case "id":
			h.ID, err = rawText(key, m)
		case "kind":
			h.Kind, err = rawText(key, m)
		case "retracts":
			h.Retracts, err = rawText(key, m)
		case "amends":
			h.Amends, err = rawText(key, m)
		case "user":
			h.User, err = rawText(key, m)
		case "prompt_id":
			h.PromptID, err = rawText(key, m)
		case "summary_id":
			h.SummaryID, err = rawText(key, m)
		case "summary_version":
			h.SummaryVersion, err = m.Int(key)
		case "verdict":
			h.Verdict, err = rawText(key, m)
		case "annotator":
			h.Annotator, err = rawText(key, m)
		case "decided_at":
			var t string
			if t, err = rawText(key, m); err == nil {
				h.DecidedAt, err = time.Parse(time.RFC3339Nano, t)
			}
		case "ranking":
			h.Ranking = nil
			err = m.Elements(key, func(e jsonscan.Value) error {
				p, err := e.Text(key)
				h.Ranking = append(h.Ranking, p)
				return err
			})
		case "candidates":
			h.Candidates = nil
			err = m.Elements(key, func(e jsonscan.Value) error {
				var c Candidate
				err := c.decode(e)
				h.Candidates = append(h.Candidates, c)
				return err
			})
		}
		return err
	})
}

// rawText is a string member left as written (jsonscan.ObjectRaw),
// decoded ("" for null, as encoding/json leaves it).
func rawText(key string, m jsonscan.Value) (string, error) {
	switch m.Kind {
	case '"':
		return jsonscan.Unquote(m.Raw)
	case 'n':
		return "", nil
	}
	return "", fmt.Errorf("%s: not a string", key)
}

// decode reads a candidate of a stored label record.
func (c *Candidate) decode(v jsonscan.Value) error {
	if v.Kind != '{' {
		return fmt.Errorf("candidate: not an object")
	}
	return jsonscan.Object(v.Raw, func(key string, m jsonscan.Value) error {
		var err error
		switch key {
		case "pane":
			c.Pane, err = m.Text(key)
		case "slot":
			c.Slot, err = m.Int(key)
		case "backend":
			c.Backend, err = m.Text(key)
		case "model":
			c.Model, err = m.Text(key)
		case "condition":
			c.Condition, err = m.Text(key)
		case "generation_id":
			c.GenerationID, err = m.Text(key)
		case "replay":
			c.Replay, err = m.Text(key)
		case "summary_id":
			c.SummaryID, err = m.Text(key)
		}
		return err
	})
}

// currentPerItem maps each item (per annotator) that has a current
// decision to that decision's id.
func currentPerItem(tx *bolt.Tx) (map[string]string, error) {
	heads, err := labelHeads(tx)
	if err != nil {
		return nil, err
	}
	current := map[string]string{}
	for _, i := range currentDecisions(heads) {
		current[heads[i].itemKey()] = heads[i].ID
	}
	return current, nil
}

// currentDecisions lists, oldest first, the indexes in heads of the current
// decisions (labelMarks.current says which are).
func currentDecisions(heads []labelHead) []int {
	var m labelMarks
	for i := range heads {
		m.add(&heads[i])
	}
	return m.current()
}
