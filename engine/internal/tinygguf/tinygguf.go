// Package tinygguf writes a tiny, deterministic GGUF v3 language model for
// integration tests against a real OpenAI-compatible server (Ollama, or
// llama.cpp's llama-server) on a machine that cannot download a model.
//
// The model is a one-layer llama with F32 tensors whose attention and
// feed-forward weights are all zero, so the residual stream is just the
// token embedding. Embeddings are one-hot over a handful of "states" and the
// output matrix maps each state to exactly one next token with a logit of
// about 100 (every other logit is 0), so sampling at any usual temperature,
// top-k or top-p is as good as greedy: the last token alone picks the next.
//
// The vocabulary is SentencePiece style (tokenizer.ggml.model = llama):
// <unk>, <s>, </s>, the 256 byte tokens <0x00>…<0xFF> (token type 6) and the
// word tokens of [Sentence] ("The", "▁quick", …, "▁dog." and "▁The"). No
// token has one or two characters of text, so a SentencePiece tokenizer can
// never merge prompt text into a word token: every prompt becomes byte tokens
// (plus <s> and any special token the server parses). Every token that is not
// a word of the sentence leads to the sentence's first word, so for ANY
// prompt and any chat template the model answers [Sentence] and then </s>
// (finish reason "stop"), or, with [Options.Loop], repeats the sentence
// forever, separated by spaces, until max_tokens (finish reason "length").
//
// Token counts follow from that vocabulary: a prompt costs one token per
// UTF-8 byte, plus two more per space (a SentencePiece tokenizer turns each
// space into "▁", three bytes), plus <s>; the answer costs SentencePiece
// tokens (9 for the sentence; servers such as Ollama also count the </s>).
package tinygguf

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// Sentence is what the model answers to any prompt, then end of sequence.
const Sentence = "The quick brown fox jumps over the lazy dog."

// SentenceTokens is the number of tokens in [Sentence]; the loop variant
// emits this many per repetition (the repetitions after the first start with
// a space: " The quick …").
const SentenceTokens = 9

// Token ids of the special tokens.
const (
	TokenUnk = 0
	TokenBOS = 1
	TokenEOS = 2
)

// Dimensions of the model.
const (
	EmbeddingLength      = 32
	FeedForwardLength    = 64
	HeadCount            = 2
	HeadCountKV          = 2
	BlockCount           = 1
	RopeDimensionCount   = EmbeddingLength / HeadCount
	DefaultContextLength = 4096
	Alignment            = 32
	RMSEpsilon           = float32(1e-5)
	RopeFreqBase         = float32(10000)
	// TargetLogit is (about) the logit of the chosen next token; all others are 0.
	TargetLogit = 100
)

// ChatTemplate is a Jinja chat template stored as tokenizer.chat_template,
// for servers that read it from the file (llama.cpp's llama-server --jinja).
// Ollama uses the Modelfile's TEMPLATE instead.
const ChatTemplate = "{% for message in messages %}<|{{ message['role'] }}|>\n{{ message['content'] }}\n{% endfor %}{% if add_generation_prompt %}<|assistant|>\n{% endif %}"

// Options selects the variant of the model.
type Options struct {
	// Loop makes the model repeat the sentence instead of ending with </s>.
	Loop bool
	// Name is general.name; empty means "popi-tiny" or "popi-tiny-loop".
	Name string
	// ContextLength is llama.context_length; 0 means DefaultContextLength.
	ContextLength uint32
}

// words are the word tokens, in the order the model says them; the last one
// ("▁The") starts every repetition after the first in the loop variant.
var words = []string{"The", "\u2581quick", "\u2581brown", "\u2581fox", "\u2581jumps", "\u2581over", "\u2581the", "\u2581lazy", "\u2581dog.", "\u2581The"}

const firstWord = 3 + 256 // id of "The": after <unk>, <s>, </s> and the byte tokens

// Token types (llama.cpp's llama_token_type).
const (
	typeNormal  = 1
	typeUnknown = 2
	typeControl = 3
	typeByte    = 6
)

// Vocab returns the token texts, scores and types, indexed by token id.
func Vocab() (tokens []string, scores []float32, types []int32) {
	tokens = []string{"<unk>", "<s>", "</s>"}
	types = []int32{typeUnknown, typeControl, typeControl}
	for b := 0; b < 256; b++ {
		tokens = append(tokens, fmt.Sprintf("<0x%02X>", b))
		types = append(types, typeByte)
	}
	for _, w := range words {
		tokens = append(tokens, w)
		types = append(types, typeNormal)
	}
	scores = make([]float32, len(tokens))
	for i := firstWord; i < len(tokens); i++ {
		scores[i] = -float32(i - firstWord + 1)
	}
	return tokens, scores, types
}

