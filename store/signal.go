package store

import (
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/popi-tui/popi-tui/store/signal"
)

// A signal is defined in package signal, which the format packages share
// with the store; these names are the store's for it.
type (
	Signal = signal.Signal
	Kind   = signal.Kind
	Split  = signal.Split
)

const (
	KindPair     = signal.KindPair
	KindText     = signal.KindText
	KindProfile  = signal.KindProfile
	KindPersona  = signal.KindPersona
	KindTask     = signal.KindTask
	SplitHistory = signal.SplitHistory
	SplitHeldout = signal.SplitHeldout
)

// ParseKind maps the JSON spelling of a kind to its value.
func ParseKind(s string) (Kind, bool) { return signal.ParseKind(s) }

// ParseSplit maps the JSON spelling of a split to its value; "" is history.
func ParseSplit(s string) (Split, bool) { return signal.ParseSplit(s) }

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
	// Dataset names the dataset the user came from: the tag of the import
	// that created the user (ImportOptions.Dataset). A later import that
	// adds to the user keeps it; "" is a user imported without one (before
	// datasets were recorded).
	Dataset string `json:"dataset,omitempty"`
}

// CheckDataset says why a dataset name cannot be used, or returns "":
// a name is 1–128 bytes of UTF-8 text without control characters.
func CheckDataset(name string) string {
	switch {
	case name == "":
		return "is empty"
	case len(name) > 128:
		return "is longer than 128 bytes"
	case !utf8.ValidString(name):
		return "is not valid UTF-8"
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return "contains a control character"
	}
	return ""
}
