// Package gen writes popi JSONL files of any size for benchmarks: N users
// whose records are scattered through the file (as in a file concatenated
// from many sources, which is what makes an import's index costly), with
// texts of realistic lengths and a fixed seed, so that the same options
// write the same bytes on every machine.
package gen

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"os"
	"strconv"
)

// Options say what to write.
type Options struct {
	Users int
	// Records is the number of records; 0 means 3 per user, the shape of
	// issue 13's 1,000,000-user file (3,000,000 records, about 2.3 GB).
	Records int
	Seed    int64 // 0 means 1
	// FirstUser is the number of the first user (user-FirstUser): files
	// of disjoint users, for merging databases.
	FirstUser int
}

// words are pre-escaped JSON string fragments: escapes, non-ASCII text and
// code, as real answers have, without paying for escaping each time.
var words = func() []string {
	plain := []string{"the", "a", "answer", "should", "be", "short", "and", "to", "the", "point", "with",
		"list", "of", "steps", "café", "naïve", "résumé", "code", "example", "func", "main()", "{",
		"fmt.Println(\"hi\")", "}", "because", "users", "prefer", "clear", "structure", "😀", "headings",
		"##", "Summary", "-", "item", "one", "two", "\"quoted\"", "text", "tabs\tand", "more", "words",
		"about", "databases", "networks", "cooking", "I", "think", "you", "could", "try", "this", "first.",
		"It", "depends", "on", "what", "want,", "but", "usually", "is", "fine.", "Here's", "how:\n"}
	out := make([]string, len(plain))
	for i, w := range plain {
		b, _ := json.Marshal(w)
		out[i] = string(b[1 : len(b)-1])
	}
	return out
}()

// Write writes opt's file to w.
func Write(w io.Writer, opt Options) error {
	if opt.Users <= 0 {
		return fmt.Errorf("gen: %d users: need at least one", opt.Users)
	}
	opt = opt.withDefaults()
	r := rand.New(rand.NewSource(opt.Seed))
	// Every user gets records/users of them (the first few one more), in
	// an order shuffled over the whole file: a user's records are spread
	// from its start to its end.
	owner := make([]int32, opt.Records)
	for i := range owner {
		owner[i] = int32(i % opt.Users)
	}
	r.Shuffle(len(owner), func(i, j int) { owner[i], owner[j] = owner[j], owner[i] })
	bw := bufio.NewWriterSize(w, 1<<20)
	seen := make([]uint8, opt.Users) // records written per user so far, for ids
	line := make([]byte, 0, 1<<14)
	for i, u := range owner {
		line = appendRecord(line[:0], r, opt.FirstUser+int(u), int(seen[u]), i)
		seen[u]++
		if _, err := bw.Write(line); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// appendRecord appends one record of user u, its n-th; record i of the
// file. Nine in ten are pairs (one in five of them held out), the rest
// texts. Lengths in words: prompt 10–40, chosen 20–80, rejected 20–100,
// text 10–60: about 800 bytes a record on average.
func appendRecord(b []byte, r *rand.Rand, u, n, i int) []byte {
	b = append(b, `{"user":"user-`...)
	b = strconv.AppendInt(b, int64(u), 10)
	b = append(b, `","id":"r`...)
	b = strconv.AppendInt(b, int64(n), 10)
	if i%10 == 9 {
		b = append(b, `","kind":"text","source":"comment","text":"`...)
		b = appendWords(b, r, 10+r.Intn(51))
		return append(b, "\"}\n"...)
	}
	b = append(b, `","kind":"pair",`...)
	if i%5 == 4 {
		b = append(b, `"split":"heldout",`...)
	}
	b = append(b, `"prompt":"`...)
	b = appendWords(b, r, 10+r.Intn(31))
	b = append(b, `","chosen":"`...)
	b = appendWords(b, r, 20+r.Intn(61))
	b = append(b, `","rejected":"`...)
	b = appendWords(b, r, 20+r.Intn(81))
	return append(b, "\"}\n"...)
}

func appendWords(b []byte, r *rand.Rand, n int) []byte {
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, words[r.Intn(len(words))]...)
	}
	return b
}

// WriteFile writes opt's file at path, unless a file of that name is
// there already (the name should say the options: FileName).
func WriteFile(path string, opt Options) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	tmp := path + ".part"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if err := Write(f, opt); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func (opt Options) withDefaults() Options {
	if opt.Records == 0 {
		opt.Records = 3 * opt.Users
	}
	if opt.Seed == 0 {
		opt.Seed = 1
	}
	return opt
}

// FileName names the file of opt, for caching it between runs.
func FileName(opt Options) string {
	opt = opt.withDefaults()
	if opt.FirstUser != 0 {
		return fmt.Sprintf("popi-gen-u%d-r%d-s%d-f%d.jsonl", opt.Users, opt.Records, opt.Seed, opt.FirstUser)
	}
	return fmt.Sprintf("popi-gen-u%d-r%d-s%d.jsonl", opt.Users, opt.Records, opt.Seed)
}
