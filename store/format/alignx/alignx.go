// Package alignx reads AlignX persona records (one JSON object per user,
// in a JSON array or as JSONL) into popi-tui's signals.
package alignx

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"

	"github.com/popi-tui/popi-tui/store/format/internal/parse"
	"github.com/popi-tui/popi-tui/store/format/jsonscan"
	"github.com/popi-tui/popi-tui/store/signal"
)

// AlignX field names.
const (
	axHistory     = "Pair-wise Comparative Feedback"
	axUGC         = "User-Generated Content"
	axDemographic = "Demographic Information"
	axPersona     = "ground_truth_persona"
)

// OwnField reports whether a record member is one only AlignX records
// have: --format auto takes such a record for AlignX.
func OwnField(key string) bool {
	switch key {
	case axHistory, axUGC, axDemographic, axPersona:
		return true
	}
	return false
}

// User is what one AlignX record says about its user: the signals, and
// user-level metadata (the fields popi-tui has no place for).
type User struct {
	ID      string
	Meta    []byte
	Signals []signal.Signal
}

// Parse turns one AlignX persona record into a user: the record's
// prompt/chosen/rejected is the held-out pair, "Pair-wise Comparative
// Feedback" the history pairs, "User-Generated Content" texts, "profile"
// or "Demographic Information" the profile, and "ground_truth_persona" the
// persona. Fields popi-tui has no place for are kept in the user's meta.
// AlignX records carry no user id: unless the record has one ("user",
// "user_id" or "id"), the user is named by a hash of the record's content,
// so re-importing the file adds nothing.
func Parse(data []byte) (User, error) {
	r := record{data: data, held: signal.Signal{ID: "heldout", Kind: signal.KindPair, Split: signal.SplitHeldout}, has: map[string]bool{}}
	if err := jsonscan.Object(data, r.member); err != nil {
		return User{}, err
	}
	return r.user()
}

// record collects the members of one AlignX record.
type record struct {
	data                     []byte
	u                        User
	held                     signal.Signal
	has                      map[string]bool
	history, texts, profiles []signal.Signal
	persona                  []signal.Signal
	extra                    []parse.Member
}

// member reads one member of the record.
func (r *record) member(key string, v jsonscan.Value) error {
	if v.Kind == 'n' {
		return nil
	}
	var err error
	switch key {
	case "prompt", "chosen", "rejected":
		if v.Kind != '"' {
			return parse.At(parse.OffsetIn(r.data, v.Raw), "%q must be a string", key)
		}
		r.has[key] = true
		switch key {
		case "prompt":
			r.held.Prompt = v.Str
		case "chosen":
			r.held.Chosen = v.Str
		default:
			r.held.Rejected = v.Str
		}
	case "user", "user_id", "id":
		r.u.ID, err = parse.ID(key, v)
	case axHistory:
		r.history, err = pairs(r.data, v)
	case axUGC:
		r.texts, err = texts(r.data, v)
	case "profile", axDemographic, axPersona, "persona":
		if v.Kind != '"' {
			return parse.At(parse.OffsetIn(r.data, v.Raw), "%q must be a string", key)
		}
		if strings.TrimSpace(v.Str) == "" {
			return nil // an empty profile is no profile
		}
		switch key {
		case "profile":
			r.profiles = append(r.profiles, signal.Signal{ID: "profile", Kind: signal.KindProfile, Text: v.Str})
		case axDemographic:
			r.profiles = append(r.profiles, signal.Signal{ID: "demographics", Kind: signal.KindProfile, Text: v.Str})
		default:
			r.persona = append(r.persona, signal.Signal{ID: key, Kind: signal.KindPersona, Text: v.Str})
		}
	default:
		r.extra = append(r.extra, parse.Member{Key: key, Raw: v.Raw})
	}
	return err
}

// user checks the record read and makes its user.
func (r *record) user() (User, error) {
	for _, k := range [...]string{"prompt", "chosen", "rejected"} {
		if !r.has[k] {
			return User{}, parse.Bad("missing %q (an AlignX record's held-out pair)", k)
		}
	}
	if err := signal.Check(&r.held); err != nil {
		return User{}, parse.Bad("held-out pair: %v", err)
	}
	u := r.u
	var err error
	if u.Meta, err = parse.MergeMeta(nil, r.extra); err != nil {
		return User{}, err
	}
	u.Signals = append(u.Signals, r.history...)
	u.Signals = append(u.Signals, r.texts...)
	u.Signals = append(u.Signals, r.profiles...)
	u.Signals = append(u.Signals, r.persona...)
	u.Signals = append(u.Signals, r.held)
	if u.ID == "" {
		u.ID = userID(&u) // before Lift: the id hashes the record as it was always read
	}
	for i := range u.Signals {
		s := &u.Signals[i]
		s.User = u.ID
		signal.Lift(s)                 // a comment's post (its "prompt") into Post; "Demographic Information" marked as demographics
		if s.Kind != signal.KindPair { // pairs were checked where they were read
			if err := signal.Check(s); err != nil {
				return User{}, err
			}
		}
	}
	return u, nil
}

