// Package popi reads and writes popi JSONL, popi-tui's own format: one
// record per line, one signal per record (README: import, export users).
package popi

import (
	"slices"

	"github.com/popi-tui/popi-tui/store/format/internal/parse"
	"github.com/popi-tui/popi-tui/store/format/jsonscan"
	"github.com/popi-tui/popi-tui/store/signal"
)

// textField is a string member of a record: its value, and its raw JSON
// for when it has to move to meta.
type textField struct {
	set bool
	val string
	raw []byte
}

// popiFields collects the members of one popi record.
type popiFields struct {
	user, kind, id                                string
	hasUser, hasKind, hasID                       bool
	prompt, chosen, rejected, text, source, split textField
	meta                                          []byte
	extra                                         []parse.Member
}

func (f *popiFields) textField(key string) *textField {
	switch key {
	case "prompt":
		return &f.prompt
	case "chosen":
		return &f.chosen
	case "rejected":
		return &f.rejected
	case "text":
		return &f.text
	case "source":
		return &f.source
	case "split":
		return &f.split
	}
	return nil
}

// Parse turns one popi JSONL record (README: import; ARCHITECTURE.md) into
// a signal, or says what is wrong with it.
func Parse(data []byte) (signal.Signal, error) {
	var f popiFields
	err := jsonscan.Object(data, func(key string, v jsonscan.Value) error {
		switch key {
		case "user", "id":
			if v.Kind == 'n' {
				return nil
			}
			s, err := parse.ID(key, v)
			if err != nil {
				return err
			}
			if key == "user" {
				f.user, f.hasUser = s, true
			} else {
				f.id, f.hasID = s, true
			}
		case "kind":
			if v.Kind == 'n' {
				return nil
			}
			if v.Kind != '"' {
				return parse.Bad(`"kind" must be a string`)
			}
			f.kind, f.hasKind = v.Str, true
		case "prompt", "chosen", "rejected", "text", "source", "split":
			if v.Kind == 'n' {
				return nil
			}
			if v.Kind != '"' {
				return parse.Bad("%q must be a string", key)
			}
			*f.textField(key) = textField{set: true, val: v.Str, raw: v.Raw}
		case "meta":
			switch v.Kind {
			case 'n':
			case '{':
				f.meta = v.Raw
			default:
				return parse.Bad(`"meta" must be an object`)
			}
		default:
			f.extra = append(f.extra, parse.Member{Key: key, Raw: v.Raw})
		}
		return nil
	})
	if err != nil {
		return signal.Signal{}, err
	}
	return f.signal()
}

// fieldsByKind lists the text fields each kind uses; the others, when
// present, are kept in meta like any unknown field.
var fieldsByKind = map[signal.Kind][]string{
	signal.KindPair:    {"prompt", "chosen", "rejected", "split"},
	signal.KindText:    {"text", "source"},
	signal.KindProfile: {"text"},
	signal.KindPersona: {"text"},
	signal.KindTask:    {"prompt"},
}

func (f *popiFields) signal() (signal.Signal, error) {
	if !f.hasUser {
		return signal.Signal{}, parse.Bad(`missing "user"`)
	}
	if !f.hasKind {
		return signal.Signal{}, parse.Bad(`missing "kind"`)
	}
	kind, ok := signal.ParseKind(f.kind)
	if !ok {
		return signal.Signal{}, parse.Bad(`unknown kind %q (want pair, text, profile, persona or task)`, f.kind)
	}
	s := signal.Signal{User: f.user, ID: f.id, Kind: kind}
	used := fieldsByKind[kind]
	take := func(name string) string {
		tf := f.textField(name)
		if !tf.set {
			return ""
		}
		if slices.Contains(used, name) {
			return tf.val
		}
		f.extra = append(f.extra, parse.Member{Key: name, Raw: tf.raw})
		return ""
	}
	s.Prompt = take("prompt")
	s.Chosen = take("chosen")
	s.Rejected = take("rejected")
	s.Text = take("text")
	s.Source = take("source")
	split := take("split")
	if s.Split, ok = signal.ParseSplit(split); !ok {
		return signal.Signal{}, parse.Bad(`unknown split %q (want history or heldout)`, split)
	}
	if err := signal.Check(&s); err != nil {
		return signal.Signal{}, err
	}
	meta, err := parse.MergeMeta(f.meta, f.extra)
	if err != nil {
		return signal.Signal{}, err
	}
	s.Meta = meta
	if !f.hasID {
		s.ID = signal.ContentID(&s)
	}
	signal.Lift(&s) // a text's "post" and a profile's "source" were read as meta members: named as before, stored in their fields
	return s, nil
}
