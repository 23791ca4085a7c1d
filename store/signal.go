package store

import (
	"encoding/json"
	"fmt"
)

// Kind is what a signal tells about its user (DESIGN §3.1).
type Kind uint8

const (
	KindPair    Kind = iota + 1 // a preference: prompt, chosen, rejected
	KindText                    // something the user wrote
	KindProfile                 // demographic or trait description, given to the summarizer
	KindPersona                 // ground truth of a synthetic user, never given to the summarizer
	KindTask                    // a prompt to generate for and label
)

var kindNames = [...]string{KindPair: "pair", KindText: "text", KindProfile: "profile", KindPersona: "persona", KindTask: "task"}

func (k Kind) String() string {
	if k >= KindPair && k <= KindTask {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// ParseKind maps the JSON spelling of a kind to its value.
func ParseKind(s string) (Kind, bool) {
	for k := KindPair; k <= KindTask; k++ {
		if kindNames[k] == s {
			return k, true
		}
	}
	return 0, false
}

// Split says whether a pair may be shown to the summarizer.
type Split uint8

const (
	SplitHistory Split = iota // the default: the summarizer sees it
	SplitHeldout              // kept back to test what a summary predicts
)

func (s Split) String() string {
	if s == SplitHeldout {
		return "heldout"
	}
	return "history"
}

// ParseSplit maps the JSON spelling of a split to its value; "" is history.
func ParseSplit(s string) (Split, bool) {
	switch s {
	case "", "history":
		return SplitHistory, true
	case "heldout":
		return SplitHeldout, true
	}
	return 0, false
}

// Signal is one thing known about a user: a preference pair, a text, a
// profile, a persona or a task. Text fields hold exactly what the input file
// held; which of them are set depends on Kind.
type Signal struct {
	User     string
	ID       string // the record's id, or a content hash; unique within the user
	Kind     Kind
	Split    Split  // pairs only
	Prompt   string // pair, task
	Chosen   string // pair
	Rejected string // pair
	Text     string // text, profile, persona
	Source   string // text: where it was written ("comment", "review", …)
	// Meta holds the record's meta object merged with its unknown fields, as
	// a JSON object; nil when there were none.
	Meta json.RawMessage
	// Seq is the signal's position in import order, assigned by the store.
	// History is shown, and cut to a token budget, in this order.
	Seq uint64
}

// sameContent reports whether two signals of one user say the same thing;
// Seq is where they were stored, not what they say.
func (s Signal) sameContent(o Signal) bool {
	s.Seq, o.Seq = 0, 0
	return s.User == o.User && s.ID == o.ID && s.Kind == o.Kind && s.Split == o.Split &&
		s.Prompt == o.Prompt && s.Chosen == o.Chosen && s.Rejected == o.Rejected &&
		s.Text == o.Text && s.Source == o.Source && string(s.Meta) == string(o.Meta)
}

// Counts tallies a user's signals by kind.
type Counts struct {
	HistoryPairs int `json:"history_pairs"`
	HeldoutPairs int `json:"heldout_pairs"`
	Texts        int `json:"texts"`
	Profiles     int `json:"profiles"`
	Personas     int `json:"personas"`
	Tasks        int `json:"tasks"`
}

// add counts one signal of the given kind and split, n times (n may be -1).
func (c *Counts) add(k Kind, sp Split, n int) {
	switch k {
	case KindPair:
		if sp == SplitHeldout {
			c.HeldoutPairs += n
		} else {
			c.HistoryPairs += n
		}
	case KindText:
		c.Texts += n
	case KindProfile:
		c.Profiles += n
	case KindPersona:
		c.Personas += n
	case KindTask:
		c.Tasks += n
	}
}

// Total is the number of signals counted.
func (c Counts) Total() int {
	return c.HistoryPairs + c.HeldoutPairs + c.Texts + c.Profiles + c.Personas + c.Tasks
}

// Plus returns the element-wise sum.
func (c Counts) Plus(o Counts) Counts {
	return Counts{
		HistoryPairs: c.HistoryPairs + o.HistoryPairs,
		HeldoutPairs: c.HeldoutPairs + o.HeldoutPairs,
		Texts:        c.Texts + o.Texts,
		Profiles:     c.Profiles + o.Profiles,
		Personas:     c.Personas + o.Personas,
		Tasks:        c.Tasks + o.Tasks,
	}
}

// User is one person (or synthetic persona) whose preferences are modelled.
type User struct {
	ID string `json:"id"`
	// Meta holds user-level fields of the input that popi-tui has no place
	// for (AlignX's "Preference Direction", for one), as a JSON object.
	Meta json.RawMessage `json:"meta,omitempty"`
	// Counts is read from the signal index, never stored: an import then
	// writes a user once, when it creates it, not once per signal.
	Counts Counts `json:"-"`
	// FirstSeq is the Seq of the first signal imported for this user; an
	// import being rolled back removes the users it created.
	FirstSeq uint64 `json:"first_seq"`
}
