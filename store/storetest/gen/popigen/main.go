// Command popigen writes a generated popi JSONL file (package gen) to
// standard output or -o FILE:
//
//	go run ./store/storetest/gen/popigen -users 1000000 -o users-1m.jsonl
//
// With -labels N -db FILE it adds N generated label decisions instead
// (package gen/labels) to a database that holds the generated users, and
// with -human-every M a person's summary over every M-th user's newest:
//
//	go run ./store/storetest/gen/popigen -users 1000000 -labels 1000000 -human-every 10 -db x.db
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/storetest/gen"
	"github.com/popi-tui/popi-tui/store/storetest/gen/labels"
)

func main() {
	var opt gen.Options
	flag.IntVar(&opt.Users, "users", 10_000, "number of users")
	flag.IntVar(&opt.Records, "records", 0, "number of records (0: 3 per user)")
	flag.Int64Var(&opt.Seed, "seed", 1, "random seed")
	flag.IntVar(&opt.FirstUser, "first-user", 0, "number of the first user (files of disjoint users)")
	out := flag.String("o", "", "output file (default: standard output)")
	n := flag.Int("labels", 0, "with -db: add this many label decisions over the users (two annotators an item, some amended or retracted)")
	dbPath := flag.String("db", "", "with -labels: the database of the generated users to add labels to")
	human := flag.Int("human-every", 0, "with -db: also give every `N`-th user a summary version written by a person over their newest")
	flag.Parse()
	var err error
	switch {
	case *n > 0 || *dbPath != "":
		err = addLabels(*dbPath, labels.Options{Labels: *n, Users: opt.Users, Seed: opt.Seed, HumanEvery: *human})
	case *out == "":
		err = gen.Write(os.Stdout, opt)
	default:
		err = gen.WriteFile(*out, opt)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "popigen:", err)
		os.Exit(1)
	}
}

// addLabels adds opt's labels to the database at path, at the current
// schema, and says what it added.
func addLabels(path string, opt labels.Options) error {
	if path == "" {
		return fmt.Errorf("-labels needs -db")
	}
	db, err := store.Open(path) // upgraded to the current schema, or made
	if err != nil {
		return err
	}
	if err := db.Close(); err != nil {
		return err
	}
	rep, err := labels.Add(path, opt)
	if err != nil {
		return err
	}
	fmt.Printf("added %d decisions (%d amendments, %d retractions), %d generations and %d human summaries to %s\n",
		rep.Decisions, rep.Amendments, rep.Retractions, rep.Generations, rep.HumanSummaries, path)
	return nil
}
