package tinygguf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// ---- a small, strict GGUF v3 reader, independent of the writer ----

type tensorInfo struct {
	name   string
	dims   []uint64
	typ    uint32
	offset uint64
}

type file struct {
	version uint32
	kv      map[string]any
	keys    []string // in file order
	tensors []tensorInfo
	dataOff int64
	raw     []byte
}

type reader struct {
	b   []byte
	off int64
}

var errShort = errors.New("unexpected end of file")

func (r *reader) next(n uint64) ([]byte, error) {
	if n > uint64(len(r.b))-uint64(r.off) {
		return nil, fmt.Errorf("at offset %d: %w", r.off, errShort)
	}
	b := r.b[r.off : r.off+int64(n)]
	r.off += int64(n)
	return b, nil
}

func (r *reader) u32() (uint32, error) {
	b, err := r.next(4)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

func (r *reader) u64() (uint64, error) {
	b, err := r.next(8)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

func (r *reader) str() (string, error) {
	n, err := r.u64()
	if err != nil {
		return "", err
	}
	b, err := r.next(n)
	if err != nil {
		return "", err
	}
	if !utf8.Valid(b) {
		return "", fmt.Errorf("at offset %d: string is not UTF-8", r.off)
	}
	return string(b), nil
}

func (r *reader) scalar(typ uint32) (any, error) {
	switch typ {
	case typeUint32:
		return r.u32()
	case typeInt32:
		v, err := r.u32()
		return int32(v), err
	case typeFloat32:
		v, err := r.u32()
		return math.Float32frombits(v), err
	case typeBool:
		b, err := r.next(1)
		if err != nil {
			return nil, err
		}
		if b[0] > 1 {
			return nil, fmt.Errorf("bool value %d", b[0])
		}
		return b[0] == 1, nil
	case typeString:
		return r.str()
	}
	return nil, fmt.Errorf("at offset %d: value type %d not used by tinygguf", r.off, typ)
}

func (r *reader) value() (any, error) {
	typ, err := r.u32()
	if err != nil {
		return nil, err
	}
	if typ != typeArray {
		return r.scalar(typ)
	}
	et, err := r.u32()
	if err != nil {
		return nil, err
	}
	n, err := r.u64()
	if err != nil {
		return nil, err
	}
	if n > uint64(len(r.b)) {
		return nil, fmt.Errorf("array of %d elements in a %d-byte file", n, len(r.b))
	}
	var out any
	switch et {
	case typeString:
		a := make([]string, n)
		for i := range a {
			if a[i], err = r.str(); err != nil {
				return nil, err
			}
		}
		out = a
	case typeFloat32:
		a := make([]float32, n)
		for i := range a {
			v, err := r.u32()
			if err != nil {
				return nil, err
			}
			a[i] = math.Float32frombits(v)
		}
		out = a
	case typeInt32:
		a := make([]int32, n)
		for i := range a {
			v, err := r.u32()
			if err != nil {
				return nil, err
			}
			a[i] = int32(v)
		}
		out = a
	default:
		return nil, fmt.Errorf("array element type %d not used by tinygguf", et)
	}
	return out, nil
}

func parse(b []byte) (*file, error) {
	r := &reader{b: b}
	magic, err := r.next(4)
	if err != nil {
		return nil, err
	}
	if string(magic) != "GGUF" {
		return nil, fmt.Errorf("magic %q", magic)
	}
	f := &file{kv: map[string]any{}, raw: b}
	if f.version, err = r.u32(); err != nil {
		return nil, err
	}
	if f.version != 3 {
		return nil, fmt.Errorf("version %d", f.version)
	}
	nt, err := r.u64()
	if err != nil {
		return nil, err
	}
	nkv, err := r.u64()
	if err != nil {
		return nil, err
	}
	if nt > 1<<16 || nkv > 1<<16 {
		return nil, fmt.Errorf("implausible counts: %d tensors, %d keys", nt, nkv)
	}
	for i := uint64(0); i < nkv; i++ {
		k, err := r.str()
		if err != nil {
			return nil, err
		}
		if _, dup := f.kv[k]; dup {
			return nil, fmt.Errorf("duplicate key %q", k)
		}
		v, err := r.value()
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", k, err)
		}
		f.kv[k] = v
		f.keys = append(f.keys, k)
	}
	for i := uint64(0); i < nt; i++ {
		var t tensorInfo
		if t.name, err = r.str(); err != nil {
			return nil, err
		}
		nd, err := r.u32()
		if err != nil {
			return nil, err
		}
		if nd == 0 || nd > 4 {
			return nil, fmt.Errorf("tensor %q: %d dimensions", t.name, nd)
		}
		for j := uint32(0); j < nd; j++ {
			d, err := r.u64()
			if err != nil {
				return nil, err
			}
			t.dims = append(t.dims, d)
		}
		if t.typ, err = r.u32(); err != nil {
			return nil, err
		}
		if t.offset, err = r.u64(); err != nil {
			return nil, err
		}
		f.tensors = append(f.tensors, t)
	}
	align := int64(32)
	if a, ok := f.kv["general.alignment"].(uint32); ok {
		align = int64(a)
	}
	f.dataOff = (r.off + align - 1) / align * align
	for _, t := range f.tensors {
		if t.typ != ggmlTypeF32 {
			return nil, fmt.Errorf("tensor %q: type %d, want F32", t.name, t.typ)
		}
		if int64(t.offset)%align != 0 {
			return nil, fmt.Errorf("tensor %q: offset %d not aligned to %d", t.name, t.offset, align)
		}
		if end := f.dataOff + int64(t.offset) + int64(elements(t.dims))*4; end > int64(len(b)) {
			return nil, fmt.Errorf("tensor %q ends at %d past the file's %d bytes", t.name, end, len(b))
		}
	}
	return f, nil
}

func elements(dims []uint64) uint64 {
	n := uint64(1)
	for _, d := range dims {
		n *= d
	}
	return n
}

func (f *file) data(t *testing.T, name string) []float32 {
	t.Helper()
	for _, ti := range f.tensors {
		if ti.name == name {
			n := elements(ti.dims)
			out := make([]float32, n)
			base := f.dataOff + int64(ti.offset)
			for i := range out {
				out[i] = math.Float32frombits(binary.LittleEndian.Uint32(f.raw[base+int64(i)*4:]))
			}
			return out
		}
	}
	t.Fatalf("no tensor %q", name)
	return nil
}

func write(t *testing.T, opt Options) *file {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, opt); err != nil {
		t.Fatalf("Write(%+v): %v", opt, err)
	}
	f, err := parse(buf.Bytes())
	if err != nil {
		t.Fatalf("parse back Write(%+v): %v", opt, err)
	}
	return f
}

