// Command popigen writes a generated popi JSONL file (package gen) to
// standard output or -o FILE:
//
//	go run ./store/storetest/gen/popigen -users 1000000 -o users-1m.jsonl
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/popi-tui/popi-tui/store/storetest/gen"
)

func main() {
	var opt gen.Options
	flag.IntVar(&opt.Users, "users", 10_000, "number of users")
	flag.IntVar(&opt.Records, "records", 0, "number of records (0: 3 per user)")
	flag.Int64Var(&opt.Seed, "seed", 1, "random seed")
	flag.IntVar(&opt.FirstUser, "first-user", 0, "number of the first user (files of disjoint users)")
	out := flag.String("o", "", "output file (default: standard output)")
	flag.Parse()
	var err error
	if *out == "" {
		err = gen.Write(os.Stdout, opt)
	} else {
		err = gen.WriteFile(*out, opt)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "popigen:", err)
		os.Exit(1)
	}
}
