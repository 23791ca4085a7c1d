package compare

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"slices"
	"strings"
)

// Team campaigns: each item goes to overlap annotators of the team, the
// same ones on every machine, whatever order the team is listed in. The
// rule is rendezvous (highest random weight) hashing: every annotator
// scores every item, and the item goes to the overlap highest scores.
// Adding a fourth annotator to a team of three moves only the items the
// newcomer now wins (about a quarter), leaving everyone else's share as
// it was; a modulo of the team's size would reshuffle nearly all.

// teamScore is annotator's score for an item: the first 8 bytes, big
// endian, of the SHA-256 of the annotator's name, a NUL, the user id, a
// NUL and the prompt id (`printf 'kim\0terse-tom\0h1' | sha256sum`), so a
// script can check an assignment without popi-tui.
func teamScore(annotator, user, promptID string) uint64 {
	h := sha256.New()
	h.Write([]byte(annotator))
	h.Write([]byte{0})
	h.Write([]byte(user))
	h.Write([]byte{0})
	h.Write([]byte(promptID))
	var sum [sha256.Size]byte
	return binary.BigEndian.Uint64(h.Sum(sum[:0]))
}

// assignees is whom of team an item goes to: the overlap annotators with
// the highest scores (equal scores, which SHA-256 all but rules out, by
// name), in name order. Without a team it is nil: everyone labels
// everything.
func assignees(team []string, overlap int, user, promptID string) []string {
	if len(team) == 0 {
		return nil
	}
	type scored struct {
		name  string
		score uint64
	}
	all := make([]scored, len(team))
	for i, name := range team {
		all[i] = scored{name, teamScore(name, user, promptID)}
	}
	slices.SortFunc(all, func(a, b scored) int {
		if c := cmp.Compare(b.score, a.score); c != 0 { // the highest first
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	out := make([]string, 0, overlap)
	for _, s := range all[:max(0, min(overlap, len(all)))] {
		out = append(out, s.name)
	}
	slices.Sort(out)
	return out
}

// inShare reports whether an item is in annotator's share: always without
// a team.
func inShare(team []string, overlap int, annotator string, it queueItem) bool {
	return len(team) == 0 || slices.Contains(assignees(team, overlap, it.User, it.PromptID), annotator)
}
