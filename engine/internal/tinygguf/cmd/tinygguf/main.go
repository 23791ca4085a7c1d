// Command tinygguf writes the tiny deterministic GGUF model of package
// tinygguf, for integration tests against a real model server:
//
//	go run ./engine/internal/tinygguf/cmd/tinygguf -o FILE [-loop] [-ctx N] [-name NAME]
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/popi-tui/popi-tui/engine/internal/tinygguf"
)

func main() {
	out := flag.String("o", "", "output file (required)")
	loop := flag.Bool("loop", false, "repeat the sentence until max_tokens instead of ending it")
	ctx := flag.Uint("ctx", tinygguf.DefaultContextLength, "llama.context_length")
	name := flag.String("name", "", "general.name (default popi-tiny or popi-tiny-loop)")
	flag.Parse()
	if *out == "" || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: tinygguf -o FILE [-loop] [-ctx N] [-name NAME]")
		os.Exit(2)
	}
	if *ctx == 0 || *ctx > 1<<20 {
		fmt.Fprintf(os.Stderr, "tinygguf: -ctx %d out of range (1..%d)\n", *ctx, 1<<20)
		os.Exit(2)
	}
	if err := write(*out, tinygguf.Options{Loop: *loop, Name: *name, ContextLength: uint32(*ctx)}); err != nil {
		fmt.Fprintln(os.Stderr, "tinygguf:", err)
		os.Exit(1)
	}
}

// write writes the model next to path and renames it into place, so that a
// reader never sees half a file.
func write(path string, opt tinygguf.Options) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tinygguf-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tinygguf.Write(tmp, opt); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
