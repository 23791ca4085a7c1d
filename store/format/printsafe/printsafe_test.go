package printsafe

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

// The escaping writer gives the same result however the text is cut into
// writes, a character split between two included.
func TestPrintSafeWriterSplitWrites(t *testing.T) {
	in := []byte(`{"s":"x` + "\u009b\u202e\x7f\u2029é🐙" + `y"}` + "\n")
	want := string(appendPrintSafe(nil, in))
	if strings.ContainsRune(want, 0x9b) || !strings.Contains(want, `\u009b\u202e\u007f\u2029é🐙`) {
		t.Fatalf("escaped %q", want)
	}
	for cut := 0; cut <= len(in); cut++ {
		for cut2 := cut; cut2 <= len(in); cut2++ {
			var out bytes.Buffer
			w := NewWriter(&out)
			for _, part := range [][]byte{in[:cut], in[cut:cut2], in[cut2:]} {
				if n, err := w.Write(part); err != nil || n != len(part) {
					t.Fatalf("Write: %d, %v", n, err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if out.String() != want {
				t.Fatalf("cut at %d and %d: %q, want %q", cut, cut2, out.String(), want)
			}
		}
	}
}

// hasByteAbove7E and plainASCII agree with testing byte by byte, for
// every pair of byte values at every pair of places in a word of plain
// text (the carries between neighbouring bytes are where such tricks fail).
func TestWordAtATime(t *testing.T) {
	for i := range 8 {
		for j := i + 1; j < 8; j++ {
			for x := range 256 {
				for y := range 256 {
					b := []byte("plaintxt")
					b[i], b[j] = byte(x), byte(y)
					above := x >= 0x7f || y >= 0x7f
					if hasByteAbove7E(binary.LittleEndian.Uint64(b)) != above || plainASCII(b) == above {
						t.Fatalf("%x: hasByteAbove7E %v, plainASCII %v; want above %v", b, hasByteAbove7E(binary.LittleEndian.Uint64(b)), plainASCII(b), above)
					}
				}
			}
		}
	}
}
