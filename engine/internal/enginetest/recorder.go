package enginetest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// Message is a chat message as a request body carries it.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Recorder is a reverse proxy in front of a model server that keeps the
// chat messages of every request passing through it, exactly as sent:
// what a template set rendered is what reached the server, word for word.
type Recorder struct {
	srv  *httptest.Server
	base string
	mu   sync.Mutex
	got  []Recorded
}

// Recorded is one request's path and the messages its body held.
type Recorded struct {
	Path     string
	Messages []Message
}

// NewRecorder proxies to target, a base URL ending in /v1 (or a server's
// root); its URL takes the same form.
func NewRecorder(t testing.TB, target string) *Recorder {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	suffix := ""
	if strings.HasSuffix(u.Path, "/v1") {
		suffix = "/v1"
		u.Path = strings.TrimSuffix(u.Path, "/v1")
	}
	r := &Recorder{}
	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.FlushInterval = -1 // streamed answers pass as they come
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
		var b struct {
			Messages []Message `json:"messages"`
		}
		if json.Unmarshal(body, &b) == nil && b.Messages != nil {
			r.mu.Lock()
			r.got = append(r.got, Recorded{Path: req.URL.Path, Messages: b.Messages})
			r.mu.Unlock()
		}
		proxy.ServeHTTP(w, req)
	}))
	t.Cleanup(r.srv.Close)
	r.base = r.srv.URL + suffix
	return r
}

// URL is where to send requests instead of the target.
func (r *Recorder) URL() string { return r.base }

// Requests are the requests with messages so far, in the order they came.
func (r *Recorder) Requests() []Recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Recorded(nil), r.got...)
}

// Chats are the messages of the chat completion requests so far.
func (r *Recorder) Chats() [][]Message {
	var out [][]Message
	for _, q := range r.Requests() {
		if strings.HasSuffix(q.Path, "/chat/completions") {
			out = append(out, q.Messages)
		}
	}
	return out
}
