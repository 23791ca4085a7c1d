package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/popi-tui/popi-tui/store/signal"
)

// How each kind of record is merged (merge.go runs them in one
// transaction): labels appended byte for byte, summary versions
// renumbered, generations and their cache entries, and the users they
// belong to brought across.

// labels appends the other database's labels that are not here, in its
// order, byte for byte.
func (m *mergeTx) labels() error {
	lm := labelMerge{m: m, dst: m.dst.Bucket(bucketLabels), shared: map[string]map[string]bool{}}
	if err := lm.prepare(); err != nil {
		return err
	}
	defer func() {
		for _, name := range slices.Sorted(maps.Keys(lm.shared)) {
			m.rep.SharedNames = append(m.rep.SharedNames, SharedName{Annotator: name, Items: len(lm.shared[name])})
		}
	}()
	return m.src.Bucket(bucketLabels).ForEach(lm.label)
}

// labelMerge is the state of merging labels.
type labelMerge struct {
	m      *mergeTx
	dst    *bolt.Bucket
	here   map[string]uint64          // label id → its Seq here
	before map[string]string          // this database's current decision per item, before the merge
	theirs map[string]bool            // the other database's label ids
	shared map[string]map[string]bool // annotator → items both decided independently
}

// prepare reads what the merge compares incoming labels with.
func (lm *labelMerge) prepare() error {
	lm.here = map[string]uint64{}
	err := lm.dst.ForEach(func(k, v []byte) error {
		var l struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(v, &l); err != nil {
			return fmt.Errorf("this database's label %d: %w", decodeSeqKey(k), err)
		}
		lm.here[l.ID] = decodeSeqKey(k)
		return nil
	})
	if err != nil {
		return err
	}
	// An incoming decision on an item this database already has a current
	// decision for, from the same name, where the other database has never
	// seen that decision: two lines of work under one name.
	if lm.before, err = currentPerItem(lm.m.dst); err != nil {
		return err
	}
	lm.theirs = map[string]bool{}
	return lm.m.src.Bucket(bucketLabels).ForEach(func(k, v []byte) error {
		var l struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(v, &l) == nil {
			lm.theirs[l.ID] = true
		}
		return nil
	})
}

// label merges one label record of the other database.
func (lm *labelMerge) label(k, v []byte) error {
	m := lm.m
	if err := m.tick(); err != nil {
		return err
	}
	var l Label
	if err := json.Unmarshal(v, &l); err != nil {
		return fmt.Errorf("label %d: %w", decodeSeqKey(k), err)
	}
	if l.ID == "" {
		return fmt.Errorf("label %d has no id", decodeSeqKey(k))
	}
	if seq, ok := lm.here[l.ID]; ok {
		differ, err := mergeDiff[Label](lm.dst.Get(seqKey(seq)), v, nil)
		if err != nil {
			return fmt.Errorf("label %s: %w", l.ID, err)
		}
		if differ != "" {
			m.conflict(&m.rep.Labels, "label", l.ID, differ)
		} else {
			m.rep.Labels.Already++
		}
		return nil
	}
	if id, ok := lm.before[l.ItemKey()]; ok && l.Kind == LabelDecision && !lm.theirs[id] {
		if lm.shared[l.Annotator] == nil {
			lm.shared[l.Annotator] = map[string]bool{}
		}
		lm.shared[l.Annotator][l.ItemKey()] = true
	}
	if l.User != "" {
		if _, err := m.ensureUser(l.User); err != nil {
			return err
		}
	}
	seq, err := lm.dst.NextSequence()
	if err != nil {
		return err
	}
	if err := lm.dst.Put(seqKey(seq), v); err != nil {
		return err
	}
	if err := noteLabel(m.dst, seq, v); err != nil {
		return err
	}
	lm.here[l.ID] = seq
	m.rep.Labels.Added++
	return nil
}

// summaries adds the other database's summary versions that are not here,
// each as its user's next version here.
func (m *mergeTx) summaries() error {
	sm := summaryMerge{m: m, dst: m.dst.Bucket(bucketSummaries), here: map[string][]byte{},
		versions: map[string]int{}, pinned: map[string]bool{}}
	err := sm.dst.ForEach(func(k, v []byte) error {
		var s struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(v, &s); err != nil {
			return fmt.Errorf("this database's summary %q: %w", k, err)
		}
		sm.here[s.ID] = bytes.Clone(k)
		return nil
	})
	if err != nil {
		return err
	}
	return m.src.Bucket(bucketSummaries).ForEach(sm.summary)
}

