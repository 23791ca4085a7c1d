package store

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Label kinds. Labels are append-only: taking a decision back adds a
// retraction, and adding a rationale adds a decision that amends the
// earlier one. The newest record of an item is its current state.
const (
	LabelDecision   = "decision"
	LabelRetraction = "retraction"
)

// Verdicts other than a pane letter ("a", "b", …: that pane is best).
const (
	VerdictTie     = "tie"
	VerdictBothBad = "both_bad"
	VerdictSkip    = "skip"
)

// MaxCandidates is the most panes one item compares.
const MaxCandidates = 4

// RankTie joins the panes of one rank in a ranking: ["b", "a=c"] ranks b
// first, then a and c equal.
const RankTie = "="

// RankGroups splits a ranking into its ranks, best first, each the panes
// ranked there (one, or more when they were ranked equal).
func RankGroups(ranking []string) [][]string {
	out := make([][]string, len(ranking))
	for i, r := range ranking {
		out[i] = strings.Split(r, RankTie)
	}
	return out
}

// RankOf is the rank of a pane in a ranking (1 the best; panes ranked
// equal share one), 0 when it has none.
func RankOf(ranking []string, pane string) int {
	for i, g := range RankGroups(ranking) {
		if slices.Contains(g, pane) {
			return i + 1
		}
	}
	return 0
}

// PaneLetter names the i-th pane shown (0 → "a").
func PaneLetter(i int) string { return string(rune('a' + i)) }

// Candidate is one answer shown for judging.
type Candidate struct {
	Pane         string `json:"pane"` // the letter it was shown under
	Slot         int    `json:"slot"` // its place in the comparison as configured, before shuffling
	Backend      string `json:"backend"`
	Model        string `json:"model"`
	Condition    string `json:"condition"`
	GenerationID string `json:"generation_id"`
	// Replay is "chosen" or "rejected" for a response replayed from a
	// held-out pair, so labels can be checked against the dataset's choice.
	Replay string `json:"replay,omitempty"`
	// SummaryID names the summary shown, in a decision between summaries
	// (summary_labels.go); answers' candidates have none.
	SummaryID string `json:"summary_id,omitempty"`
}

// Label is one record of a person's judgement of one item: a user and a
// prompt, with 2–4 candidate answers.
type Label struct {
	ID       string `json:"id"`
	Kind     string `json:"kind"`               // LabelDecision or LabelRetraction
	Retracts string `json:"retracts,omitempty"` // a retraction: the decision taken back
	Amends   string `json:"amends,omitempty"`   // a decision that replaces an earlier one (a rationale added)

	User           string `json:"user"`
	PromptID       string `json:"prompt_id"`
	Prompt         string `json:"prompt"`
	SummaryID      string `json:"summary_id,omitempty"`
	SummaryVersion int    `json:"summary_version,omitempty"`
	SummaryHash    string `json:"summary_hash,omitempty"` // TextHash of the summary text
	// Candidates are in the order shown: Candidates[0] is pane "a".
	Candidates []Candidate `json:"candidates,omitempty"`
	Verdict    string      `json:"verdict,omitempty"`
	Ranking    []string    `json:"ranking,omitempty"` // panes, best first, when ranked; panes ranked equal share an entry, joined by RankTie
	Rationale  string      `json:"rationale,omitempty"`
	Annotator  string      `json:"annotator"`
	ShownAt    time.Time   `json:"shown_at"`
	DecidedAt  time.Time   `json:"decided_at"`
	AppVersion string      `json:"app_version,omitempty"`
}

// ItemKey identifies what a label judges, per annotator: a user's prompt
// under one comparison. The newest label with a given key is that
// annotator's current decision on the item. The same prompt judged again
// between other candidates is another item: that judgement does not
// replace this one.
func (l Label) ItemKey() string { return itemKey(l.Annotator, l.User, l.PromptID, l.Candidates) }

func itemKey(annotator, user, promptID string, cands []Candidate) string {
	return annotator + "\x00" + user + "\x00" + promptID + "\x00" + Comparison(cands)
}

