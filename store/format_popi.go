package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// recordError is a bad record: why, and where in the record (a byte offset,
// or -1 when the record as a whole is at fault).
type recordError struct {
	msg string
	off int
}

func (e *recordError) Error() string { return e.msg }

func badRecord(format string, args ...any) error {
	return &recordError{msg: fmt.Sprintf(format, args...), off: -1}
}

// member is a field of a record kept as written, for meta.
type member struct {
	key string
	raw []byte
}

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
	extra                                         []member
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

// parsePopiRecord turns one popi JSONL record (DESIGN §3.1) into a signal,
// or says what is wrong with it.
func parsePopiRecord(data []byte) (Signal, error) {
	var f popiFields
	err := scanObjectMembers(data, func(key string, v jsonValue) error {
		switch key {
		case "user", "id":
			if v.kind == 'n' {
				return nil
			}
			s, err := idValue(key, v)
			if err != nil {
				return err
			}
			if key == "user" {
				f.user, f.hasUser = s, true
			} else {
				f.id, f.hasID = s, true
			}
		case "kind":
			if v.kind == 'n' {
				return nil
			}
			if v.kind != '"' {
				return badRecord(`"kind" must be a string`)
			}
			f.kind, f.hasKind = v.str, true
		case "prompt", "chosen", "rejected", "text", "source", "split":
			if v.kind == 'n' {
				return nil
			}
			if v.kind != '"' {
				return badRecord("%q must be a string", key)
			}
			*f.textField(key) = textField{set: true, val: v.str, raw: v.raw}
		case "meta":
			switch v.kind {
			case 'n':
			case '{':
				f.meta = v.raw
			default:
				return badRecord(`"meta" must be an object`)
			}
		default:
			f.extra = append(f.extra, member{key, v.raw})
		}
		return nil
	})
	if err != nil {
		return Signal{}, err
	}
	return f.signal()
}

// idValue reads a user or record id: a string, or a number kept as written.
func idValue(key string, v jsonValue) (string, error) {
	var s string
	switch v.kind {
	case '"':
		s = v.str
	case '0':
		s = string(v.raw)
	default:
		return "", badRecord("%q must be a string", key)
	}
	if why := validID(s); why != "" {
		return "", badRecord("%q %s", key, why)
	}
	return s, nil
}

// fieldsByKind lists the text fields each kind uses; the others, when
// present, are kept in meta like any unknown field.
var fieldsByKind = map[Kind][]string{
	KindPair:    {"prompt", "chosen", "rejected", "split"},
	KindText:    {"text", "source"},
	KindProfile: {"text"},
	KindPersona: {"text"},
	KindTask:    {"prompt"},
}

func (f *popiFields) signal() (Signal, error) {
	if !f.hasUser {
		return Signal{}, badRecord(`missing "user"`)
	}
	if !f.hasKind {
		return Signal{}, badRecord(`missing "kind"`)
	}
	kind, ok := ParseKind(f.kind)
	if !ok {
		return Signal{}, badRecord(`unknown kind %q (want pair, text, profile, persona or task)`, f.kind)
	}
	s := Signal{User: f.user, ID: f.id, Kind: kind}
	used := fieldsByKind[kind]
	take := func(name string) string {
		tf := f.textField(name)
		if !tf.set {
			return ""
		}
		if slices.Contains(used, name) {
			return tf.val
		}
		f.extra = append(f.extra, member{name, tf.raw})
		return ""
	}
	s.Prompt = take("prompt")
	s.Chosen = take("chosen")
	s.Rejected = take("rejected")
	s.Text = take("text")
	s.Source = take("source")
	split := take("split")
	if s.Split, ok = ParseSplit(split); !ok {
		return Signal{}, badRecord(`unknown split %q (want history or heldout)`, split)
	}
	if err := validateSignal(&s); err != nil {
		return Signal{}, err
	}
	meta, err := mergeMeta(f.meta, f.extra)
	if err != nil {
		return Signal{}, err
	}
	s.Meta = meta
	if !f.hasID {
		s.ID = contentID(&s)
	}
	return s, nil
}

// validateSignal checks what every format's records must satisfy: the
// fields a kind needs are there and not blank, and no text holds a NUL
// byte. Text is otherwise stored exactly as given.
func validateSignal(s *Signal) error {
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
			return badRecord("%s: %q is empty or missing", s.Kind, f.name)
		}
	}
	if s.Kind == KindPair && strings.TrimSpace(s.Chosen) == strings.TrimSpace(s.Rejected) {
		return badRecord(`pair: "chosen" and "rejected" are identical`)
	}
	for _, f := range [...]field{{"prompt", s.Prompt}, {"chosen", s.Chosen},
		{"rejected", s.Rejected}, {"text", s.Text}, {"source", s.Source}} {
		if strings.IndexByte(f.v, 0) >= 0 {
			return badRecord("%q contains a NUL byte", f.name)
		}
	}
	return nil
}

// mergeMeta folds a record's unknown fields into its meta object, keeping
// every value as written but for insignificant whitespace (so that a record
// written back out stays on one line). A field both at the top level and in
// meta would lose one of the two, so it is an error.
func mergeMeta(meta []byte, extra []member) ([]byte, error) {
	if len(meta) == 0 && len(extra) == 0 {
		return nil, nil
	}
	out := []byte{'{'}
	seen := make(map[string]bool, len(extra))
	add := func(key string, raw []byte) {
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = appendJSONString(out, key)
		out = append(out, ':')
		out = append(out, raw...)
	}
	if len(meta) > 0 {
		err := scanObjectMembers(meta, func(key string, v jsonValue) error {
			seen[key] = true
			add(key, v.raw)
			return nil
		})
		if err != nil {
			return nil, badRecord(`"meta": %v`, err)
		}
	}
	for _, m := range extra {
		if seen[m.key] {
			return nil, badRecord("field %q appears both at the top level and in \"meta\"", m.key)
		}
		add(m.key, m.raw)
	}
	out = append(out, '}')
	if len(out) == 2 {
		return nil, nil // "meta": {} says nothing, and must not make a record differ
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, out); err != nil {
		return nil, badRecord("meta: %v", err) // cannot happen: every part was checked
	}
	return compact.Bytes(), nil
}

// appendJSONString appends s as a JSON string literal.
func appendJSONString(dst []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}
