package store

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// AlignX field names (DESIGN §3.2).
const (
	axHistory     = "Pair-wise Comparative Feedback"
	axUGC         = "User-Generated Content"
	axDemographic = "Demographic Information"
	axPersona     = "ground_truth_persona"
)

// parsedUser is what one input record says about one user: the signals,
// and for formats with a record per user, user-level metadata.
type parsedUser struct {
	id      string
	meta    []byte
	signals []Signal
}

// offsetIn is where sub, a slice of data's bytes, starts within data.
// Nested values are parsed from slices of the record, so this places an
// error inside a nested pair on its own line.
func offsetIn(data, sub []byte) int { return cap(data) - cap(sub) }

// parseAlignXRecord turns one AlignX persona record into a user: the
// record's prompt/chosen/rejected is the held-out pair, "Pair-wise
// Comparative Feedback" the history pairs, "User-Generated Content" texts,
// "profile" or "Demographic Information" the profile, and
// "ground_truth_persona" the persona. Fields popi-tui has no place for are
// kept in the user's meta. AlignX records carry no user id: unless the
// record has one ("user", "user_id" or "id"), the user is named by a hash of
// the record's content, so re-importing the file adds nothing.
func parseAlignXRecord(data []byte) (parsedUser, error) {
	var (
		u                        parsedUser
		held                     = Signal{ID: "heldout", Kind: KindPair, Split: SplitHeldout}
		has                      = map[string]bool{}
		history, texts, profiles []Signal
		persona                  []Signal
		extra                    []member
	)
	err := scanObjectMembers(data, func(key string, v jsonValue) error {
		if v.kind == 'n' {
			return nil
		}
		switch key {
		case "prompt", "chosen", "rejected":
			if v.kind != '"' {
				return &recordError{msg: fmt.Sprintf("%q must be a string", key), off: offsetIn(data, v.raw)}
			}
			has[key] = true
			switch key {
			case "prompt":
				held.Prompt = v.str
			case "chosen":
				held.Chosen = v.str
			default:
				held.Rejected = v.str
			}
		case "user", "user_id", "id":
			id, err := idValue(key, v)
			if err != nil {
				return err
			}
			u.id = id
		case axHistory:
			pairs, err := alignxPairs(data, v)
			if err != nil {
				return err
			}
			history = pairs
		case axUGC:
			t, err := alignxTexts(data, v)
			if err != nil {
				return err
			}
			texts = t
		case "profile", axDemographic, axPersona, "persona":
			if v.kind != '"' {
				return &recordError{msg: fmt.Sprintf("%q must be a string", key), off: offsetIn(data, v.raw)}
			}
			if strings.TrimSpace(v.str) == "" {
				return nil // an empty profile is no profile
			}
			switch key {
			case "profile":
				profiles = append(profiles, Signal{ID: "profile", Kind: KindProfile, Text: v.str})
			case axDemographic:
				profiles = append(profiles, Signal{ID: "demographics", Kind: KindProfile, Text: v.str})
			default:
				persona = append(persona, Signal{ID: key, Kind: KindPersona, Text: v.str})
			}
		default:
			extra = append(extra, member{key, v.raw})
		}
		return nil
	})
	if err != nil {
		return parsedUser{}, err
	}
	for _, k := range [...]string{"prompt", "chosen", "rejected"} {
		if !has[k] {
			return parsedUser{}, badRecord("missing %q (an AlignX record's held-out pair)", k)
		}
	}
	if err := validateSignal(&held); err != nil {
		return parsedUser{}, badRecord("held-out pair: %v", err)
	}
	if u.meta, err = mergeMeta(nil, extra); err != nil {
		return parsedUser{}, err
	}
	u.signals = append(u.signals, history...)
	u.signals = append(u.signals, texts...)
	u.signals = append(u.signals, profiles...)
	u.signals = append(u.signals, persona...)
	u.signals = append(u.signals, held)
	if u.id == "" {
		u.id = alignxUserID(&u)
	}
	for i := range u.signals {
		s := &u.signals[i]
		s.User = u.id
		if s.Kind != KindPair { // pairs were checked where they were read
			if err := validateSignal(s); err != nil {
				return parsedUser{}, err
			}
		}
	}
	return u, nil
}

