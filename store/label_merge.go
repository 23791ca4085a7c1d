package store

import (
	"container/heap"
	"errors"
	"fmt"
)

// eachGroup merges the runs and passes each group's entries (one item's
// labels, every annotator's, in storage order) to fn. It can be called
// more than once: each call reads the runs from the start. Memory holds a
// buffer per run and one group.
func (r *labelRuns) eachGroup(fn func([]labelEntry) error) (err error) {
	var h runHeap
	defer func() {
		for _, s := range h {
			if s.file != nil {
				err = errors.Join(err, s.file.f.Close())
			}
		}
	}()
	for _, path := range r.files {
		rf, err := openRun(path)
		if err != nil {
			return err
		}
		s := &runSource{file: rf}
		h = append(h, s)
		if err := s.advance(); err != nil {
			return err
		}
	}
	if len(r.pending) > 0 {
		s := &runSource{mem: r.pending}
		h = append(h, s)
		if err := s.advance(); err != nil {
			return err
		}
	}
	live := h[:0:0]
	for _, s := range h {
		if s.ok {
			live = append(live, s)
		}
	}
	merging := runHeap(live)
	heap.Init(&merging)
	return mergeGroups(&merging, fn)
}

// mergeGroups pops the merged entries, a group at a time, into fn.
func mergeGroups(h *runHeap, fn func([]labelEntry) error) error {
	var group []labelEntry
	for h.Len() > 0 {
		s := (*h)[0]
		if len(group) > 0 && group[0].group != s.cur.group {
			if err := fn(group); err != nil {
				return err
			}
			group = group[:0]
		}
		group = append(group, s.cur)
		if err := s.advance(); err != nil {
			return err
		}
		if s.ok {
			heap.Fix(h, 0)
		} else {
			heap.Pop(h)
		}
	}
	if len(group) > 0 {
		return fn(group)
	}
	return nil
}

// runSource is a run being merged: a file, or the entries kept in memory.
type runSource struct {
	file *runFile
	mem  []labelEntry
	cur  labelEntry
	ok   bool // cur holds an entry
	prev labelEntry
}

// advance reads the next entry into cur. A run out of order (a damaged
// file) is an error naming it, not a wrong export.
func (s *runSource) advance() (err error) {
	s.prev = s.cur
	had := s.ok
	if s.file != nil {
		s.ok, err = s.file.next(&s.cur)
		if err != nil {
			return err
		}
	} else if s.ok = len(s.mem) > 0; s.ok {
		s.cur, s.mem = s.mem[0], s.mem[1:]
	}
	if had && s.ok && compareEntries(&s.prev, &s.cur) >= 0 {
		name := "in memory"
		if s.file != nil {
			name = s.file.path
		}
		return fmt.Errorf("label runs: %s: entries out of order (a damaged file)", name)
	}
	return nil
}

// runHeap orders the runs by their current entry.
type runHeap []*runSource

func (h runHeap) Len() int           { return len(h) }
func (h runHeap) Less(i, j int) bool { return compareEntries(&h[i].cur, &h[j].cur) < 0 }
func (h runHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)        { *h = append(*h, x.(*runSource)) }
func (h *runHeap) Pop() any {
	old := *h
	s := old[len(old)-1]
	*h = old[:len(old)-1]
	return s
}