// Comparison names what candidates compare, whatever order they were
// shown in: "NAME:CONDITION" (or "replay:chosen" for a replayed answer)
// per candidate, in slot order, joined by commas, as --compare lists them.
func Comparison(cands []Candidate) string {
	bySlot := cands
	if !inSlotOrder(cands) {
		bySlot = slices.Clone(cands)
		slices.SortStableFunc(bySlot, func(a, b Candidate) int { return a.Slot - b.Slot })
	}
	var b strings.Builder
	for i, c := range bySlot {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(c.Backend)
		b.WriteByte(':')
		if c.Replay != "" {
			b.WriteString(c.Replay)
		} else {
			b.WriteString(c.Condition)
		}
	}
	return b.String()
}

func inSlotOrder(cands []Candidate) bool {
	return slices.IsSortedFunc(cands, func(a, b Candidate) int { return a.Slot - b.Slot })
}

// Retraction returns the record that takes l back. It carries the
// candidates of the decision, so that it names the same item.
func (l Label) Retraction(at time.Time, appVersion string) Label {
	return Label{Kind: LabelRetraction, Retracts: l.ID, User: l.User, PromptID: l.PromptID, Prompt: l.Prompt,
		Candidates: l.Candidates, Annotator: l.Annotator, ShownAt: l.ShownAt, DecidedAt: at, AppVersion: appVersion}
}

// Pane returns the candidate shown under a letter.
func (l Label) Pane(letter string) (Candidate, bool) {
	for _, c := range l.Candidates {
		if c.Pane == letter {
			return c, true
		}
	}
	return Candidate{}, false
}

func (l *Label) validate() error {
	switch {
	case strings.TrimSpace(l.Annotator) == "":
		return fmt.Errorf("no annotator")
	case l.User == "" || l.PromptID == "":
		return fmt.Errorf("no user or prompt")
	}
	if l.Kind == LabelRetraction {
		if l.Retracts == "" {
			return fmt.Errorf("a retraction must name the decision it takes back")
		}
		return nil
	}
	if l.Kind != LabelDecision {
		return fmt.Errorf("unknown label kind %q", l.Kind)
	}
	if n := len(l.Candidates); n < 2 || n > MaxCandidates {
		return fmt.Errorf("%d candidates (want 2 to %d)", n, MaxCandidates)
	}
	for i, c := range l.Candidates {
		if c.Pane != PaneLetter(i) {
			return fmt.Errorf("candidate %d is shown as pane %q (want %q)", i, c.Pane, PaneLetter(i))
		}
	}
	if err := checkSummaryCandidates(l.Candidates); err != nil {
		return err
	}
	if l.Verdict != "" && len(l.Ranking) > 0 {
		return fmt.Errorf("both a verdict (%q) and a ranking: a decision is one or the other", l.Verdict)
	}
	switch l.Verdict {
	case VerdictTie, VerdictBothBad, VerdictSkip:
	case "":
		groups := RankGroups(l.Ranking)
		n := 0
		for _, g := range groups {
			n += len(g)
		}
		if n != len(l.Candidates) {
			return fmt.Errorf("no verdict, and the ranking does not rank every pane")
		}
		seen := map[string]bool{}
		for _, g := range groups {
			for _, p := range g {
				if _, ok := l.Pane(p); !ok || seen[p] {
					return fmt.Errorf("ranking %v is not an order of the panes", l.Ranking)
				}
				seen[p] = true
			}
		}
		if len(groups) < 2 {
			return fmt.Errorf("ranking %v ranks every pane equal: that is the verdict %q", l.Ranking, VerdictTie)
		}
	default:
		if _, ok := l.Pane(l.Verdict); !ok {
			return fmt.Errorf("verdict %q names no pane", l.Verdict)
		}
	}
	return nil
}

