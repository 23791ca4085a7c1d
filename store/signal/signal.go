// Package signal is what popi-tui knows about a user: a Signal (a
// preference pair, a text, a profile, a persona or a task), the checks
// every input format's records pass, and the ids given to records that
// come without one. The database stores signals and the format packages
// parse and write them; this package imports neither.
package signal

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// Kind is what a signal tells about its user (the kinds of a popi record:
// README, import).
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
	// Source is where a text was written ("comment", "review", …), or what
	// a profile holds (SourceDemographics, or "" for a profile).
	Source string
	// Post is what a text answered: the post a comment was written under
	// (AlignX's user-generated content keeps it), or "" when unknown.
	Post string
	// Meta holds the record's meta object merged with its unknown fields, as
	// a JSON object; nil when there were none.
	Meta json.RawMessage
	// Seq is the signal's position in import order, assigned by the store.
	// History is shown, and cut to a token budget, in this order.
	Seq uint64
}

// Check says what is wrong with a signal, if anything: the fields its
// kind needs are there and not blank, and no text holds a NUL byte. Text
// is otherwise stored exactly as given. Every format's records pass it.
func Check(s *Signal) error {
	type field struct{ name, v string }
	var required []field
	switch s.Kind {
	case KindPair:
		required = []field{{"prompt", s.Prompt}, {"chosen", s.Chosen}, {"rejected", s.Rejected}}
	case KindTask:
		required = []field{{"prompt", s.Prompt}}
	default:
		required = []field{{"text", s.Text}}
	}
	for _, f := range required {
		if strings.TrimSpace(f.v) == "" {
			return fmt.Errorf("%s: %q is empty or missing", s.Kind, f.name)
		}
	}
	if s.Kind == KindPair && strings.TrimSpace(s.Chosen) == strings.TrimSpace(s.Rejected) {
		return errors.New(`pair: "chosen" and "rejected" are identical`)
	}
	for _, f := range [...]field{{"prompt", s.Prompt}, {"chosen", s.Chosen},
		{"rejected", s.Rejected}, {"text", s.Text}, {"source", s.Source}, {"post", s.Post}} {
		if strings.IndexByte(f.v, 0) >= 0 {
			return fmt.Errorf("%q contains a NUL byte", f.name)
		}
	}
	return nil
}

// CheckID says why an id (of a user or record) cannot be used, or
// returns "".
func CheckID(id string) string {
	switch {
	case strings.TrimSpace(id) == "":
		return "is empty"
	case len(id) > maxIDLen:
		return "is longer than 512 bytes"
	case strings.IndexByte(id, 0) >= 0:
		return "contains a NUL byte"
	}
	return ""
}

const maxIDLen = 512

// ContentID names a record that came without an id by what it says, so
// that importing the same file twice adds nothing. Fields are length-
// prefixed so that moving text from one field to the next changes the id.
func ContentID(s *Signal) string {
	// One Sum256 over a reused buffer: hashing every record of an import
	// field by field through hash.Hash copied each string once more.
	bp := hashBuffers.Get().(*[]byte)
	b := append((*bp)[:0], byte(s.Kind), byte(s.Split))
	for _, f := range [...]string{s.Prompt, s.Chosen, s.Rejected, s.Text, s.Source, string(s.Meta)} {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	if s.Post != "" { // after the fields every record had before posts, so that their ids stay
		b = binary.AppendUvarint(b, uint64(len(s.Post)))
		b = append(b, s.Post...)
	}
	sum := sha256.Sum256(b)
	*bp = b
	hashBuffers.Put(bp)
	return "c-" + hex.EncodeToString(sum[:12])
}

var hashBuffers = sync.Pool{New: func() any { return new([]byte) }}
