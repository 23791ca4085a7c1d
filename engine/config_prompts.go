package engine

import (
	"path/filepath"
	"strings"
)

// promptSets loads the template sets a configuration names, each once.
// A relative file name is relative to the configuration file.
type promptSets struct {
	config string
	loaded map[string]*PromptSet
}

func (s promptSets) load(name string) (*PromptSet, error) {
	if !strings.HasPrefix(name, BuiltinPrefix) && !filepath.IsAbs(name) {
		name = filepath.Join(filepath.Dir(s.config), name)
	}
	if p, ok := s.loaded[name]; ok {
		return p, nil
	}
	p, err := LoadPromptSet(name)
	if err != nil {
		return nil, err
	}
	s.loaded[name] = p
	return p, nil
}

// wording sets what a backend's requests are worded with: its template
// set (its own prompts, else the configuration's) and the kinds of signal
// its history may hold. The offline engine words nothing.
func (r *backendReader) wording(i int, fb fileBackend, b *BackendConfig) error {
	if b.Kind == KindOffline && (fb.Prompts != nil || fb.Signals != nil) {
		key := "prompts"
		if fb.Prompts == nil {
			key = "signals"
		}
		return r.bad(i, key, "the offline backend %q sends no prompts", b.Name)
	}
	b.Prompts = r.prompts
	if fb.Prompts != nil {
		p, err := r.sets.load(*fb.Prompts)
		if err != nil {
			return r.bad(i, "prompts", "%v", err)
		}
		b.Prompts = p
	}
	if fb.Signals != nil {
		if err := CheckSignals(fb.Signals); err != nil {
			return r.bad(i, "signals", "%v", err)
		}
		b.Signals = canonicalSignals(fb.Signals) // nil when every kind is named: the default
	}
	return nil
}