// summaryMerge is the state of merging summary versions.
type summaryMerge struct {
	m    *mergeTx
	dst  *bolt.Bucket
	here map[string][]byte // summary id → its key here
	// versions maps a summary of the other database (user NUL its version
	// there) to its version here, for the parents of later versions: a
	// user's versions come in order, so a parent is always mapped before
	// its children.
	versions map[string]int
	pinned   map[string]bool // users whose current version here is kept current
}

// summary merges one summary version of the other database.
func (sm *summaryMerge) summary(k, v []byte) error {
	m := sm.m
	if err := m.tick(); err != nil {
		return err
	}
	var s Summary
	if err := json.Unmarshal(v, &s); err != nil {
		return fmt.Errorf("summary %q: %w", k, err)
	}
	if s.ID == "" || signal.CheckID(s.User) != "" || s.Version <= 0 {
		return fmt.Errorf("summary %q: no id, user or version", k)
	}
	if hk, ok := sm.here[s.ID]; ok {
		return sm.already(s, hk, v)
	}
	ok, err := m.ensureUser(s.User)
	if err != nil {
		return err
	}
	if !ok {
		m.rep.Summaries.Skipped++
		return nil
	}
	if !sm.pinned[s.User] {
		// Before the first version comes in: what is current here
		// stays current.
		kept, err := pinCurrentSummary(m.dst, s.User)
		if err != nil {
			return err
		}
		if kept {
			m.rep.KeptCurrent++
		}
		sm.pinned[s.User] = true
	}
	return sm.add(s)
}

// already compares a summary with the one under its id here (hk, its
// key here).
func (sm *summaryMerge) already(s Summary, hk, v []byte) error {
	m := sm.m
	// Versions are numbered per database: the same summary may carry
	// another number here, and so may its parent.
	differ, err := mergeDiff(sm.dst.Get(hk), v, func(s *Summary) { s.Version, s.Parent = 0, 0 })
	if err != nil {
		return fmt.Errorf("summary %s: %w", s.ID, err)
	}
	if differ != "" {
		m.conflict(&m.rep.Summaries, "summary", s.ID, differ)
		return nil
	}
	m.rep.Summaries.Already++
	if len(hk) >= 4 {
		sm.versions[mergeVersionKey(s.User, s.Version)] = int(binary.BigEndian.Uint32(hk[len(hk)-4:]))
	}
	return nil
}

// add stores a summary as its user's next version here.
func (sm *summaryMerge) add(s Summary) error {
	m := sm.m
	version := 1
	if last, ok := lastSummary(sm.dst, s.User); ok {
		version = last.Version + 1
	}
	parent := 0
	if s.Parent > 0 {
		parent = sm.versions[mergeVersionKey(s.User, s.Parent)] // 0: the parent did not come across
	}
	if version != s.Version {
		m.rep.Renumbered++
	}
	oldVersion := s.Version
	s.Version, s.Parent = version, parent
	nv, err := json.Marshal(s)
	if err != nil {
		return err
	}
	key := summaryKey(s.User, version)
	if sm.dst.Get(key) != nil {
		// lastSummary reads an undecodable newest version as none: never
		// write over a version here.
		return fmt.Errorf("this database's summaries of %q are unreadable", s.User)
	}
	if err := sm.dst.Put(key, nv); err != nil {
		return err
	}
	if err := noteHumanSummary(m.dst, &s); err != nil {
		return err
	}
	sm.here[s.ID] = key
	sm.versions[mergeVersionKey(s.User, oldVersion)] = version
	m.rep.Summaries.Added++
	m.added = m.added.plus(summaryCounters(s.Source))
	return nil
}

func mergeVersionKey(user string, version int) string {
	return user + "\x00" + strconv.Itoa(version)
}

// generations adds the other database's generations that are not here,
// then the cache entries for keys that have none here.
func (m *mergeTx) generations() error {
	dst := m.dst.Bucket(bucketGenerations)
	conflicted := map[string]bool{}
	err := m.src.Bucket(bucketGenerations).ForEach(func(k, v []byte) error {
		if err := m.tick(); err != nil {
			return err
		}
		var g Generation
		if err := json.Unmarshal(v, &g); err != nil {
			return fmt.Errorf("generation %q: %w", k, err)
		}
		if len(k) == 0 || g.ID != string(k) {
			return fmt.Errorf("generation %q is stored under another id (%q)", k, g.ID)
		}
		if fillReplayMessages(&g) { // as the migration to schema 4 did here
			var err error
			if v, err = json.Marshal(g); err != nil {
				return fmt.Errorf("generation %s: %w", g.ID, err)
			}
		}
		if hv := dst.Get(k); hv != nil {
			differ, err := mergeDiff[Generation](hv, v, nil)
			if err != nil {
				return fmt.Errorf("generation %s: %w", g.ID, err)
			}
			if differ != "" {
				conflicted[g.ID] = true
				m.conflict(&m.rep.Generations, "generation", g.ID, differ)
			} else {
				m.rep.Generations.Already++
			}
			return nil
		}
		if g.User != "" {
			if _, err := m.ensureUser(g.User); err != nil {
				return err
			}
		}
		if err := dst.Put(k, v); err != nil {
			return err
		}
		m.rep.Generations.Added++
		m.added.Generations++
		return nil
	})
	if err != nil {
		return err
	}
	cache := m.dst.Bucket(bucketGenCache)
	return m.src.Bucket(bucketGenCache).ForEach(func(k, id []byte) error {
		if err := m.tick(); err != nil {
			return err
		}
		// A key cached here keeps its answer; an entry must not point at a
		// generation that is not here, or at another one under its id.
		if cache.Get(k) != nil || conflicted[string(id)] || dst.Get(id) == nil {
			return nil
		}
		if err := cache.Put(k, id); err != nil {
			return err
		}
		m.rep.CacheEntries++
		return nil
	})
}

