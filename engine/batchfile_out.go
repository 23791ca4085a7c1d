package engine

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/store/format/printsafe"
)

// Writing a batch file: the users are walked a page at a time, the lines
// of a chunk built on every core (reading the user, rendering the
// templates, encoding and hashing the body), then written in order. Memory
// holds one page of ids and one chunk of lines, whatever the file's size.

// Sizes of a page of user ids and of a chunk of requests built at once.
const (
	batchUserPage = 1024
	batchChunk    = 2048
)

// built is one request of a batch file: its line, or why there is none
// (skipped: already done; err: it could not be built).
type built struct {
	item    string
	line    []byte
	skipped bool
	err     error
}

// batchWork makes the requests of one unit of work (a user), off the
// writer's goroutine.
type batchWork func() []built

// InferBatchOut writes to w the requests InferAll would send, one line of
// an OpenAI Batch input file each, and reports them as done (written),
// skipped (already summarized, as InferAll skips them) or failed (a
// request that cannot be built, such as a user without history).
func (e *Engine) InferBatchOut(ctx context.Context, w io.Writer, opt InferOptions, progress func(Progress)) (Report, error) {
	b, err := e.backend(opt.Backend, RoleSummarizer)
	if err != nil {
		return Report{}, err
	}
	if err := offlineBatch(b); err != nil {
		return Report{}, err
	}
	total, each, err := e.userPages(opt.Users)
	if err != nil {
		return Report{}, err
	}
	return writeBatchFile(ctx, w, total, func(emit func(batchWork) error) error {
		return each(func(u string) error {
			return emit(func() []built {
				line, skipped, err := e.summarizeLine(b, u, opt)
				return []built{{item: "user " + u, line: line, skipped: skipped, err: err}}
			})
		})
	}, progress)
}

// summarizeLine is the batch line of a user's summarizer request, or
// skipped when InferAll would skip the user.
func (e *Engine) summarizeLine(b *backend, user string, opt InferOptions) ([]byte, bool, error) {
	if opt.Missing {
		if _, has, err := e.db.CurrentSummary(user); err != nil || has {
			return nil, has, err
		}
	}
	if !opt.Force {
		if done, err := e.summarizedBy(user, b, opt.Signals); err != nil || done {
			return nil, done, err
		}
	}
	signals, err := e.userSignals(user)
	if err != nil {
		return nil, false, err
	}
	req, _, err := e.summarizerRequest(b, user, signals, opt.Signals)
	if err != nil {
		return nil, false, err
	}
	body, hash, err := batchBody(b.cfg, req.Messages)
	if err != nil {
		return nil, false, err
	}
	id := batchID{Kind: batchSummarize, Backend: b.cfg.Name, User: user, Signals: signalsName(req.Signals), TemplateSet: req.TemplateSet, Hash: hash}
	return appendBatchLine(nil, id, body), false, nil
}

// GenerateBatchOut writes to w the requests GenerateAll would send to
// model servers (the replay generator sends none), reported as
// InferBatchOut's are: cached answers are skipped unless opt.Force.
func (e *Engine) GenerateBatchOut(ctx context.Context, w io.Writer, opt GenerateOptions, progress func(Progress)) (Report, error) {
	backends, err := e.generatorsOf(&opt)
	if err != nil {
		return Report{}, err
	}
	for _, b := range backends {
		if err := offlineBatch(b); err != nil {
			return Report{}, err
		}
	}
	conditions := opt.Conditions
	_, each, err := e.userPages(opt.Users)
	if err != nil {
		return Report{}, err
	}
	total := 0
	if err := each(func(u string) error {
		n, err := e.countGenerations([]string{u}, backends, len(conditions))
		total += n
		return err
	}); err != nil {
		return Report{}, err
	}
	return writeBatchFile(ctx, w, total, func(emit func(batchWork) error) error {
		return each(func(u string) error {
			return emit(func() []built { return e.generateLines(backends, u, opt) })
		})
	}, progress)
}

