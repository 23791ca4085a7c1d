package store_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	. "github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest"
)

func fxKey() GenerationKey {
	return GenerationKey{User: "u1", PromptID: "task-1", Condition: ConditionSummary, SummaryID: "S1",
		Backend: "ollama", Model: "llama3", Sampling: "temperature=0.6 max_tokens=1024"}
}

func TestGenerationKeyHash(t *testing.T) {
	base := fxKey()
	h := base.Hash()
	if len(h) != 32 || strings.Trim(h, "0123456789abcdef") != "" {
		t.Fatalf("Hash = %q, want 32 hex digits", h)
	}
	// The hash is the cache key stored in databases: it must not change
	// between versions. (SHA-256 over the uvarint-length-prefixed fields,
	// first 16 bytes, computed independently.)
	if want := "687f3ea5b52d8bbdb4ae04d4fb6e798b"; h != want {
		t.Errorf("Hash of the reference key = %s, want %s", h, want)
	}
	if want := "837885c8f8091aeaeb9ec3c3f85a6ff4"; (GenerationKey{}).Hash() != want {
		t.Errorf("Hash of the zero key = %s, want %s", GenerationKey{}.Hash(), want)
	}
	same := base
	if same.Hash() != h || fxKey().Hash() != h {
		t.Errorf("the same key hashes differently")
	}

	tests := []struct {
		name string
		edit func(k *GenerationKey)
	}{
		{"user", func(k *GenerationKey) { k.User = "u2" }},
		{"prompt", func(k *GenerationKey) { k.PromptID = "task-2" }},
		{"condition", func(k *GenerationKey) { k.Condition = ConditionRaw }},
		{"no condition", func(k *GenerationKey) { k.Condition = "" }},
		{"summary version", func(k *GenerationKey) { k.SummaryID = "S2" }},
		{"no summary", func(k *GenerationKey) { k.SummaryID = "" }},
		{"backend", func(k *GenerationKey) { k.Backend = "openai" }},
		{"model", func(k *GenerationKey) { k.Model = "llama3.1" }},
		{"sampling", func(k *GenerationKey) { k.Sampling = "temperature=0.7 max_tokens=1024" }},
		{"text moved between user and prompt", func(k *GenerationKey) { k.User, k.PromptID = "u1t", "ask-1" }},
		{"text moved between backend and model", func(k *GenerationKey) { k.Backend, k.Model = "ollamal", "lama3" }},
		{"fields swapped", func(k *GenerationKey) { k.Backend, k.Model = k.Model, k.Backend }},
		{"trailing space", func(k *GenerationKey) { k.Sampling += " " }},
	}
	seen := map[string]string{h: "base"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := fxKey()
			tt.edit(&k)
			got := k.Hash()
			if prev, dup := seen[got]; dup {
				t.Errorf("hash %s equals that of %s", got, prev)
			}
			seen[got] = tt.name
			if again := k.Hash(); again != got {
				t.Errorf("hash not stable: %s then %s", got, again)
			}
		})
	}
}

func TestGenerationPromptText(t *testing.T) {
	tests := []struct {
		name string
		msgs []Message
		want string
	}{
		{"none", nil, ""},
		{"one", []Message{{"user", "How do I undo a commit?"}}, "How do I undo a commit?"},
		{"system and user", []Message{{"system", "The user likes short answers."}, {"user", "Q?"}},
			"The user likes short answers.\n\nQ?"},
		{"three, with newlines inside", []Message{{"system", "a\nb"}, {"user", "c"}, {"assistant", "d\n"}},
			"a\nb\n\nc\n\nd\n"},
		{"an empty message keeps its place", []Message{{"system", "s"}, {"user", ""}, {"user", "q"}}, "s\n\n\n\nq"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (Generation{Messages: tt.msgs}).PromptText(); got != tt.want {
				t.Errorf("PromptText = %q, want %q", got, tt.want)
			}
		})
	}
}

// fxGeneration is a complete generation for key k.
func fxGeneration(k GenerationKey, text string) Generation {
	return Generation{
		Key: k.Hash(), User: k.User, PromptID: k.PromptID, Prompt: "How do I undo a commit?",
		Condition: k.Condition, SummaryID: k.SummaryID, Backend: k.Backend, Model: k.Model, Sampling: k.Sampling,
		Messages: []Message{{"system", "The user likes short answers."}, {"user", "How do I undo a commit?"}},
		Text:     text, FinishReason: "stop", PromptTokens: 31, CompletionTokens: 9,
		Latency: 1500 * time.Millisecond, TimeToFirstToken: 200 * time.Millisecond,
	}
}