// ---- tests ----

func TestHeader(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, Options{}); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	for _, tc := range []struct {
		name string
		got  any
		want any
	}{
		{"magic", string(b[0:4]), "GGUF"},
		{"version", binary.LittleEndian.Uint32(b[4:8]), uint32(3)},
		{"tensor count", binary.LittleEndian.Uint64(b[8:16]), uint64(12)},
		{"metadata count", binary.LittleEndian.Uint64(b[16:24]), uint64(24)},
		{"size is a multiple of the alignment", len(b) % Alignment, 0},
	} {
		if !reflect.DeepEqual(tc.got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}

func TestMetadata(t *testing.T) {
	tokens, _, _ := Vocab()
	for _, variant := range []struct {
		opt      Options
		name     string
		ctx      uint32
		lastNext string
	}{
		{Options{}, "popi-tiny", DefaultContextLength, "</s>"},
		{Options{Loop: true}, "popi-tiny-loop", DefaultContextLength, "\u2581The"},
		{Options{Name: "x", ContextLength: 2048}, "x", 2048, "</s>"},
	} {
		f := write(t, variant.opt)
		want := []struct {
			key  string
			want any
		}{
			{"general.architecture", "llama"},
			{"general.name", variant.name},
			{"general.alignment", uint32(32)},
			{"general.file_type", uint32(0)},
			{"llama.vocab_size", uint32(len(tokens))},
			{"llama.context_length", variant.ctx},
			{"llama.embedding_length", uint32(32)},
			{"llama.block_count", uint32(1)},
			{"llama.feed_forward_length", uint32(64)},
			{"llama.attention.head_count", uint32(2)},
			{"llama.attention.head_count_kv", uint32(2)},
			{"llama.attention.layer_norm_rms_epsilon", float32(1e-5)},
			{"llama.rope.dimension_count", uint32(16)},
			{"llama.rope.freq_base", float32(10000)},
			{"tokenizer.ggml.model", "llama"},
			{"tokenizer.ggml.bos_token_id", uint32(1)},
			{"tokenizer.ggml.eos_token_id", uint32(2)},
			{"tokenizer.ggml.unknown_token_id", uint32(0)},
			{"tokenizer.ggml.add_bos_token", true},
			{"tokenizer.ggml.add_eos_token", false},
			{"tokenizer.chat_template", ChatTemplate},
		}
		for _, w := range want {
			got, ok := f.kv[w.key]
			if !ok {
				t.Errorf("%s: key %q missing", variant.name, w.key)
				continue
			}
			if !reflect.DeepEqual(got, w.want) {
				t.Errorf("%s: %s = %#v, want %#v", variant.name, w.key, got, w.want)
			}
		}
		if len(f.keys) != len(want)+3 { // + tokens, scores, token_type
			t.Errorf("%s: %d keys %v, want %d", variant.name, len(f.keys), f.keys, len(want)+3)
		}
		if f.keys[0] != "general.architecture" {
			t.Errorf("%s: first key %q, want general.architecture", variant.name, f.keys[0])
		}
		next := Next(variant.opt)
		last := firstWord + len(words) - 2 // "▁dog."
		if got := tokens[next[last]]; got != variant.lastNext {
			t.Errorf("%s: after %q comes %q, want %q", variant.name, tokens[last], got, variant.lastNext)
		}
	}
}

func TestVocabulary(t *testing.T) {
	f := write(t, Options{})
	toks, ok1 := f.kv["tokenizer.ggml.tokens"].([]string)
	scores, ok2 := f.kv["tokenizer.ggml.scores"].([]float32)
	types, ok3 := f.kv["tokenizer.ggml.token_type"].([]int32)
	if !ok1 || !ok2 || !ok3 {
		t.Fatalf("tokenizer arrays have types %T %T %T", f.kv["tokenizer.ggml.tokens"], f.kv["tokenizer.ggml.scores"], f.kv["tokenizer.ggml.token_type"])
	}
	if len(toks) != len(scores) || len(toks) != len(types) {
		t.Fatalf("tokens %d, scores %d, types %d", len(toks), len(scores), len(types))
	}
	for _, tc := range []struct {
		id   int
		text string
		typ  int32
	}{
		{0, "<unk>", typeUnknown},
		{1, "<s>", typeControl},
		{2, "</s>", typeControl},
		{3, "<0x00>", typeByte},
		{3 + 0x0A, "<0x0A>", typeByte},
		{3 + 0x41, "<0x41>", typeByte},
		{3 + 0xFF, "<0xFF>", typeByte},
		{259, "The", typeNormal},
		{260, "\u2581quick", typeNormal},
		{267, "\u2581dog.", typeNormal},
		{268, "\u2581The", typeNormal},
	} {
		if tc.id >= len(toks) {
			t.Errorf("token %d missing (vocabulary of %d)", tc.id, len(toks))
			continue
		}
		if toks[tc.id] != tc.text || types[tc.id] != tc.typ {
			t.Errorf("token %d = %q type %d, want %q type %d", tc.id, toks[tc.id], types[tc.id], tc.text, tc.typ)
		}
	}
	byteTokens := 0
	seen := map[string]bool{}
	for i, s := range toks {
		if seen[s] {
			t.Errorf("token %q appears twice", s)
		}
		seen[s] = true
		if types[i] == typeByte {
			byteTokens++
			continue
		}
		// A SentencePiece tokenizer starts from single characters and merges
		// pairs only into tokens of the vocabulary: with no normal token of
		// one or two characters, prompt text can only become byte tokens,
		// never a word of the sentence.
		if types[i] == typeNormal && utf8.RuneCountInString(s) <= 2 {
			t.Errorf("token %q is short enough for a tokenizer to produce from text", s)
		}
	}
	if byteTokens != 256 {
		t.Errorf("%d byte tokens, want 256", byteTokens)
	}
}

func TestTensorInfos(t *testing.T) {
	tokens, _, _ := Vocab()
	v := uint64(len(tokens))
	f := write(t, Options{})
	want := []struct {
		name string
		dims []uint64
	}{
		{"token_embd.weight", []uint64{32, v}},
		{"output_norm.weight", []uint64{32}},
		{"output.weight", []uint64{32, v}},
		{"blk.0.attn_norm.weight", []uint64{32}},
		{"blk.0.attn_q.weight", []uint64{32, 32}},
		{"blk.0.attn_k.weight", []uint64{32, 32}},
		{"blk.0.attn_v.weight", []uint64{32, 32}},
		{"blk.0.attn_output.weight", []uint64{32, 32}},
		{"blk.0.ffn_norm.weight", []uint64{32}},
		{"blk.0.ffn_gate.weight", []uint64{32, 64}},
		{"blk.0.ffn_up.weight", []uint64{32, 64}},
		{"blk.0.ffn_down.weight", []uint64{64, 32}},
	}
	if len(f.tensors) != len(want) {
		t.Fatalf("%d tensors, want %d", len(f.tensors), len(want))
	}
	var end uint64
	for i, w := range want {
		got := f.tensors[i]
		if got.name != w.name || !reflect.DeepEqual(got.dims, w.dims) || got.typ != ggmlTypeF32 {
			t.Errorf("tensor %d = %s %v type %d, want %s %v F32", i, got.name, got.dims, got.typ, w.name, w.dims)
		}
		if got.offset < end {
			t.Errorf("tensor %s at %d overlaps the previous one ending at %d", got.name, got.offset, end)
		}
		end = got.offset + elements(got.dims)*4
	}
	for _, name := range []string{"blk.0.attn_q.weight", "blk.0.attn_k.weight", "blk.0.attn_v.weight", "blk.0.attn_output.weight", "blk.0.ffn_gate.weight", "blk.0.ffn_up.weight", "blk.0.ffn_down.weight"} {
		for i, x := range f.data(t, name) {
			if x != 0 {
				t.Errorf("%s[%d] = %v, want 0", name, i, x)
				break
			}
		}
	}
}

// forward runs the model's arithmetic on the parsed file for one token: with
// zero attention and feed-forward weights the hidden state is the embedding,
// then RMS norm and the output matrix. It returns the argmax and the margin
// between the best and the second-best logit.
func forward(t *testing.T, f *file, token int) (int, float64) {
	t.Helper()
	const n = EmbeddingLength
	embd := f.data(t, "token_embd.weight")
	norm := f.data(t, "output_norm.weight")
	out := f.data(t, "output.weight")
	eps := float64(f.kv["llama.attention.layer_norm_rms_epsilon"].(float32))
	h := embd[token*n : (token+1)*n]
	var ss float64
	for _, x := range h {
		ss += float64(x) * float64(x)
	}
	inv := 1 / math.Sqrt(ss/n+eps)
	best, second := math.Inf(-1), math.Inf(-1)
	arg := -1
	for v := 0; v < len(out)/n; v++ {
		var logit float64
		for i := 0; i < n; i++ {
			logit += float64(h[i]) * inv * float64(norm[i]) * float64(out[v*n+i])
		}
		if logit > best {
			best, second, arg = logit, best, v
		} else if logit > second {
			second = logit
		}
	}
	return arg, best - second
}

func detok(tokens []string, ids []int) string {
	var b strings.Builder
	for _, id := range ids {
		b.WriteString(strings.ReplaceAll(tokens[id], "\u2581", " "))
	}
	return b.String()
}

func TestGeneration(t *testing.T) {
	tokens, _, _ := Vocab()
	for _, tc := range []struct {
		name   string
		opt    Options
		max    int
		want   string
		endEOS bool
	}{
		{"sentence", Options{}, 100, Sentence, true},
		{"loop", Options{Loop: true}, 2*SentenceTokens + 3, Sentence + " " + Sentence + " The quick brown", false},
	} {
		f := write(t, tc.opt)
		// Whatever the prompt ends with (a byte, <s>, </s>, <unk>), the answer is the same.
		for _, last := range []int{TokenUnk, TokenBOS, TokenEOS, 3, 3 + '\n', 3 + ':', 3 + 0xFF} {
			var ids []int
			tok, eos := last, false
			for len(ids) < tc.max {
				next, margin := forward(t, f, tok)
				if margin < 50 {
					t.Fatalf("%s: after token %d the best logit leads by only %.1f", tc.name, tok, margin)
				}
				if next == TokenEOS {
					eos = true
					break
				}
				ids = append(ids, next)
				tok = next
			}
			if got := detok(tokens, ids); got != tc.want || eos != tc.endEOS {
				t.Errorf("%s after token %d: %q (eos %v), want %q (eos %v)", tc.name, last, got, eos, tc.want, tc.endEOS)
			}
		}
	}
}

func TestParseRejectsDamage(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, Options{}); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	for _, tc := range []struct {
		name   string
		mangle func([]byte) []byte
	}{
		{"bad magic", func(b []byte) []byte { b[0] = 'X'; return b }},
		{"version 2", func(b []byte) []byte { b[4] = 2; return b }},
		{"truncated metadata", func(b []byte) []byte { return b[:200] }},
		{"truncated data", func(b []byte) []byte { return b[:len(b)-4096] }},
		{"huge tensor count", func(b []byte) []byte { b[15] = 0x7f; return b }},
	} {
		b := tc.mangle(bytes.Clone(good))
		if _, err := parse(b); err == nil {
			t.Errorf("%s: parse accepted a damaged file", tc.name)
		}
	}
}

type failWriter struct{ after int }

func (w *failWriter) Write(p []byte) (int, error) {
	if len(p) > w.after {
		n := w.after
		w.after = 0
		return n, io.ErrShortWrite
	}
	w.after -= len(p)
	return len(p), nil
}

func TestWriteReportsErrors(t *testing.T) {
	if err := Write(&failWriter{after: 1000}, Options{}); err == nil {
		t.Error("Write to a failing writer returned nil")
	}
	if err := Write(nil, Options{}); err == nil {
		t.Error("Write(nil) returned nil")
	}
}

func TestDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	if err := Write(&a, Options{Loop: true}); err != nil {
		t.Fatal(err)
	}
	if err := Write(&b, Options{Loop: true}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two writes differ")
	}
}