// AddLabel appends a label (a decision or a retraction), and the
// annotator's session state when given, in one transaction that is on disk
// (fsync'd) when AddLabel returns. It returns l with its new ID set. l must
// not carry an ID: a copy of a stored label would otherwise be a second
// record under the same id (to amend a decision, set Amends instead).
func (db *DB) AddLabel(l Label, session *Session) (Label, error) {
	if l.ID != "" {
		return Label{}, fmt.Errorf("add label: it already has id %s (a new record gets a new id; set Amends to replace a decision)", l.ID)
	}
	if err := l.validate(); err != nil {
		return Label{}, fmt.Errorf("add label: %w", err)
	}
	if l.DecidedAt.IsZero() {
		l.DecidedAt = time.Now().UTC()
	}
	l.ID = newID(l.DecidedAt)
	v, err := json.Marshal(l)
	if err != nil {
		return Label{}, fmt.Errorf("add label: %w", err)
	}
	err = db.bolt.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketLabels)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		if err := b.Put(seqKey(seq), v); err != nil {
			return err
		}
		if err := noteLabel(tx, seq, v); err != nil {
			return err
		}
		if session != nil {
			return putSession(tx, *session)
		}
		return nil
	})
	if err != nil {
		return Label{}, fmt.Errorf("add label: %w", err)
	}
	return l, nil
}

// EachLabel calls fn for every label record as stored, oldest first.
func (db *DB) EachLabel(fn func(Label) error) error {
	return db.bolt.View(func(tx *bolt.Tx) error { return eachLabel(tx, fn) })
}

func eachLabel(tx *bolt.Tx, fn func(Label) error) error {
	return tx.Bucket(bucketLabels).ForEach(func(k, v []byte) error {
		var l Label
		if err := json.Unmarshal(v, &l); err != nil {
			return fmt.Errorf("label %d: %w", decodeSeqKey(k), err)
		}
		return fn(l)
	})
}

// CurrentLabels calls fn for every current decision, oldest first: for
// each annotator and item, the newest decision not taken back.
func (db *DB) CurrentLabels(fn func(Label) error) error {
	return db.bolt.View(func(tx *bolt.Tx) error { return currentLabels(tx, fn) })
}

func currentLabels(tx *bolt.Tx, fn func(Label) error) error {
	// Passes over one snapshot: memory holds an id or two per label, not
	// the labels.
	current, err := currentPerItem(tx)
	if err != nil {
		return err
	}
	return eachLabel(tx, func(l Label) error {
		if l.Kind == LabelDecision && current[l.ItemKey()] == l.ID {
			return fn(l)
		}
		return nil
	})
}

// Session is where an annotator is in the labeling queue of one
// comparison, so that reopening popi-tui with the same name and the same
// --compare resumes there (another comparison is another queue).
type Session struct {
	Annotator string    `json:"annotator"`
	Compare   string    `json:"compare,omitempty"` // what is compared: Comparison of the candidates
	Position  int       `json:"position"`          // items done in the queue
	LastItem  string    `json:"last_item,omitempty"`
	Seed      int64     `json:"seed,omitempty"` // for the pane order
	UpdatedAt time.Time `json:"updated_at"`
}

func putSession(tx *bolt.Tx, s Session) error {
	if strings.TrimSpace(s.Annotator) == "" {
		return fmt.Errorf("session without an annotator")
	}
	if s.UpdatedAt.IsZero() {
		s.UpdatedAt = time.Now().UTC()
	}
	v, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketSessions).Put(sessionKey(s.Annotator, s.Compare), v)
}

// sessionKey is where a session is kept: per annotator and comparison.
func sessionKey(annotator, compare string) []byte {
	if compare == "" {
		return []byte(annotator)
	}
	return []byte(annotator + "\x00" + compare)
}

// PutSession saves an annotator's session state for s.Compare.
func (db *DB) PutSession(s Session) error {
	if err := db.bolt.Update(func(tx *bolt.Tx) error { return putSession(tx, s) }); err != nil {
		return fmt.Errorf("save session of %q: %w", s.Annotator, err)
	}
	return nil
}

// Session returns an annotator's saved session of a comparison; ok is
// false for a new one.
func (db *DB) Session(annotator, compare string) (s Session, ok bool, err error) {
	err = db.bolt.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketSessions).Get(sessionKey(annotator, compare))
		if v == nil {
			return nil
		}
		ok = true
		return json.Unmarshal(v, &s)
	})
	return s, ok, err
}

// LabelsByUser counts the current decisions per user, of one annotator
// ("" for everyone's).
func (db *DB) LabelsByUser(annotator string) (map[string]int, error) {
	counts := map[string]int{}
	err := db.CurrentLabels(func(l Label) error {
		if annotator == "" || l.Annotator == annotator {
			counts[l.User]++
		}
		return nil
	})
	return counts, err
}
