package trl

import (
	"bytes"
	"strconv"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/format/jsonscan"
)

// The rows of the dpo and kto label exports. prompt, chosen/rejected or
// completion/label are what TRL reads; the rest ride along for analysis:
//
//	dpo: prompt, chosen, rejected, [system], user, prompt_id, summary_id,
//	     summary_version, chosen_backend, chosen_model, chosen_condition,
//	     rejected_backend, rejected_model, rejected_condition,
//	     prompt_condition, annotator, label_id
//	kto: prompt, completion, label, [system], user, prompt_id, summary_id,
//	     summary_version, backend, model, condition, annotator, label_id
//
// Every field is written on every row, with an empty value of its type
// where it does not apply: dataset loaders infer a column's type from the
// first rows and fail on a later row whose value has another type. system
// is written by --plain only: the message lists carry their own.
//
// An export writes hundreds of megabytes of answers. They are copied as
// the JSON strings they are stored as (storedAnswer), not decoded and
// encoded again, and rows are written member by member.

// storedAnswer is what a row needs of a stored generation, as stored: the
// messages its generator was sent and its text, each string as its JSON
// text (quotes included).
type storedAnswer struct {
	msgs []storedMessage
	text []byte
}

type storedMessage struct {
	role    string
	content []byte // a JSON string
}

// readStoredAnswer reads the two members a row needs from a generation
// record, checking the record as it goes.
func readStoredAnswer(raw []byte) (a storedAnswer, err error) {
	a.text = []byte(`""`)
	err = jsonscan.ObjectRaw(raw, func(key string, v jsonscan.Value) error {
		switch key {
		case "text":
			if v.Kind == '"' {
				a.text = unescapeHTML(v.Raw)
			}
		case "messages":
			if v.Kind != '[' {
				return nil
			}
			return jsonscan.ArrayOfObjectsRaw(v.Raw, func(i int, key string, v jsonscan.Value) error {
				for len(a.msgs) <= i {
					a.msgs = append(a.msgs, storedMessage{content: []byte(`""`)})
				}
				var err error
				switch {
				case key == "role" && v.Kind == '"':
					a.msgs[i].role, err = jsonscan.Unquote(v.Raw)
				case key == "content" && v.Kind == '"':
					a.msgs[i].content = unescapeHTML(v.Raw)
				}
				return err
			})
		}
		return nil
	})
	return a, err
}

// unescapeHTML turns the \u003c, \u003e and \u0026 escapes that
// encoding/json writes for <, > and & back into the characters (the same
// JSON string), so that a code answer reads as it was written.
func unescapeHTML(s []byte) []byte {
	if !bytes.Contains(s, []byte(`\u00`)) {
		return s
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			out = append(out, c)
			continue
		}
		if s[i+1] == 'u' && i+5 < len(s) && string(s[i+2:i+4]) == "00" {
			switch string(s[i+4 : i+6]) {
			case "3c":
				out, i = append(out, '<'), i+5
				continue
			case "3e":
				out, i = append(out, '>'), i+5
				continue
			case "26":
				out, i = append(out, '&'), i+5
				continue
			}
		}
		out = append(out, c, s[i+1]) // an escape pair, kept as it is
		i++
	}
	return out
}

// hasPrompt reports whether the answer was given something to answer: a
// non-empty turn that is not the system's.
func (a storedAnswer) hasPrompt() bool {
	for _, m := range a.msgs {
		if m.role != "system" && len(m.content) > len(`""`) {
			return true
		}
	}
	return false
}

func (a storedAnswer) sameMessages(b storedAnswer) bool {
	if len(a.msgs) != len(b.msgs) {
		return false
	}
	for i := range a.msgs {
		if a.msgs[i].role != b.msgs[i].role || !bytes.Equal(a.msgs[i].content, b.msgs[i].content) {
			return false
		}
	}
	return true
}

// judged is a candidate with the answer it stands for.
type judged struct {
	store.Candidate
	storedAnswer
}

// rowWriter appends a JSON object member by member. Keys are constants
// that need no escaping.
type rowWriter struct {
	buf     []byte
	members int
}

func (w *rowWriter) begin() { w.buf, w.members = append(w.buf, '{'), 0 }

func (w *rowWriter) end() { w.buf = append(w.buf, '}', '\n') }

func (w *rowWriter) key(k string) {
	if w.members > 0 {
		w.buf = append(w.buf, ',')
	}
	w.members++
	w.buf = append(append(append(w.buf, '"'), k...), '"', ':')
}

func (w *rowWriter) str(k, v string)     { w.key(k); w.buf = jsonscan.AppendQuote(w.buf, v) }
func (w *rowWriter) num(k string, v int) { w.key(k); w.buf = strconv.AppendInt(w.buf, int64(v), 10) }
func (w *rowWriter) boolean(k string, v bool) {
	w.key(k)
	w.buf = strconv.AppendBool(w.buf, v)
}

// prompt writes the prompt columns for the messages a generator was sent:
// the message list itself, or with plain the non-system turns as one
// string and the system turn apart ("" when none was sent).
func (w *rowWriter) prompt(msgs []storedMessage, plain bool) {
	if !plain {
		w.key("prompt")
		w.buf = append(w.buf, '[')
		for i, m := range msgs {
			if i > 0 {
				w.buf = append(w.buf, ',')
			}
			w.buf = append(w.buf, `{"role":`...)
			w.buf = jsonscan.AppendQuote(w.buf, m.role)
			w.buf = append(w.buf, `,"content":`...)
			w.buf = append(w.buf, m.content...)
			w.buf = append(w.buf, '}')
		}
		w.buf = append(w.buf, ']')
		return
	}
	w.key("prompt")
	w.joined(msgs, false)
}

