package store

import (
	"fmt"
	"time"

	"github.com/popi-tui/popi-tui/store/format/jsonscan"
)

// decodeSummary reads a stored summary version. An export reads the
// current summary of every user it writes, so it reads the record with the
// importer's scanner rather than with encoding/json, a few times faster (a
// test holds the two to the same result, as for label heads).
func decodeSummary(v []byte, s *Summary) error {
	*s = Summary{}
	return jsonscan.Object(v, func(key string, m jsonscan.Value) error {
		var err error
		switch key {
		case "id":
			s.ID, err = m.Text(key)
		case "user":
			s.User, err = m.Text(key)
		case "version":
			s.Version, err = m.Int(key)
		case "text":
			s.Text, err = m.Text(key)
		case "source":
			s.Source, err = m.Text(key)
		case "backend":
			s.Backend, err = m.Text(key)
		case "model":
			s.Model, err = m.Text(key)
		case "parent":
			s.Parent, err = m.Int(key)
		case "template_version":
			s.TemplateVersion, err = m.Int(key)
		case "template_set":
			s.TemplateSet, err = m.Text(key)
		case "input":
			s.Input, err = m.Text(key)
		case "messages":
			s.Messages, err = decodeMessages(key, m)
		case "signals":
			s.Signals, err = decodeStrings(key, m)
		default:
			err = s.decodeCounts(key, m)
		}
		return err
	})
}

// decodeCounts reads the members of a summary that count or flag: its
// tokens, whether they are estimates and whether the history was cut, and
// when it was made. Other members are left alone, as encoding/json does.
func (s *Summary) decodeCounts(key string, m jsonscan.Value) error {
	var err error
	switch key {
	case "prompt_tokens":
		s.PromptTokens, err = m.Int(key)
	case "completion_tokens":
		s.CompletionTokens, err = m.Int(key)
	case "history_tokens":
		s.HistoryTokens, err = m.Int(key)
	case "summary_tokens":
		s.SummaryTokens, err = m.Int(key)
	case "tokens_estimated":
		s.TokensEstimated, err = boolValue(key, m)
	case "history_cut":
		s.HistoryCut, err = boolValue(key, m)
	case "created_at":
		if m.Kind == 'n' {
			return nil
		}
		var t string
		if t, err = m.Text(key); err == nil {
			s.CreatedAt, err = time.Parse(time.RFC3339Nano, t)
		}
	}
	return err
}

// decodeMessages reads a list of {role, content} messages (nil for null).
func decodeMessages(key string, m jsonscan.Value) ([]Message, error) {
	var out []Message
	if m.Kind == '[' {
		out = []Message{} // an empty list is not null, as for encoding/json
	}
	err := m.Elements(key, func(e jsonscan.Value) error {
		if e.Kind != '{' {
			return fmt.Errorf("%s: not an object", key)
		}
		var msg Message
		err := jsonscan.Object(e.Raw, func(k string, v jsonscan.Value) error {
			var err error
			switch k {
			case "role":
				msg.Role, err = v.Text(k)
			case "content":
				msg.Content, err = v.Text(k)
			}
			return err
		})
		out = append(out, msg)
		return err
	})
	return out, err
}

// decodeStrings reads a list of strings (nil for null).
func decodeStrings(key string, m jsonscan.Value) ([]string, error) {
	var out []string
	if m.Kind == '[' {
		out = []string{}
	}
	err := m.Elements(key, func(e jsonscan.Value) error {
		s, err := e.Text(key)
		out = append(out, s)
		return err
	})
	return out, err
}

// boolValue is a boolean member's value (false for null).
func boolValue(key string, m jsonscan.Value) (bool, error) {
	switch m.Kind {
	case 't':
		return true, nil
	case 'f', 'n':
		return false, nil
	}
	return false, fmt.Errorf("%s: not a boolean", key)
}