// ensureUser reports whether user is here, first bringing them across
// with their signals when only the other database has them.
func (m *mergeTx) ensureUser(user string) (bool, error) {
	if ok, seen := m.users[user]; seen {
		return ok, nil
	}
	users := m.dst.Bucket(bucketUsers)
	if users.Get([]byte(user)) != nil {
		m.users[user] = true
		return true, nil
	}
	uv := m.src.Bucket(bucketUsers).Get([]byte(user))
	if uv == nil || signal.CheckID(user) != "" {
		m.users[user] = false
		return false, nil
	}
	var u User
	if err := json.Unmarshal(uv, &u); err != nil {
		return false, fmt.Errorf("user %q: %w", user, err)
	}
	signals, err := userSignals(m.src, user)
	if err != nil {
		return false, err
	}
	bodies, idx := m.dst.Bucket(bucketBodies), m.dst.Bucket(bucketSignals)
	// FirstSeq is the first body appended for the user, or the last body
	// there is when none is: below every later import's bodies either way,
	// so that rolling one of those back cannot remove this user.
	var first uint64
	for i := range signals {
		s := &signals[i]
		signal.Lift(s) // as the migration to schema 5 did here
		key := signalKey(user, s.ID)
		if idx.Get(key) != nil {
			continue // already here
		}
		seq, err := bodies.NextSequence()
		if err != nil {
			return false, err
		}
		if first == 0 {
			first = seq
		}
		if err := bodies.Put(seqKey(seq), encodeSignal(make([]byte, 0, encodedSignalSize(s)), s)); err != nil {
			return false, err
		}
		if err := idx.Put(key, encodeIndexEntry(seq, s.Kind, s.Split)); err != nil {
			return false, err
		}
		m.rep.Signals.add(s.Kind, s.Split, 1)
		m.added.Signals.add(s.Kind, s.Split, 1)
	}
	if first == 0 {
		first = bodies.Sequence()
	}
	nu := User{ID: user, Meta: u.Meta, FirstSeq: first, Dataset: u.Dataset}
	v, err := json.Marshal(nu)
	if err != nil {
		return false, err
	}
	if err := users.Put([]byte(user), v); err != nil {
		return false, err
	}
	m.users[user] = true
	m.rep.Users++
	m.added.Users++
	m.addedDatasets[u.Dataset]++
	return true, nil
}

// mergeDiff compares two stored records of one type by content: both are
// decoded (and normalized, when normalize is given) and encoded again, so
// that records that say the same thing compare equal however they were
// written. It returns "" for the same content, else which fields differ.
func mergeDiff[T any](here, there []byte, normalize func(*T)) (string, error) {
	if normalize == nil && bytes.Equal(here, there) {
		return "", nil
	}
	var fields [2]map[string]json.RawMessage
	for i, raw := range [2][]byte{here, there} {
		var rec T
		if err := json.Unmarshal(raw, &rec); err != nil {
			return "", err
		}
		if normalize != nil {
			normalize(&rec)
		}
		canonical, err := json.Marshal(rec)
		if err != nil {
			return "", err
		}
		if err := json.Unmarshal(canonical, &fields[i]); err != nil {
			return "", err
		}
	}
	var differ []string
	for name, v := range fields[0] {
		if w, ok := fields[1][name]; !ok || !bytes.Equal(v, w) {
			differ = append(differ, name)
		}
	}
	for name := range fields[1] {
		if _, ok := fields[0][name]; !ok {
			differ = append(differ, name)
		}
	}
	if len(differ) == 0 {
		return "", nil
	}
	slices.Sort(differ)
	return "already here with other content (differs in " + strings.Join(differ, ", ") + "); the record here was kept", nil
}
