package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Conditions: what a generator is given besides the prompt.
const (
	ConditionSummary = "summary" // the user's summary
	ConditionRaw     = "raw"     // the user's raw history, in place of a summary
	ConditionNone    = "none"    // nothing: the unpersonalized baseline
)

// CheckCondition says what is wrong with a condition name, if anything.
func CheckCondition(c string) error {
	if c != ConditionSummary && c != ConditionRaw && c != ConditionNone {
		return fmt.Errorf("unknown condition %q (want summary, raw or none)", c)
	}
	return nil
}

// Message is one chat message, as sent to a model.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// GenerationKey is everything a generated answer depends on. Two requests
// with the same key would be asked the same thing, so the cached answer is
// reused; any change (a new summary version, another model, other sampling
// settings) asks again.
type GenerationKey struct {
	User      string
	PromptID  string // the task or held-out pair the prompt comes from
	Condition string
	SummaryID string // for ConditionSummary
	Backend   string
	Model     string
	Sampling  string // canonical form of the sampling settings, e.g. "temperature=0.6 max_tokens=1024"
	Template  int    // version of the prompt template the request was worded with, before template sets
	// TemplateSet is the version of the template set that worded the request.
	TemplateSet string
	// Input identifies exactly what was sent (a hash of the messages): it
	// changes with what the condition puts in, the raw history for one.
	Input string
}

// Hash is the cache key.
func (k GenerationKey) Hash() string {
	h := sha256.New()
	for _, f := range [...]string{k.User, k.PromptID, k.Condition, k.SummaryID, k.Backend, k.Model, k.Sampling} {
		writeField(h, f)
	}
	// Length-prefixed fields decode one way: a key with these optional
	// fields cannot clash with one without them.
	if k.Template != 0 {
		writeField(h, strconv.Itoa(k.Template))
	}
	if k.TemplateSet != "" {
		writeField(h, "set:"+k.TemplateSet)
	}
	if k.Input != "" {
		writeField(h, "input:"+k.Input)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Generation is one answer of one backend to one prompt for one user.
// Generations are never overwritten: a regenerated answer is a new
// generation, and the cache points at the newest; labels keep pointing at
// the exact answers that were judged.
type Generation struct {
	ID        string `json:"id"`
	Key       string `json:"key"` // GenerationKey.Hash
	User      string `json:"user"`
	PromptID  string `json:"prompt_id"`
	Prompt    string `json:"prompt"` // the user's prompt, before conditioning
	Condition string `json:"condition"`
	SummaryID string `json:"summary_id,omitempty"`
	Backend   string `json:"backend"`
	Model     string `json:"model"`
	Sampling  string `json:"sampling,omitempty"`
	Template  int    `json:"template_version,omitempty"` // before template sets
	// TemplateSet is the version of the template set that worded Messages.
	TemplateSet string    `json:"template_set,omitempty"`
	Messages    []Message `json:"messages"` // exactly what the generator was sent
	Text        string    `json:"text"`
	// FinishReason is the server's ("stop", "length", …).
	FinishReason     string        `json:"finish_reason,omitempty"`
	PromptTokens     int           `json:"prompt_tokens,omitempty"`
	CompletionTokens int           `json:"completion_tokens,omitempty"`
	TokensEstimated  bool          `json:"tokens_estimated,omitempty"` // the counts are estimates, not the server's
	Latency          time.Duration `json:"latency_ns,omitempty"`
	TimeToFirstToken time.Duration `json:"ttft_ns,omitempty"`
	CreatedAt        time.Time     `json:"created_at"`
}

// PromptText is what the generator was sent, as one string: the content of
// the messages, in order, separated by blank lines.
func (g Generation) PromptText() string {
	parts := make([]string, len(g.Messages))
	for i, m := range g.Messages {
		parts[i] = m.Content
	}
	return strings.Join(parts, "\n\n")
}

// PutGeneration stores a new generation and makes it the cached answer for
// its key. It returns g with its new ID, and CreatedAt if unset. g must not
// carry an ID: generations are never overwritten.
func (db *DB) PutGeneration(g Generation) (Generation, error) {
	g, v, err := newGeneration(g)
	if err != nil {
		return Generation{}, err
	}
	err = db.bolt.Batch(func(tx *bolt.Tx) error { // shares commits with concurrent writers, as AddSummary
		return putGeneration(tx, g, v)
	})
	if err != nil {
		return Generation{}, fmt.Errorf("put generation for %q: %w", g.User, err)
	}
	return g, nil
}

// PutGenerations stores several new generations in one transaction (one
// commit for a batch file's answers), each as PutGeneration would, and
// returns them as stored. Either all are stored or none.
func (db *DB) PutGenerations(gs []Generation) ([]Generation, error) {
	out := make([]Generation, len(gs))
	vals := make([][]byte, len(gs))
	for i, g := range gs {
		var err error
		if out[i], vals[i], err = newGeneration(g); err != nil {
			return nil, err
		}
	}
	err := db.bolt.Update(func(tx *bolt.Tx) error {
		for i, g := range out {
			if err := putGeneration(tx, g, vals[i]); err != nil {
				return fmt.Errorf("put generation for %q: %w", g.User, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// newGeneration checks a new generation, gives it its id and creation
// time, and encodes it as stored.
func newGeneration(g Generation) (Generation, []byte, error) {
	if g.ID != "" {
		return Generation{}, nil, fmt.Errorf("put generation: it already has id %s (a new answer gets a new id)", g.ID)
	}
	if g.Key == "" || g.User == "" || g.Backend == "" {
		return Generation{}, nil, fmt.Errorf("put generation: key, user and backend are required")
	}
	if g.CreatedAt.IsZero() {
		g.CreatedAt = time.Now().UTC()
	}
	g.ID = newID(g.CreatedAt)
	v, err := json.Marshal(g)
	if err != nil {
		return Generation{}, nil, fmt.Errorf("put generation: %w", err)
	}
	return g, v, nil
}

// putGeneration stores an encoded generation and makes it its key's
// cached answer.
func putGeneration(tx *bolt.Tx, g Generation, v []byte) error {
	if err := tx.Bucket(bucketGenerations).Put([]byte(g.ID), v); err != nil {
		return err
	}
	if err := addCounters(tx, counters{Generations: 1}); err != nil {
		return err
	}
	return tx.Bucket(bucketGenCache).Put([]byte(g.Key), []byte(g.ID))
}

// CachedGeneration returns the newest generation for a key; ok is false
// when there is none.
func (db *DB) CachedGeneration(key string) (g Generation, ok bool, err error) {
	err = db.bolt.View(func(tx *bolt.Tx) error {
		id := tx.Bucket(bucketGenCache).Get([]byte(key))
		if id == nil {
			return nil
		}
		ok = true
		return getGeneration(tx, string(id), &g)
	})
	return g, ok, err
}

// Generation returns a generation by id.
func (db *DB) Generation(id string) (Generation, error) {
	var g Generation
	err := db.bolt.View(func(tx *bolt.Tx) error { return getGeneration(tx, id, &g) })
	return g, err
}

func getGeneration(tx *bolt.Tx, id string, g *Generation) error {
	v := tx.Bucket(bucketGenerations).Get([]byte(id))
	if v == nil {
		return fmt.Errorf("generation %q: %w", id, ErrNotFound)
	}
	if err := json.Unmarshal(v, g); err != nil {
		return fmt.Errorf("generation %q: %w", id, err)
	}
	return nil
}