// errorAt makes a bad-record error that names one element of a list and
// sits on its line.
type errorAt func(format string, args ...any) error

// eachElement calls fn for each element of the list field v of a record.
func eachElement(data []byte, field string, v jsonscan.Value, fn func(i int, e jsonscan.Value, at errorAt) error) error {
	if v.Kind != '[' {
		return parse.At(parse.OffsetIn(data, v.Raw), "%q must be a list", field)
	}
	return jsonscan.Array(v.Raw, func(i int, e jsonscan.Value) error {
		at := func(format string, args ...any) error {
			return parse.At(parse.OffsetIn(data, e.Raw), "%s", fmt.Sprintf("%q[%d]: ", field, i)+fmt.Sprintf(format, args...))
		}
		err := fn(i, e, at)
		if se := (*jsonscan.SyntaxError)(nil); errors.As(err, &se) {
			return at("%s", se.Msg) // its offset is within the element, not data
		}
		return err
	})
}

func pairs(data []byte, v jsonscan.Value) ([]signal.Signal, error) {
	var pairs []signal.Signal
	err := eachElement(data, axHistory, v, func(i int, e jsonscan.Value, at errorAt) error {
		if e.Kind != '{' {
			return at("must be an object")
		}
		p := signal.Signal{ID: fmt.Sprintf("h%d", i+1), Kind: signal.KindPair}
		has := map[string]bool{}
		var extra []parse.Member
		err := jsonscan.Object(e.Raw, func(key string, f jsonscan.Value) error {
			switch key {
			case "prompt", "chosen", "rejected":
				if f.Kind != '"' {
					return at("%q must be a string", key)
				}
				has[key] = true
				switch key {
				case "prompt":
					p.Prompt = f.Str
				case "chosen":
					p.Chosen = f.Str
				default:
					p.Rejected = f.Str
				}
			default:
				extra = append(extra, parse.Member{Key: key, Raw: f.Raw})
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range [...]string{"prompt", "chosen", "rejected"} {
			if !has[k] {
				return at("missing %q", k)
			}
		}
		if err := signal.Check(&p); err != nil {
			return at("%v", err)
		}
		if p.Meta, err = parse.MergeMeta(nil, extra); err != nil {
			return at("%v", err)
		}
		pairs = append(pairs, p)
		return nil
	})
	return pairs, err
}

func texts(data []byte, v jsonscan.Value) ([]signal.Signal, error) {
	var texts []signal.Signal
	err := eachElement(data, axUGC, v, func(i int, e jsonscan.Value, at errorAt) error {
		t := signal.Signal{ID: fmt.Sprintf("t%d", i+1), Kind: signal.KindText, Source: "comment"}
		var extra []parse.Member
		switch e.Kind {
		case '"': // a bare comment
			t.Text = e.Str
		case '{':
			err := jsonscan.Object(e.Raw, func(key string, f jsonscan.Value) error {
				if (key == "comment" || key == "text") && f.Kind == '"' && t.Text == "" {
					t.Text = f.Str
					return nil
				}
				extra = append(extra, parse.Member{Key: key, Raw: f.Raw}) // the post it answered ("prompt", which Lift moves to Post) and the rest
				return nil
			})
			if err != nil {
				return err
			}
		default:
			return at("must be an object")
		}
		if strings.TrimSpace(t.Text) == "" {
			return nil // nothing written, nothing to learn from
		}
		var err error
		if t.Meta, err = parse.MergeMeta(nil, extra); err != nil {
			return at("%v", err)
		}
		texts = append(texts, t)
		return nil
	})
	return texts, err
}

// userID names a user by everything their record says.
func userID(u *User) string {
	h := sha256.New()
	for i := range u.Signals {
		s := &u.Signals[i]
		h.Write([]byte{byte(s.Kind), byte(s.Split)})
		for _, f := range [...]string{s.ID, s.Prompt, s.Chosen, s.Rejected, s.Text, s.Source, string(s.Meta)} {
			writeField(h, f)
		}
	}
	writeField(h, string(u.Meta))
	return "ax-" + hex.EncodeToString(h.Sum(nil)[:8])
}

// writeField hashes one length-prefixed field.
func writeField(h hash.Hash, f string) {
	var n [binary.MaxVarintLen64]byte
	h.Write(n[:binary.PutUvarint(n[:], uint64(len(f)))])
	h.Write([]byte(f))
}
