package compare

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"testing"
)

// teamItems is n items of 50 users with several prompts each.
func teamItems(n int) []queueItem {
	out := make([]queueItem, n)
	for i := range out {
		out[i] = queueItem{User: fmt.Sprintf("user-%03d", i%50), PromptID: fmt.Sprintf("ho%d", i/50)}
	}
	return out
}

func TestTeamAssignment(t *testing.T) {
	items := teamItems(600)
	tests := []struct {
		name    string
		team    []string
		overlap int
	}{
		{"three, overlap 2", []string{"kim", "lee", "max"}, 2},
		{"three, overlap 1", []string{"kim", "lee", "max"}, 1},
		{"three, overlap 3", []string{"kim", "lee", "max"}, 3},
		{"five, overlap 2", []string{"ann", "bo", "cy", "dee", "eli"}, 2},
		{"one", []string{"solo"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			share := map[string]int{}
			reordered := slices.Clone(tt.team)
			slices.Reverse(reordered)
			for _, it := range items {
				got := assignees(tt.team, tt.overlap, it.User, it.PromptID)
				if len(got) != tt.overlap || len(slices.Compact(slices.Clone(got))) != tt.overlap {
					t.Fatalf("%s goes to %v, want %d annotators", it.key(), got, tt.overlap)
				}
				if again := assignees(reordered, tt.overlap, it.User, it.PromptID); !slices.Equal(got, again) {
					t.Fatalf("%s: %v, and %v with the team reordered", it.key(), got, again)
				}
				for _, name := range got {
					share[name]++
					if !inShare(tt.team, tt.overlap, name, it) {
						t.Fatalf("%s is %s's but not in their share", it.key(), name)
					}
				}
			}
			// Balanced within reason: each share within 15% of the even
			// split (600 items hashed: a few standard deviations).
			even := float64(len(items)*tt.overlap) / float64(len(tt.team))
			for _, name := range tt.team {
				if n := float64(share[name]); n < 0.85*even || n > 1.15*even {
					t.Errorf("%s has %v items, the even share is %.0f: %v", name, n, even, share)
				}
			}
		})
	}
}

// A newcomer takes over a part of the items and nobody else's share
// changes otherwise: the rendezvous property, which a modulo lacks.
func TestTeamAssignmentNewcomer(t *testing.T) {
	items := teamItems(600)
	three, four := []string{"kim", "lee", "max"}, []string{"kim", "lee", "max", "noa"}
	moved := 0
	for _, it := range items {
		before := assignees(three, 2, it.User, it.PromptID)
		after := assignees(four, 2, it.User, it.PromptID)
		if slices.Equal(before, after) {
			continue
		}
		moved++
		// Whoever lost the item lost it to the newcomer.
		if !slices.Contains(after, "noa") {
			t.Fatalf("%s: %v became %v without the newcomer", it.key(), before, after)
		}
	}
	if moved < 200 || moved > 400 { // the newcomer's half of the items, about 300
		t.Errorf("%d of %d items changed hands", moved, len(items))
	}
	if assignees(nil, 2, "u", "p") != nil || !inShare(nil, 0, "anyone", queueItem{User: "u", PromptID: "p"}) {
		t.Errorf("without a team everyone labels everything")
	}
}

// The score is the README's: SHA-256 of name NUL user NUL prompt.
func TestTeamScoreIsDocumented(t *testing.T) {
	sum := sha256.Sum256([]byte("kim\x00terse-tom\x00ho1"))
	if got, want := teamScore("kim", "terse-tom", "ho1"), binary.BigEndian.Uint64(sum[:8]); got != want {
		t.Errorf("teamScore = %x, want %x", got, want)
	}
}
