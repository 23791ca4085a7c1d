package engine

import "strings"

// tomlStrings knows where a template set file's keys and string values
// are, so that an error in a template names the line of the file it is
// on: the TOML decoder keeps no positions. It reads what the decoder has
// already accepted, so it only has to tell tables, keys, comments and the
// four kinds of string apart.
type tomlStrings struct {
	keys   map[string]int   // dotted key or table ("judge", "judge.user") → its line
	values map[string][]int // dotted key → the file line of each line of its string value
}

func newTOMLStrings(data []byte) tomlStrings {
	l := &tomlLexer{data: string(data), line: 1, out: tomlStrings{keys: map[string]int{}, values: map[string][]int{}}}
	l.run()
	return l.out
}

// keyLine is the line of a dotted key or a table header; 0 when unknown.
func (s tomlStrings) keyLine(key string) int { return s.keys[key] }

// valueLines lists, for each line of the string value of a dotted key, the
// file line it is on; nil when unknown.
func (s tomlStrings) valueLines(key string) []int { return s.values[key] }

type tomlLexer struct {
	data  string
	i     int
	line  int
	table string
	out   tomlStrings
}

func (l *tomlLexer) run() {
	for l.i < len(l.data) {
		switch c := l.data[l.i]; {
		case c == '\n':
			l.line++
			l.i++
		case c == ' ' || c == '\t' || c == '\r':
			l.i++
		case c == '#':
			l.toEndOfLine()
		case c == '[':
			l.header()
		default:
			l.keyValue()
		}
	}
}

func (l *tomlLexer) toEndOfLine() {
	for l.i < len(l.data) && l.data[l.i] != '\n' {
		l.i++
	}
}

// header reads [table] or [[table]].
func (l *tomlLexer) header() {
	start := l.i
	l.toEndOfLine()
	h := strings.TrimSpace(l.data[start:l.i])
	if j := strings.LastIndexByte(h, ']'); j >= 0 {
		h = h[:j+1]
	}
	l.table = dottedKey(strings.Trim(h, "[]"))
	l.out.keys[l.table] = l.line
}

// keyValue reads key = value, noting a string value's lines.
func (l *tomlLexer) keyValue() {
	start, line := l.i, l.line
	for l.i < len(l.data) && l.data[l.i] != '=' && l.data[l.i] != '\n' {
		if q := l.data[l.i]; q == '"' || q == '\'' { // a quoted key may hold '='
			l.str()
			continue
		}
		l.i++
	}
	if l.i >= len(l.data) || l.data[l.i] != '=' {
		return // not a key: the decoder accepted the file, so this does not happen
	}
	key := dottedKey(l.data[start:l.i])
	if l.table != "" {
		key = l.table + "." + key
	}
	l.out.keys[key] = line
	l.i++
	for l.i < len(l.data) && (l.data[l.i] == ' ' || l.data[l.i] == '\t') {
		l.i++
	}
	if l.i < len(l.data) && (l.data[l.i] == '"' || l.data[l.i] == '\'') {
		l.out.values[key] = l.str()
		return
	}
	l.other()
}

// other skips a value that is not a string: to the end of its line, or
// of its brackets when they span lines.
func (l *tomlLexer) other() {
	depth := 0
	for l.i < len(l.data) {
		switch c := l.data[l.i]; c {
		case '[', '{':
			depth++
		case ']', '}':
			depth--
		case '"', '\'':
			l.str()
			continue
		case '#':
			l.toEndOfLine()
			continue
		case '\n':
			if depth <= 0 {
				return
			}
			l.line++
		}
		l.i++
	}
}

// str reads a string starting at l.i and returns the file line of each
// line of its value: a newline right after an opening """ or ”' is not
// part of the value, "\n" in a basic string starts a line on the same file
// line, and a backslash ending a line of a """ string joins it to the next
// text, on a later file line.
func (l *tomlLexer) str() []int {
	q := l.data[l.i]
	delim := string(q)
	basic := q == '"'
	multi := strings.HasPrefix(l.data[l.i:], strings.Repeat(delim, 3))
	if multi {
		delim = strings.Repeat(delim, 3)
		l.i += 3
		if strings.HasPrefix(l.data[l.i:], "\r\n") {
			l.i++
		}
		if l.i < len(l.data) && l.data[l.i] == '\n' {
			l.line++
			l.i++
		}
	} else {
		l.i++
	}
	lines := []int{l.line}
	for l.i < len(l.data) {
		c := l.data[l.i]
		switch {
		case strings.HasPrefix(l.data[l.i:], delim):
			l.i += len(delim)
			for k := 0; multi && k < 2 && l.i < len(l.data) && l.data[l.i] == q; k++ { // """"" ends with quotes in the value
				l.i++
			}
			return lines
		case c == '\n':
			l.line++
			lines = append(lines, l.line)
		case basic && c == '\\' && l.i+1 < len(l.data):
			l.escape(multi, &lines)
			continue
		}
		l.i++
	}
	return lines
}

// escape reads a backslash escape in a basic string.
func (l *tomlLexer) escape(multi bool, lines *[]int) {
	next := l.data[l.i+1]
	if next == 'n' {
		*lines = append(*lines, l.line)
		l.i += 2
		return
	}
	if multi && (next == ' ' || next == '\t' || next == '\r' || next == '\n') {
		j := l.i + 1
		for j < len(l.data) && (l.data[j] == ' ' || l.data[j] == '\t' || l.data[j] == '\r') {
			j++
		}
		if j < len(l.data) && l.data[j] == '\n' { // a line-ending backslash: the value goes on after the space
			for ; j < len(l.data) && strings.IndexByte(" \t\r\n", l.data[j]) >= 0; j++ {
				if l.data[j] == '\n' {
					l.line++
				}
			}
			l.i = j
			return
		}
	}
	l.i += 2
}

// dottedKey normalizes a key as written (`generator . "summary"`) to its
// dotted form (generator.summary).
func dottedKey(k string) string {
	var parts []string
	var cur strings.Builder
	var quote byte
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			cur.WriteByte(c)
		case c == '"' || c == '\'':
			quote = c
		case c == '.':
			parts = append(parts, strings.TrimSpace(cur.String()))
			cur.Reset()
		case c != ' ' && c != '\t':
			cur.WriteByte(c)
		}
	}
	return strings.Join(append(parts, strings.TrimSpace(cur.String())), ".")
}