// system writes the system column of a plain row.
func (w *rowWriter) system(msgs []storedMessage) {
	w.key("system")
	w.joined(msgs, true)
}

// joined writes the contents of the system turns (or of the others) as
// one JSON string, separated by blank lines: JSON strings are joined by
// dropping the quotes between them.
func (w *rowWriter) joined(msgs []storedMessage, system bool) {
	w.buf = append(w.buf, '"')
	n := 0
	for _, m := range msgs {
		if (m.role == "system") != system {
			continue
		}
		if n > 0 {
			w.buf = append(w.buf, `\n\n`...)
		}
		n++
		w.buf = append(w.buf, m.content[1:len(m.content)-1]...)
	}
	w.buf = append(w.buf, '"')
}

// answer writes an answer column: the text as a string, or as a
// one-message assistant list.
func (w *rowWriter) answer(k string, text []byte, plain bool) {
	w.key(k)
	if !plain {
		w.buf = append(w.buf, `[{"role":"assistant","content":`...)
	}
	w.buf = append(w.buf, text...)
	if !plain {
		w.buf = append(w.buf, '}', ']')
	}
}

// about writes the columns that say whose decision a row comes from.
func (w *rowWriter) about(h *store.Decision) {
	w.str("user", h.User)
	w.str("prompt_id", h.PromptID)
	w.str("summary_id", h.SummaryID)
	w.num("summary_version", h.SummaryVersion)
}

// orderedPairs lists the (better, worse) panes a decision states.
func orderedPairs(h *store.Decision) [][2]string {
	var out [][2]string
	switch {
	case len(h.Ranking) > 0:
		// Each pane over every pane of a lower rank: N(N−1)/2 pairs for N
		// ranks of one pane; panes ranked equal make no pair together.
		groups := store.RankGroups(h.Ranking)
		for i, better := range groups {
			for _, b := range better {
				for _, worse := range groups[i+1:] {
					for _, w := range worse {
						out = append(out, [2]string{b, w})
					}
				}
			}
		}
	case h.Verdict == store.VerdictTie || h.Verdict == store.VerdictBothBad || h.Verdict == store.VerdictSkip:
	default:
		for _, c := range h.Candidates {
			if c.Pane != h.Verdict {
				out = append(out, [2]string{h.Verdict, c.Pane})
			}
		}
	}
	return out
}

// dpoRows writes a decision's preference rows. When the two answers of a
// pair were sent different inputs (comparing conditions), the prompt is
// the summary-conditioned one if either had it, else the chosen one's;
// prompt_condition says which.
// It marks where each row ends.
func (w *rowWriter) dpoRows(h *store.Decision, cands map[string]judged, plain bool, ends []int) []int {
	for _, p := range orderedPairs(h) {
		ch, rj := cands[p[0]], cands[p[1]]
		from := ch
		if !ch.sameMessages(rj.storedAnswer) && rj.Condition == store.ConditionSummary && ch.Condition != store.ConditionSummary {
			from = rj
		}
		w.begin()
		w.prompt(from.msgs, plain)
		w.answer("chosen", ch.text, plain)
		w.answer("rejected", rj.text, plain)
		if plain {
			w.system(from.msgs)
		}
		w.about(h)
		w.str("chosen_backend", ch.Backend)
		w.str("chosen_model", ch.Model)
		w.str("chosen_condition", ch.Condition)
		w.str("rejected_backend", rj.Backend)
		w.str("rejected_model", rj.Model)
		w.str("rejected_condition", rj.Condition)
		w.str("prompt_condition", from.Condition)
		w.str("annotator", h.Annotator)
		w.str("label_id", h.ID)
		w.end()
		ends = append(ends, len(w.buf))
	}
	return ends
}

// ktoRows writes a decision's unpaired rows: the winner desirable and the
// others not; for a ranking the first desirable and the last not; for
// all-bad every answer undesirable. Panes ranked equal first (last) are
// all desirable (undesirable). It marks where each row ends.
func (w *rowWriter) ktoRows(h *store.Decision, cands map[string]judged, plain bool, ends []int) []int {
	desirable := map[string]bool{} // pane → label
	switch {
	case len(h.Ranking) > 0:
		groups := store.RankGroups(h.Ranking)
		for _, p := range groups[0] {
			desirable[p] = true
		}
		for _, p := range groups[len(groups)-1] {
			desirable[p] = false
		}
	case h.Verdict == store.VerdictTie || h.Verdict == store.VerdictSkip:
		return ends
	default:
		for _, c := range h.Candidates {
			desirable[c.Pane] = c.Pane == h.Verdict // all false for both_bad
		}
	}
	for _, c := range h.Candidates { // in pane order, for stable output
		good, ok := desirable[c.Pane]
		if !ok {
			continue
		}
		a := cands[c.Pane]
		w.begin()
		w.prompt(a.msgs, plain)
		w.answer("completion", a.text, plain)
		w.boolean("label", good)
		if plain {
			w.system(a.msgs)
		}
		w.about(h)
		w.str("backend", c.Backend)
		w.str("model", c.Model)
		w.str("condition", c.Condition)
		w.str("annotator", h.Annotator)
		w.str("label_id", h.ID)
		w.end()
		ends = append(ends, len(w.buf))
	}
	return ends
}
