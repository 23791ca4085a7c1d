package engine

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Redacted stands for a secret taken out of a text.
const Redacted = "[redacted]"

// redactor takes secrets out of text a server sent (an error message, a
// body, an echoed header) before it becomes an engine error, which may be
// printed, stored in the database (a failed run's reasons) or logged.
// Servers and proxies do quote the Authorization header back.
type redactor struct {
	// secrets are the configured keys and base_url credentials in every
	// form they travel in, longest first.
	secrets []string
}

// shortSecret is the length under which a secret is replaced only where it
// stands alone (between characters that are not letters or digits): a key
// of three letters would otherwise cut words apart, and standing alone is
// how a server quotes it.
const shortSecret = 8

var (
	// authCredential is a credential of any value after its scheme, as an
	// echoed Authorization header shows it. Whatever follows "Basic" goes,
	// even an ordinary word: a message missing a word is better than a
	// credential shown.
	authCredential = regexp.MustCompile(`(?i)\b(bearer|basic)(\s+)[^\s"'<>,;]+`)
	// urlUserinfo is the user:pass@ of any URL, such as net/http quotes in
	// its errors ("Post \"http://user:pass@host/v1/…\": dial tcp …").
	urlUserinfo = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://)[^/?#\s"']+@`)
)

// newRedactor knows the API keys and the base URLs of every backend: one
// server may quote another's secret (a proxy in front of both), so each
// backend's errors are cleaned of all of them.
func newRedactor(keys, baseURLs []string) *redactor {
	var forms []string
	add := func(s string) {
		for _, f := range secretForms(s) {
			if f != "" && !slices.Contains(forms, f) {
				forms = append(forms, f)
			}
		}
	}
	for _, k := range keys {
		add(k)
		add(strings.TrimSpace(k)) // what a server that trims the header would quote
	}
	for _, u := range baseURLs {
		p, err := url.Parse(u)
		if err != nil || p.User == nil {
			continue
		}
		add(p.User.String()) // as written in the URL: user:p%40ss
		name := p.User.Username()
		if pass, ok := p.User.Password(); ok {
			add(pass)
			add(name + ":" + pass) // what Basic authentication encodes
		} else {
			add(name) // a user without a password is a token
			add(name + ":")
		}
	}
	// Longest first: a secret that contains another goes whole.
	slices.SortFunc(forms, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	return &redactor{secrets: forms}
}

// secretForms is s as it may show in a text: itself, percent-encoded,
// escaped in JSON (the body a server quotes it in may be shown raw), and
// in base64.
func secretForms(s string) []string {
	if s == "" {
		return nil
	}
	quoted, _ := json.Marshal(s)
	inJSON := strings.Trim(string(quoted), `"`)
	forms := []string{s, url.QueryEscape(s), url.PathEscape(s), inJSON,
		strings.ReplaceAll(inJSON, "/", `\/`)} // some encoders (PHP's) escape slashes
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		forms = append(forms, enc.EncodeToString([]byte(s)))
	}
	return forms
}

// redact returns text without any known secret, credential or URL
// userinfo.
func (r *redactor) redact(text string) string {
	if r != nil {
		for _, s := range r.secrets {
			text = replaceSecret(text, s)
		}
	}
	return redactCredentials(text)
}

// redactCredentials takes out what looks like a credential whatever its
// value: Bearer and Basic credentials, and the userinfo of URLs.
func redactCredentials(text string) string {
	text = authCredential.ReplaceAllString(text, "${1}${2}"+Redacted)
	return RedactURL(text)
}

// replaceSecret replaces s in text: everywhere when it is long, only where
// it stands alone when it is short (see shortSecret).
func replaceSecret(text, s string) string {
	if len(s) >= shortSecret {
		return strings.ReplaceAll(text, s, Redacted)
	}
	var b strings.Builder
	for {
		i := strings.Index(text, s)
		if i < 0 {
			b.WriteString(text)
			return b.String()
		}
		end := i + len(s)
		alone := (i == 0 || !isWordByte(text[i-1])) && (end == len(text) || !isWordByte(text[end]))
		b.WriteString(text[:i])
		if alone {
			b.WriteString(Redacted)
		} else {
			b.WriteString(s)
		}
		text = text[end:]
	}
}

func isWordByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// RedactURL is a URL fit to print (or a text with URLs in it): without
// the user:pass@ of any.
func RedactURL(u string) string { return urlUserinfo.ReplaceAllString(u, "${1}"+Redacted+"@") }

// redactedError is a server's error with its text redacted. It answers
// errors.Is for the error it stands for (a cancellation, a deadline), but
// does not unwrap: the original's text, which go-openai's errors build
// from the body, is out of reach of anything that prints.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string        { return e.msg }
func (e *redactedError) Is(target error) bool { return errors.Is(e.err, target) }

// seal redacts a BackendError made from what a server said: its message
// and the error under it. Every such BackendError passes here when it is
// made, before anything can print, store or log it (a notice of a replica
// set aside quotes it, too).
func (r *redactor) seal(be *BackendError) *BackendError {
	be.Msg = r.redact(be.Msg)
	if be.Err != nil {
		if _, ok := be.Err.(*redactedError); !ok {
			be.Err = &redactedError{msg: r.redact(be.Err.Error()), err: be.Err}
		}
	}
	return be
}