func TestPutGenerationAndCache(t *testing.T) {
	db := storetest.Open(t)
	k := fxKey()
	if _, ok, err := db.CachedGeneration(k.Hash()); ok || err != nil {
		t.Fatalf("CachedGeneration before any: ok %v err %v", ok, err)
	}

	before := time.Now().UTC()
	g1, err := db.PutGeneration(fxGeneration(k, "`git reset --soft HEAD~1`"))
	if err != nil {
		t.Fatal(err)
	}
	if !fxIDPattern.MatchString(g1.ID) || g1.CreatedAt.Before(before.Add(-time.Millisecond)) || g1.CreatedAt.After(time.Now().Add(time.Millisecond)) {
		t.Errorf("PutGeneration set id %q created %v", g1.ID, g1.CreatedAt)
	}
	want1 := fxGeneration(k, "`git reset --soft HEAD~1`")
	want1.ID, want1.CreatedAt = g1.ID, g1.CreatedAt
	if storetest.JSON(t, g1) != storetest.JSON(t, want1) {
		t.Errorf("PutGeneration returned %s\nwant %s", storetest.JSON(t, g1), storetest.JSON(t, want1))
	}
	cached, ok, err := db.CachedGeneration(k.Hash())
	if err != nil || !ok || storetest.JSON(t, cached) != storetest.JSON(t, g1) {
		t.Fatalf("CachedGeneration = %s ok %v err %v, want %s", storetest.JSON(t, cached), ok, err, storetest.JSON(t, g1))
	}

	// Regenerating: the new answer becomes the cached one, the old one stays.
	g2, err := db.PutGeneration(fxGeneration(k, "Run `git reset --soft HEAD~1`."))
	if err != nil {
		t.Fatal(err)
	}
	if g2.ID == g1.ID {
		t.Fatalf("second generation got the first one's id")
	}
	if cached, _, _ := db.CachedGeneration(k.Hash()); cached.ID != g2.ID || cached.Text != g2.Text {
		t.Errorf("cached after regenerating: %q %q, want %q %q", cached.ID, cached.Text, g2.ID, g2.Text)
	}
	for _, g := range []Generation{g1, g2} {
		got, err := db.Generation(g.ID)
		if err != nil || storetest.JSON(t, got) != storetest.JSON(t, g) {
			t.Errorf("Generation(%q) = %s err %v, want %s", g.ID, storetest.JSON(t, got), err, storetest.JSON(t, g))
		}
	}
	if st := storetest.Stats(t, db); st.Generations != 2 {
		t.Errorf("Stats().Generations = %d, want 2", st.Generations)
	}

	// Another key is cached separately.
	k2 := fxKey()
	k2.Model = "qwen"
	g3, err := db.PutGeneration(fxGeneration(k2, "other"))
	if err != nil {
		t.Fatal(err)
	}
	if c, _, _ := db.CachedGeneration(k.Hash()); c.ID != g2.ID {
		t.Errorf("key 1 cached %q after putting key 2, want %q", c.ID, g2.ID)
	}
	if c, _, _ := db.CachedGeneration(k2.Hash()); c.ID != g3.ID {
		t.Errorf("key 2 cached %q, want %q", c.ID, g3.ID)
	}

	// A label made against the first answer keeps pointing at it.
	l := storetest.Decision("ann", "u1", "task-1", "a")
	l.Candidates[0].GenerationID, l.Candidates[1].GenerationID = g1.ID, g3.ID
	storetest.AddLabel(t, db, l)
	var stored Label
	if err := db.CurrentLabels(func(x Label) error { stored = x; return nil }); err != nil {
		t.Fatal(err)
	}
	cur, err := db.Generation(stored.Candidates[0].GenerationID)
	if err != nil || cur.Text != g1.Text {
		t.Errorf("the label's first answer reads %q (%v), want %q", cur.Text, err, g1.Text)
	}
}

func TestGenerationNotFound(t *testing.T) {
	db := storetest.Open(t)
	if _, err := db.PutGeneration(fxGeneration(fxKey(), "x")); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"", "no-such-generation", strings.Repeat("0", 32)} {
		_, err := db.Generation(id)
		if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `generation "`+id+`"`) {
			t.Errorf("Generation(%q): err %v, want ErrNotFound naming the id", id, err)
		}
	}
	if _, ok, err := db.CachedGeneration("no-such-key"); ok || err != nil {
		t.Errorf("CachedGeneration of an unknown key: ok %v err %v", ok, err)
	}
}

func TestPutGenerationRequiresKeyUserAndBackend(t *testing.T) {
	tests := []struct {
		name string
		edit func(g *Generation)
	}{
		{"no key", func(g *Generation) { g.Key = "" }},
		{"no user", func(g *Generation) { g.User = "" }},
		{"no backend", func(g *Generation) { g.Backend = "" }},
	}
	db := storetest.Open(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := fxGeneration(fxKey(), "x")
			tt.edit(&g)
			if _, err := db.PutGeneration(g); err == nil || !strings.Contains(err.Error(), "key, user and backend are required") {
				t.Errorf("PutGeneration: err %v", err)
			}
		})
	}
	if st := storetest.Stats(t, db); st.Generations != 0 {
		t.Errorf("Stats().Generations = %d after rejected puts", st.Generations)
	}
	if _, ok, _ := db.CachedGeneration(""); ok {
		t.Errorf("a generation was cached under the empty key")
	}
}
