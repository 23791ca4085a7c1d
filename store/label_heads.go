package store

import (
	"fmt"
	"slices"
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

// labelHeads reads the head of every label record, oldest first. The
// records are decoded on every core: screens and exports start here.
func labelHeads(tx *bolt.Tx) ([]labelHead, error) {
	var raws [][]byte // in the memory map: valid while tx is open
	var heads []labelHead
	err := tx.Bucket(bucketLabels).ForEach(func(k, v []byte) error {
		raws = append(raws, v)
		heads = append(heads, labelHead{seq: decodeSeqKey(k)})
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = parallelFor(tx.DB().Path(), len(heads), func(i int) error {
		if err := heads[i].decode(raws[i]); err != nil {
			return fmt.Errorf("label %d: %w", heads[i].seq, err)
		}
		return nil
	})
	return heads, err
}

// decode reads a head from a stored label record. Every screen and export
// starts by reading every label's head, so it reads the members it needs
// with the importer's scanner rather than decoding the record with
// encoding/json (a test holds the two to the same result).
func (h *labelHead) decode(v []byte) error {
	return jsonscan.Object(v, func(key string, m jsonscan.Value) error {
		var err error
		switch key {
		case "id":
			h.ID, err = m.Text(key)
		case "kind":
			h.Kind, err = m.Text(key)
		case "retracts":
			h.Retracts, err = m.Text(key)
		case "amends":
			h.Amends, err = m.Text(key)
		case "user":
			h.User, err = m.Text(key)
		case "prompt_id":
			h.PromptID, err = m.Text(key)
		case "summary_id":
			h.SummaryID, err = m.Text(key)
		case "summary_version":
			h.SummaryVersion, err = m.Int(key)
		case "verdict":
			h.Verdict, err = m.Text(key)
		case "annotator":
			h.Annotator, err = m.Text(key)
		case "decided_at":
			var t string
			if t, err = m.Text(key); err == nil {
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
// decisions: for each annotator and item, the newest decision neither taken
// back nor amended. A retraction takes back the decision it names and the
// ones that decision amended (undoing a decision to which a rationale was
// added undoes the decision, not just the rationale). Newest is by
// DecidedAt, then by storage order: after a merge, storage order is merge
// order, and which decision counts must not depend on who merged whom.
func currentDecisions(heads []labelHead) []int {
	amends := map[string]string{}
	var retracted []string
	for i := range heads {
		h := &heads[i]
		switch {
		case h.Kind == LabelRetraction:
			retracted = append(retracted, h.Retracts)
		case h.Amends != "":
			amends[h.ID] = h.Amends
		}
	}
	withdrawn := map[string]bool{}
	for _, id := range retracted {
		for ; id != "" && !withdrawn[id]; id = amends[id] {
			withdrawn[id] = true
		}
	}
	for _, amended := range amends {
		withdrawn[amended] = true // replaced by the decision that amends it
	}
	latest := map[string]int{}
	for i := range heads {
		h := &heads[i]
		if h.Kind != LabelDecision || withdrawn[h.ID] {
			continue
		}
		k := h.itemKey()
		if cur, ok := latest[k]; !ok || !h.DecidedAt.Before(heads[cur].DecidedAt) {
			latest[k] = i
		}
	}
	out := make([]int, 0, len(latest))
	for _, i := range latest {
		out = append(out, i)
	}
	slices.Sort(out)
	return out
}