// generateLines are the batch lines of one user's prompts: every task and
// held-out pair, with every backend under every condition.
func (e *Engine) generateLines(backends []*backend, user string, opt GenerateOptions) []built {
	signals, err := e.userSignals(user)
	if err != nil {
		return []built{{item: "user " + user, err: err}}
	}
	current, _, err := e.db.CurrentSummary(user)
	if err != nil {
		return []built{{item: "user " + user, err: err}}
	}
	var out []built
	for _, p := range signals {
		if p.Kind != store.KindTask && !(p.Kind == store.KindPair && p.Split == store.SplitHeldout) {
			continue
		}
		for _, b := range backends {
			for _, c := range opt.Conditions {
				req := GenerateRequest{User: user, PromptID: p.ID, Condition: c, Backend: b.cfg.Name, Force: opt.Force}
				r := built{item: fmt.Sprintf("%s/%s %s via %s", user, p.ID, c, b.cfg.Name)}
				r.line, r.skipped, r.err = e.generateLine(b, req, signals, p, current)
				out = append(out, r)
			}
		}
	}
	return out
}

// generateLine is the batch line of one generator request, or skipped
// when its answer is cached and the request does not force another.
func (e *Engine) generateLine(b *backend, req GenerateRequest, signals []store.Signal, p store.Signal, current store.Summary) ([]byte, bool, error) {
	g, err := e.newGeneration(b, req, signals, p)
	if err != nil {
		return nil, false, err
	}
	if !req.Force {
		if _, ok, err := e.db.CachedGeneration(g.Key); err != nil || ok {
			return nil, ok, err
		}
	}
	body, hash, err := batchBody(b.cfg, g.Messages)
	if err != nil {
		return nil, false, err
	}
	id := batchID{Kind: batchGenerate, Backend: b.cfg.Name, User: req.User, PromptID: req.PromptID, Condition: req.Condition, TemplateSet: g.TemplateSet, Hash: hash}
	if req.Condition == store.ConditionSummary {
		id.SummaryVersion = current.Version
	}
	return appendBatchLine(nil, id, body), false, nil
}

// userPages is how many users a run covers and a walk over them: the
// given ones (checked to exist), or every user a page of ids at a time.
func (e *Engine) userPages(given []string) (int, func(fn func(user string) error) error, error) {
	if len(given) > 0 {
		users, err := e.SelectUsers(given)
		if err != nil {
			return 0, nil, err
		}
		return len(users), func(fn func(string) error) error {
			for _, u := range users {
				if err := fn(u); err != nil {
					return err
				}
			}
			return nil
		}, nil
	}
	n, err := e.db.UserCount()
	if err != nil {
		return 0, nil, err
	}
	return n, func(fn func(string) error) error {
		after := ""
		for {
			page, err := e.db.UserPage(after, batchUserPage)
			if err != nil || len(page) == 0 {
				return err
			}
			for _, u := range page {
				if err := fn(u); err != nil {
					return err
				}
			}
			after = page[len(page)-1]
		}
	}, nil
}

// writeBatchFile writes the lines of the work that work emits: a chunk at a
// time, built on every core and written in order, each line made safe to
// print (printsafe: the same JSON). It stops at the first write error, or
// when ctx is cancelled (the report says interrupted).
func writeBatchFile(ctx context.Context, w io.Writer, total int, work func(emit func(batchWork) error) error, progress func(Progress)) (Report, error) {
	t := &runTally{start: time.Now(), rep: Report{Progress: Progress{Total: total}}, counts: map[string]*ErrorCount{}}
	stopTicker := t.tick(progress)
	chunk := make([]batchWork, 0, batchChunk)
	flush := func() error {
		results := buildAll(chunk)
		chunk = chunk[:0]
		for _, rs := range results {
			for _, r := range rs {
				if r.err == nil && !r.skipped {
					if _, err := w.Write(r.line); err != nil {
						return err
					}
				}
				t.record(ctx, r.item, Outcome{Skipped: r.skipped}, r.err)
			}
		}
		return nil
	}
	err := work(func(b batchWork) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if chunk = append(chunk, b); len(chunk) == batchChunk {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	stopTicker()
	if ctx.Err() != nil && err == ctx.Err() {
		err = nil // the report says interrupted
	}
	return t.final(ctx, progress), err
}

// buildAll runs the work of a chunk on every core.
func buildAll(chunk []batchWork) [][]built {
	out := make([][]built, len(chunk))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(chunk)) {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < len(chunk); i = int(next.Add(1)) - 1 {
				out[i] = chunk[i]()
				for j := range out[i] {
					if out[i][j].line != nil {
						out[i][j].line = printsafe.JSON(out[i][j].line)
					}
				}
			}
		})
	}
	wg.Wait()
	return out
}
