package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/popi-tui/popi-tui/store"
)

// Batch files: the requests infer and generate would send, written as an
// OpenAI Batch input file (one JSON line per request: custom_id, method,
// url, body), for vLLM's run-batch on a cluster or a hosted batch API; and
// their results read back and stored as if fetched live. The requests are
// built by the code the live path uses (summarizerRequest, newGeneration)
// and the answers stored through the same functions (summaryOf, answered),
// so a batch round trip stores what a live run would.
//
// A line's custom_id names what it asks and for whom, and ends in a hash
// of its body: reading the results, each request is built again from the
// database and its body hashed; another hash means the input changed since
// the file was written, and the answer is refused.

// batchURL is the endpoint every request of a batch file asks.
const batchURL = "/v1/chat/completions"

// The kinds of request a batch file holds, as its custom_ids name them.
const (
	batchSummarize = "summarize"
	batchGenerate  = "generate"
)

// batchIDPrefix starts every custom_id popi-tui writes.
const batchIDPrefix = "popi-tui"

// batchID is what a custom_id says: which request, and the hash of its body.
type batchID struct {
	Kind    string // batchSummarize or batchGenerate
	Backend string
	User    string
	// Signals (summarize): the kinds of signal shown, "all" or joined by
	// "+", so that a run with infer --signals is built again the same way.
	Signals   string
	PromptID  string // generate
	Condition string // generate
	// SummaryVersion (generate, summary condition) and TemplateSet only
	// explain a changed request: the hash decides.
	SummaryVersion int
	TemplateSet    string
	Hash           string
}

// String is the custom_id: fields separated by "/", each path-escaped so
// that a "/" or a control character in a user id cannot shift the others.
func (id batchID) String() string {
	set := id.TemplateSet
	if set == "" {
		set = "-"
	}
	parts := []string{batchIDPrefix, id.Kind, id.Backend, id.User}
	if id.Kind == batchSummarize {
		parts = append(parts, id.Signals)
	} else {
		v := "-"
		if id.SummaryVersion > 0 {
			v = "v" + strconv.Itoa(id.SummaryVersion)
		}
		parts = append(parts, id.PromptID, id.Condition, v)
	}
	parts = append(parts, set, id.Hash)
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

// parseBatchID reads a custom_id popi-tui wrote.
func parseBatchID(s string) (batchID, error) {
	parts := strings.Split(s, "/")
	for i, p := range parts {
		var err error
		if parts[i], err = url.PathUnescape(p); err != nil {
			return batchID{}, fmt.Errorf("custom_id %q: %v", s, err)
		}
	}
	bad := fmt.Errorf("custom_id %q is not one popi-tui wrote (%s/summarize/BACKEND/USER/SIGNALS/SET/HASH or %s/generate/BACKEND/USER/PROMPT/CONDITION/VERSION/SET/HASH)", s, batchIDPrefix, batchIDPrefix)
	if len(parts) < 2 || parts[0] != batchIDPrefix {
		return batchID{}, bad
	}
	id := batchID{Kind: parts[1]}
	switch {
	case id.Kind == batchSummarize && len(parts) == 7:
		id.Backend, id.User, id.Signals, id.TemplateSet, id.Hash = parts[2], parts[3], parts[4], parts[5], parts[6]
	case id.Kind == batchGenerate && len(parts) == 9:
		id.Backend, id.User, id.PromptID, id.Condition, id.TemplateSet, id.Hash = parts[2], parts[3], parts[4], parts[5], parts[7], parts[8]
		if v, ok := strings.CutPrefix(parts[6], "v"); ok {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return batchID{}, bad
			}
			id.SummaryVersion = n
		} else if parts[6] != "-" {
			return batchID{}, bad
		}
	default:
		return batchID{}, bad
	}
	if id.TemplateSet == "-" {
		id.TemplateSet = ""
	}
	return id, nil
}

// signalsName is how a custom_id names the kinds of signal a summarizer is
// shown: canonicalSignals' list joined by "+", or "all" for every kind.
func signalsName(canonical []string) string {
	if canonical == nil {
		return "all"
	}
	return strings.Join(canonical, "+")
}

// signalsAllowed reads signalsName back as the kinds allowed.
func signalsAllowed(name string) ([]string, error) {
	if name == "all" {
		return AllSignals, nil
	}
	kinds := strings.Split(name, "+")
	if err := CheckSignals(kinds); err != nil {
		return nil, err
	}
	return kinds, nil
}

// batchBody is the body of a batch request for msgs, and the hash of its
// bytes that the custom_id carries: the request a live answer streams
// (BackendConfig.chatRequest: the model, the length in the backend's
// field, the temperature), whole rather than streamed.
func batchBody(cfg BackendConfig, msgs []store.Message) (body []byte, hash string, err error) {
	body, err = json.Marshal(cfg.chatRequest(toOpenAI(msgs), cfg.MaxTokens))
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(body)
	return body, hex.EncodeToString(sum[:8]), nil
}

// appendBatchLine appends one line of a batch input file.
func appendBatchLine(dst []byte, id batchID, body []byte) []byte {
	quoted, _ := json.Marshal(id.String()) // a string always marshals
	dst = append(dst, `{"custom_id":`...)
	dst = append(dst, quoted...)
	dst = append(dst, `,"method":"POST","url":"`+batchURL+`","body":`...)
	dst = append(dst, body...)
	return append(dst, "}\n"...)
}

// offlineBatch refuses a batch file for an offline backend: it sends no
// request a server could answer.
func offlineBatch(b *backend) error {
	if b.chat == nil {
		return fmt.Errorf("backend %s is the offline engine: it sends no requests to put in a batch file", b.cfg.Name)
	}
	return nil
}
