package signal

import (
	"bytes"
	"encoding/json"
	"strings"
)

// SourceDemographics is the Source of a profile that holds the user's
// demographics (AlignX's "Demographic Information"), which a backend's
// signals setting can keep while leaving other profiles out.
const SourceDemographics = "demographics"

// Lift moves into fields of their own what earlier layouts (database
// schema 4 and before) kept in a signal's meta, and reports whether it
// changed s:
//   - a text's Post: meta "post", else "prompt" (AlignX names the post a
//     comment answered "prompt");
//   - a profile's Source: meta "source"; a profile with the id
//     "demographics" and no source holds demographics (SourceDemographics).
//
// The parsers call it once a record is named (a content id and an AlignX
// user id hash the record as it was always read, so that they stay the
// same), and the store on signals stored before (the migration to schema
// 5, merges of older databases): both give the same signal.
func Lift(s *Signal) bool {
	changed := false
	switch s.Kind {
	case KindText:
		for _, key := range [...]string{"post", "prompt"} {
			if s.Post == "" {
				if v, ok := takeMeta(&s.Meta, key); ok {
					s.Post, changed = v, true
				}
			}
		}
	case KindProfile:
		if s.Source == "" {
			if v, ok := takeMeta(&s.Meta, "source"); ok {
				s.Source, changed = v, true
			}
		}
		if s.Source == "" && s.ID == "demographics" {
			s.Source, changed = SourceDemographics, true
		}
	}
	return changed
}

// takeMeta removes the member key from the JSON object *meta and returns
// its value, when it is a string that is not blank and holds no NUL byte;
// the other members stay as they were written (meta is stored compact, so
// the object left is the one the parsers would have made without it).
func takeMeta(meta *json.RawMessage, key string) (string, bool) {
	quoted, _ := json.Marshal(key)
	if !bytes.Contains(*meta, quoted) {
		return "", false
	}
	dec := json.NewDecoder(bytes.NewReader(*meta))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return "", false
	}
	var kept [][]byte
	value, found := "", false
	for dec.More() {
		start := dec.InputOffset()
		k, err := dec.Token()
		if err != nil {
			return "", false
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return "", false
		}
		member := bytes.TrimLeft((*meta)[start:dec.InputOffset()], ", \t\r\n")
		var v string
		if k == key && !found && json.Unmarshal(raw, &v) == nil && strings.TrimSpace(v) != "" && !strings.ContainsRune(v, 0) {
			value, found = v, true
			continue
		}
		kept = append(kept, member)
	}
	if !found {
		return "", false
	}
	if len(kept) == 0 {
		*meta = nil // an empty meta is no meta, as the parsers store it
		return value, true
	}
	out := append([]byte{'{'}, bytes.Join(kept, []byte{','})...)
	*meta = append(out, '}')
	return value, true
}