// state is the one-hot index of a token's embedding: 0 for every token that
// is not a word of the sentence, 1+i for words[i].
func state(token int) int {
	if token >= firstWord && token < firstWord+len(words) {
		return 1 + token - firstWord
	}
	return 0
}

// Next returns, for every token id, the token the model generates after it.
func Next(opt Options) []int {
	tokens, _, _ := Vocab()
	next := make([]int, len(tokens))
	for t := range next {
		s := state(t)
		switch {
		case s == 0: // anything else: start the sentence
			next[t] = firstWord
		case s == len(words): // "▁The" (loop variant's restart) continues like "The"
			next[t] = firstWord + 1
		case s == len(words)-1: // "▁dog.": end, or start again
			if opt.Loop {
				next[t] = firstWord + len(words) - 1
			} else {
				next[t] = TokenEOS
			}
		default:
			next[t] = t + 1
		}
	}
	return next
}

type tensor struct {
	name string
	dims []uint64 // ggml order: dims[0] varies fastest
	data []float32
}

func tensors(opt Options) []tensor {
	tokens, _, _ := Vocab()
	nVocab := len(tokens)
	const n, ff = EmbeddingLength, FeedForwardLength
	filled := func(count int, v float32) []float32 {
		d := make([]float32, count)
		for i := range d {
			d[i] = v
		}
		return d
	}
	embd := make([]float32, nVocab*n)
	for t := 0; t < nVocab; t++ {
		embd[t*n+state(t)] = 1
	}
	// After RMS norm a one-hot vector becomes sqrt(n)/sqrt(1+n*eps) at its
	// index; scale the output so that the chosen logit is TargetLogit.
	scale := float32(TargetLogit * math.Sqrt(1/float64(n)+float64(RMSEpsilon)))
	out := make([]float32, nVocab*n)
	next := Next(opt)
	seen := map[int]bool{}
	for t := 0; t < nVocab; t++ {
		s := state(t)
		if seen[s] {
			continue
		}
		seen[s] = true
		out[next[t]*n+s] = scale
	}
	return []tensor{
		{"token_embd.weight", []uint64{n, uint64(nVocab)}, embd},
		{"output_norm.weight", []uint64{n}, filled(n, 1)},
		{"output.weight", []uint64{n, uint64(nVocab)}, out},
		{"blk.0.attn_norm.weight", []uint64{n}, filled(n, 1)},
		{"blk.0.attn_q.weight", []uint64{n, n}, filled(n*n, 0)},
		{"blk.0.attn_k.weight", []uint64{n, n / HeadCount * HeadCountKV}, filled(n*n/HeadCount*HeadCountKV, 0)},
		{"blk.0.attn_v.weight", []uint64{n, n / HeadCount * HeadCountKV}, filled(n*n/HeadCount*HeadCountKV, 0)},
		{"blk.0.attn_output.weight", []uint64{n, n}, filled(n*n, 0)},
		{"blk.0.ffn_norm.weight", []uint64{n}, filled(n, 1)},
		{"blk.0.ffn_gate.weight", []uint64{n, ff}, filled(n*ff, 0)},
		{"blk.0.ffn_up.weight", []uint64{n, ff}, filled(n*ff, 0)},
		{"blk.0.ffn_down.weight", []uint64{ff, n}, filled(ff*n, 0)},
	}
}

// GGUF metadata value types.
const (
	typeUint32  = 4
	typeInt32   = 5
	typeFloat32 = 6
	typeBool    = 7
	typeString  = 8
	typeArray   = 9
)

// ggmlTypeF32 is ggml_type GGML_TYPE_F32.
const ggmlTypeF32 = 0

type kv struct {
	key   string
	value any // uint32, float32, bool, string, []string, []float32, []int32
}