// errorAt makes a bad-record error that names one element of a list and
// sits on its line.
type errorAt func(format string, args ...any) error

// eachElement calls fn for each element of the list field v of a record.
func eachElement(data []byte, field string, v jsonValue, fn func(i int, e jsonValue, at errorAt) error) error {
	if v.kind != '[' {
		return &recordError{msg: fmt.Sprintf("%q must be a list", field), off: offsetIn(data, v.raw)}
	}
	return scanArrayElements(v.raw, func(i int, e jsonValue) error {
		at := func(format string, args ...any) error {
			return &recordError{msg: fmt.Sprintf("%q[%d]: ", field, i) + fmt.Sprintf(format, args...), off: offsetIn(data, e.raw)}
		}
		err := fn(i, e, at)
		if se := (*jsonSyntaxError)(nil); errors.As(err, &se) {
			return at("%s", se.msg) // its offset is within the element, not data
		}
		return err
	})
}

func alignxPairs(data []byte, v jsonValue) ([]Signal, error) {
	var pairs []Signal
	err := eachElement(data, axHistory, v, func(i int, e jsonValue, at errorAt) error {
		if e.kind != '{' {
			return at("must be an object")
		}
		p := Signal{ID: fmt.Sprintf("h%d", i+1), Kind: KindPair}
		has := map[string]bool{}
		var extra []member
		err := scanObjectMembers(e.raw, func(key string, f jsonValue) error {
			switch key {
			case "prompt", "chosen", "rejected":
				if f.kind != '"' {
					return at("%q must be a string", key)
				}
				has[key] = true
				switch key {
				case "prompt":
					p.Prompt = f.str
				case "chosen":
					p.Chosen = f.str
				default:
					p.Rejected = f.str
				}
			default:
				extra = append(extra, member{key, f.raw})
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
		if err := validateSignal(&p); err != nil {
			return at("%v", err)
		}
		if p.Meta, err = mergeMeta(nil, extra); err != nil {
			return at("%v", err)
		}
		pairs = append(pairs, p)
		return nil
	})
	return pairs, err
}

func alignxTexts(data []byte, v jsonValue) ([]Signal, error) {
	var texts []Signal
	err := eachElement(data, axUGC, v, func(i int, e jsonValue, at errorAt) error {
		t := Signal{ID: fmt.Sprintf("t%d", i+1), Kind: KindText, Source: "comment"}
		var extra []member
		switch e.kind {
		case '"': // a bare comment
			t.Text = e.str
		case '{':
			err := scanObjectMembers(e.raw, func(key string, f jsonValue) error {
				if (key == "comment" || key == "text") && f.kind == '"' && t.Text == "" {
					t.Text = f.str
					return nil
				}
				extra = append(extra, member{key, f.raw}) // the post it answered ("prompt") and the rest
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
		if t.Meta, err = mergeMeta(nil, extra); err != nil {
			return at("%v", err)
		}
		texts = append(texts, t)
		return nil
	})
	return texts, err
}

// alignxUserID names a user by everything their record says.
func alignxUserID(u *parsedUser) string {
	h := sha256.New()
	for i := range u.signals {
		s := &u.signals[i]
		h.Write([]byte{byte(s.Kind), byte(s.Split)})
		for _, f := range [...]string{s.ID, s.Prompt, s.Chosen, s.Rejected, s.Text, s.Source, string(s.Meta)} {
			writeField(h, f)
		}
	}
	writeField(h, string(u.meta))
	return "ax-" + hex.EncodeToString(h.Sum(nil)[:8])
}
