package store

import (
	"bytes"
	"context"
	_ "embed"
)

// demoData is popi-tui's own demo dataset: eight users with clearly
// different tastes (terse, thorough, formal, playful, code-first,
// beginner, skeptical, bullet lists), written for this project.
//
//go:embed demo/demo.jsonl
var demoData []byte

// DemoFileName is the name demo records are imported under, and
// DemoDataset the dataset its users are tagged with.
const (
	DemoFileName = "demo.jsonl"
	DemoDataset  = "demo"
)

// LoadDemo imports the demo dataset. Like any import it adds nothing the
// database already holds, so it can be called on every start.
func (db *DB) LoadDemo(ctx context.Context) (ImportReport, error) {
	return db.Import(ctx, DemoFileName, bytes.NewReader(demoData), ImportOptions{Format: FormatPopi, Dataset: DemoDataset})
}