func metadata(opt Options) []kv {
	name := opt.Name
	if name == "" {
		name = "popi-tiny"
		if opt.Loop {
			name = "popi-tiny-loop"
		}
	}
	ctx := opt.ContextLength
	if ctx == 0 {
		ctx = DefaultContextLength
	}
	tokens, scores, types := Vocab()
	return []kv{
		{"general.architecture", "llama"},
		{"general.name", name},
		{"general.alignment", uint32(Alignment)},
		{"general.file_type", uint32(0)}, // all F32
		{"llama.vocab_size", uint32(len(tokens))},
		{"llama.context_length", ctx},
		{"llama.embedding_length", uint32(EmbeddingLength)},
		{"llama.block_count", uint32(BlockCount)},
		{"llama.feed_forward_length", uint32(FeedForwardLength)},
		{"llama.attention.head_count", uint32(HeadCount)},
		{"llama.attention.head_count_kv", uint32(HeadCountKV)},
		{"llama.attention.layer_norm_rms_epsilon", RMSEpsilon},
		{"llama.rope.dimension_count", uint32(RopeDimensionCount)},
		{"llama.rope.freq_base", RopeFreqBase},
		{"tokenizer.ggml.model", "llama"},
		{"tokenizer.ggml.tokens", tokens},
		{"tokenizer.ggml.scores", scores},
		{"tokenizer.ggml.token_type", types},
		{"tokenizer.ggml.bos_token_id", uint32(TokenBOS)},
		{"tokenizer.ggml.eos_token_id", uint32(TokenEOS)},
		{"tokenizer.ggml.unknown_token_id", uint32(TokenUnk)},
		{"tokenizer.ggml.add_bos_token", true},
		{"tokenizer.ggml.add_eos_token", false},
		{"tokenizer.chat_template", ChatTemplate},
	}
}

// writer tracks the offset and the first error.
type writer struct {
	w   *bufio.Writer
	off int64
	err error
}

func (w *writer) bytes(b []byte) {
	if w.err != nil {
		return
	}
	n, err := w.w.Write(b)
	w.off += int64(n)
	w.err = err
}

func (w *writer) u32(v uint32) {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], v)
	w.bytes(b[:])
}

func (w *writer) u64(v uint64) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], v)
	w.bytes(b[:])
}

func (w *writer) str(s string) {
	w.u64(uint64(len(s)))
	w.bytes([]byte(s))
}

func (w *writer) f32(v float32) { w.u32(math.Float32bits(v)) }

func (w *writer) pad() {
	if r := w.off % Alignment; r != 0 {
		w.bytes(make([]byte, Alignment-r))
	}
}

func (w *writer) value(v any) {
	switch v := v.(type) {
	case uint32:
		w.u32(typeUint32)
		w.u32(v)
	case float32:
		w.u32(typeFloat32)
		w.f32(v)
	case bool:
		w.u32(typeBool)
		if v {
			w.bytes([]byte{1})
		} else {
			w.bytes([]byte{0})
		}
	case string:
		w.u32(typeString)
		w.str(v)
	case []string:
		w.u32(typeArray)
		w.u32(typeString)
		w.u64(uint64(len(v)))
		for _, s := range v {
			w.str(s)
		}
	case []float32:
		w.u32(typeArray)
		w.u32(typeFloat32)
		w.u64(uint64(len(v)))
		for _, f := range v {
			w.f32(f)
		}
	case []int32:
		w.u32(typeArray)
		w.u32(typeInt32)
		w.u64(uint64(len(v)))
		for _, i := range v {
			w.u32(uint32(i))
		}
	default:
		if w.err == nil {
			w.err = fmt.Errorf("tinygguf: unsupported metadata type %T", v)
		}
	}
}

// Write writes the model as a GGUF v3 file to w.
func Write(w io.Writer, opt Options) error {
	if w == nil {
		return errors.New("tinygguf: nil writer")
	}
	out := &writer{w: bufio.NewWriter(w)}
	md := metadata(opt)
	ts := tensors(opt)

	out.bytes([]byte("GGUF"))
	out.u32(3)
	out.u64(uint64(len(ts)))
	out.u64(uint64(len(md)))
	for _, m := range md {
		out.str(m.key)
		out.value(m.value)
	}
	var offset uint64
	for _, t := range ts {
		out.str(t.name)
		out.u32(uint32(len(t.dims)))
		for _, d := range t.dims {
			out.u64(d)
		}
		out.u32(ggmlTypeF32)
		out.u64(offset)
		offset += uint64(len(t.data)) * 4
		if r := offset % Alignment; r != 0 {
			offset += Alignment - r
		}
	}
	out.pad()
	for _, t := range ts {
		for _, f := range t.data {
			out.f32(f)
		}
		out.pad()
	}
	if out.err != nil {
		return fmt.Errorf("tinygguf: %w", out.err)
	}
	if err := out.w.Flush(); err != nil {
		return fmt.Errorf("tinygguf: %w", err)
	}
	return nil
}
