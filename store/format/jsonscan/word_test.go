package jsonscan

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// The eight-bytes-at-a-time test agrees with testing byte by byte.
func TestWordAtATimeTests(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	interesting := []byte{0, 0x1f, 0x20, '"', '\\', 'a', 0x7e, 0x7f, 0x80, 0xc2, 0xff}
	for range 200_000 {
		var b [8]byte
		for i := range b {
			if rng.IntN(3) == 0 {
				b[i] = interesting[rng.IntN(len(interesting))]
			} else {
				b[i] = byte(rng.IntN(256))
			}
		}
		w := binary.LittleEndian.Uint64(b[:])
		special := false
		for _, c := range b {
			special = special || c == '"' || c == '\\' || c < 0x20
		}
		if stringSpecial(w) != special {
			t.Fatalf("%x: stringSpecial %v (want %v)", b, stringSpecial(w), special)
		}
	}
}
