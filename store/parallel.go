package store

import (
	"runtime"
	"sync"
)

// parallelFor calls fn(i) for every i in [0, n), spread over the cores in
// contiguous chunks, and returns the error of the smallest i that failed.
// Each goroutine is guarded as transactions are (see guard): fn reads
// pages of the database file, and a damaged one must come back as an error
// naming path, not crash the program. Small jobs run in the caller's
// goroutine, which its transaction guards already.
func parallelFor(path string, n int, fn func(i int) error) error {
	workers := runtime.GOMAXPROCS(0)
	if n < 4096 || workers == 1 {
		for i := range n {
			if err := fn(i); err != nil {
				return err
			}
		}
		return nil
	}
	chunk := (n + workers - 1) / workers
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			defer guard(path, &errs[w])()
			for i := w * chunk; i < min(n, (w+1)*chunk); i++ {
				if err := fn(i); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
