package engine

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"runtime"
	"slices"
	"sync"
	"time"
)

// Reading a batch file's results (vLLM's run-batch output, or a hosted
// batch API's output and error files): one JSON line per request, with
// the custom_id it was asked under, the response (status_code, request_id,
// body: the chat completion) and an error (null, a string or an object).
// The lines are read in order and handed to one worker per core, a user
// always to the same worker, so that one user's answers are checked
// against each other in order; each worker stores what it has checked in
// batches. Memory holds a few lines and the workers' batches.

// The kinds of batch file, as infer and generate write them.
const (
	BatchSummaries  = batchSummarize // infer --batch-out
	BatchGeneration = batchGenerate  // generate --batch-out
)

// BatchFile is one results file: its name, for FILE:LINE, and its text.
type BatchFile struct {
	Name string
	R    io.Reader
}

// BatchInOptions choose how results are stored.
type BatchInOptions struct {
	Kind string // BatchSummaries or BatchGeneration: what the files must hold
	// Force stores an answer even where the request is already answered
	// (as infer --force asks again), but never the same answer twice.
	Force bool
}

// BatchInReport is what reading results did: Done answers stored, Skipped
// already stored, Failed errors in the results (Errors by reason, none
// stored); Total is the lines read. Problems are lines that match no
// request of this database, or a request whose input changed since the
// file was written: the first MaxBatchProblems, in file order, as
// "FILE:LINE: reason"; Refused counts them all.
type BatchInReport struct {
	Report
	Problems []string
	Refused  int
}

// MaxBatchProblems is how many problem lines a report lists.
const MaxBatchProblems = 20

// maxResultLine bounds a results line: an answer of 8 MiB is far past any
// max_tokens, and a file without newlines is not read for ever.
const maxResultLine = 8 << 20

// batchResult is one line of a results file.
type batchResult struct {
	ID       string `json:"id"`
	CustomID string `json:"custom_id"`
	Response *struct {
		StatusCode int             `json:"status_code"`
		RequestID  string          `json:"request_id"`
		Body       json.RawMessage `json:"body"`
	} `json:"response"`
	Error json.RawMessage `json:"error"`
}

// resultLine is a read line on its way to a worker.
type resultLine struct {
	file, line int // the file's index in the run, the line's number
	id         batchID
	res        batchResult
}

// BatchIn stores the answers of results files as if they had been fetched
// live: each line's request is built again from the database and must
// hash as its custom_id says, and the answer is stored through the code a
// live answer goes through. A request already answered (by this file read
// before, say) stores nothing.
func (e *Engine) BatchIn(ctx context.Context, files []BatchFile, opt BatchInOptions, progress func(Progress)) (BatchInReport, error) {
	if opt.Kind != BatchSummaries && opt.Kind != BatchGeneration {
		return BatchInReport{}, fmt.Errorf("batch results: unknown kind %q", opt.Kind)
	}
	run := &batchRun{e: e, opt: opt, files: files, tokens: map[string]*batchTokens{}}
	run.t = &runTally{start: time.Now(), counts: map[string]*ErrorCount{}}
	stopTicker := run.t.tick(progress)
	workers := make([]chan resultLine, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i := range workers {
		workers[i] = make(chan resultLine, 64)
		wg.Go(func() { run.work(ctx, workers[i]) })
	}
	var err error
	for i, f := range files {
		if err = run.read(ctx, i, f, workers); err != nil || ctx.Err() != nil {
			break
		}
	}
	for _, w := range workers {
		close(w)
	}
	wg.Wait()
	stopTicker()
	rep := BatchInReport{Report: run.t.final(ctx, progress), Refused: run.refused}
	rep.Interrupted = ctx.Err() != nil
	for _, p := range run.problems {
		rep.Problems = append(rep.Problems, p.text)
	}
	if err == nil {
		err = run.storeErr
	}
	return rep, err
}

// batchRun is one BatchIn: what its workers share.
type batchRun struct {
	e     *Engine
	opt   BatchInOptions
	files []BatchFile
	t     *runTally

	mu       sync.Mutex
	problems []problem // the first MaxBatchProblems by position
	refused  int
	tokens   map[string]*batchTokens // by backend
	storeErr error                   // the first failed commit: the run's error
}

type problem struct {
	file, line int
	text       string
}

// read hands the lines of file i to the workers, a user always to the
// same one. A line that cannot be read as a result is a problem.
func (r *batchRun) read(ctx context.Context, i int, f BatchFile, workers []chan resultLine) error {
	br := bufio.NewReaderSize(f.R, 256<<10)
	for n := 1; ; n++ {
		if ctx.Err() != nil {
			return nil
		}
		line, err := readResultLine(br)
		if errors.Is(err, errLineTooLong) {
			r.t.mu.Lock()
			r.t.rep.Total++
			r.t.mu.Unlock()
			r.refuse(i, n, fmt.Errorf("the line is longer than %d MiB", maxResultLine>>20))
			continue
		}
		if len(bytes.TrimSpace(line)) > 0 {
			r.t.mu.Lock()
			r.t.rep.Total++
			r.t.mu.Unlock()
			r.dispatch(i, n, line, workers)
		}
		if err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("%s:%d: %w", f.Name, n, err)
		}
	}
}

// dispatch decodes one line and hands it to its user's worker.
func (r *batchRun) dispatch(file, n int, line []byte, workers []chan resultLine) {
	l := resultLine{file: file, line: n}
	if err := json.Unmarshal(line, &l.res); err != nil {
		r.refuse(file, n, fmt.Errorf("not a batch result: %v", err))
		return
	}
	id, err := parseBatchID(l.res.CustomID)
	if err != nil {
		r.refuse(file, n, err)
		return
	}
	if id.Kind != r.opt.Kind {
		r.refuse(file, n, fmt.Errorf("custom_id %q is a %s request; this command reads %s requests", l.res.CustomID, id.Kind, r.opt.Kind))
		return
	}
	l.id = id
	h := fnv.New32a()
	h.Write([]byte(id.User))
	workers[h.Sum32()%uint32(len(workers))] <- l
}

var errLineTooLong = errors.New("line too long")

// readResultLine reads one line without its newline; a line longer than
// maxResultLine is skipped to its end and reported as errLineTooLong.
func readResultLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(line)+len(chunk) > maxResultLine {
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			if err != nil && err != io.EOF {
				return nil, err
			}
			return nil, errLineTooLong
		}
		line = append(line, chunk...)
		if !errors.Is(err, bufio.ErrBufferFull) {
			return bytes.TrimSuffix(line, []byte("\n")), err
		}
	}
}

// refuse records a line that names no request of this database, or one
// whose input changed: counted, and listed when among the first.
func (r *batchRun) refuse(file, line int, why error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refused++
	p := problem{file: file, line: line, text: fmt.Sprintf("%s:%d: %v", r.files[file].Name, line, why)}
	i, _ := slices.BinarySearchFunc(r.problems, p, func(a, b problem) int {
		if a.file != b.file {
			return a.file - b.file
		}
		return a.line - b.line
	})
	if i < MaxBatchProblems {
		r.problems = slices.Insert(r.problems, i, p)
		r.problems = r.problems[:min(len(r.problems), MaxBatchProblems)]
	}
}

// fail records an error in the results: counted under its reason, never
// stored.
func (r *batchRun) fail(item string, err error) {
	r.t.record(context.Background(), item, Outcome{}, err)
}
