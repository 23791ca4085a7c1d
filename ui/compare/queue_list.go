package compare

import "github.com/popi-tui/popi-tui/store"

// QueueRow is one item of an annotator's queue, as popi-tui queue lists
// it: scripts and tests check a campaign's assignment with it.
type QueueRow struct {
	User, PromptID string
	Heldout        bool   // a held-out pair (else a task)
	Verdict        string // the annotator's current decision; "" when undecided
	Skips          int    // their skips of it standing
	Done           bool   // it will not be asked again (a skip that comes back once is not done)
	// Annotators is whom of the team the item goes to (nil without one).
	Annotators []string
}

// QueueList is an annotator's queue: its items in queue order, the tally,
// and the position labeling resumes at (-1 when every item is done).
type QueueList struct {
	Rows  []QueueRow
	Tally QueueTally
	Next  int
}

// ListQueue reads the queue the Compare screen would show opt.Annotator.
func ListQueue(db *store.DB, opt QueueOptions) (QueueList, error) {
	d, err := readQueue(db, opt)
	if err != nil {
		return QueueList{}, err
	}
	q := d.queue(opt.Settings.Skips)
	list := QueueList{Rows: make([]QueueRow, len(q.items)), Tally: q.tally(), Next: q.resume(d.session.LastItem)}
	for i, it := range q.items {
		k := q.keys[i]
		list.Rows[i] = QueueRow{User: it.User, PromptID: it.PromptID, Heldout: it.Heldout, Verdict: q.verdict[k],
			Skips: q.skipped[k], Done: q.isDone(i), Annotators: assignees(opt.Settings.Team, opt.Settings.Overlap, it.User, it.PromptID)}
	}
	return list, nil
}
