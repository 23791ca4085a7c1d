package engine

import (
	"fmt"
	"strconv"

	"github.com/popi-tui/popi-tui/store"
)

// A bulk run of the heuristic summarizer (infer --backend heuristic):
// reading each user's signals in a read transaction of its own was a
// sixth of the summarizer's time at 1,000,000 users (issue 13), so the
// users' signals are read a page at a time, in one transaction a page, a
// page ahead of the workers.

// heurPageUsers is how many users' signals one read transaction reads
// (a variable for the tests).
var heurPageUsers = 512

// summarizeHeuristic is summarize's offline summary of user, from the
// user's signals.
func (e *Engine) summarizeHeuristic(user string, b *backend, signals []store.Signal, onDelta func(Delta)) (store.Summary, error) {
	s := newSummary(user, b)
	var err error
	if s.Text, err = HeuristicSummary(signals); err != nil {
		return store.Summary{}, fmt.Errorf("user %q: %w", user, err)
	}
	h := historyData(user, signals, e.cfg.HistoryBudget, nil)
	s.HistoryTokens, s.SummaryTokens, s.TokensEstimated = heurEstimateTokens(heurHistoryLen(h)), estimateTokens(s.Text), true
	if onDelta != nil {
		onDelta(Delta{Text: s.Text})
	}
	return s, nil
}

// heurHistoryLen is len(d.historyText()), without writing the text: the
// heuristic summary counts its tokens by its length alone, and writing it
// was 7 KB of garbage a user, the largest part of a bulk run's.
// TestHeurHistoryLen holds it to historyText.
func heurHistoryLen(d PromptData) int {
	const (
		pair     = len("## Example \n\n### Prompt\n\n\n\n### Preferred response\n\n\n\n### Dispreferred response\n\n\n\n")
		reply    = len("## Text \n\n### In reply to\n\n\n\n### Written\n\n\n\n")
		text     = len("## Text \n\n\n\n")
		endBlock = len("\n\n")
	)
	var digits [20]byte
	n := 0
	for _, p := range d.Pairs {
		n += pair + len(strconv.AppendInt(digits[:0], int64(p.N), 10)) + len(p.Prompt) + len(p.Chosen) + len(p.Rejected)
	}
	for _, t := range d.Texts {
		n += len(strconv.AppendInt(digits[:0], int64(t.N), 10)) + len(t.Text)
		if t.Post != "" {
			n += reply + len(t.Post)
		} else {
			n += text
		}
	}
	for _, s := range []string{d.Profile, d.Demographics} {
		if s != "" {
			n += len(s) + endBlock
		}
	}
	return n
}

// heurEstimateTokens is estimateTokens of a text of n bytes.
func heurEstimateTokens(n int) int { return (n + 3) / 4 }

// signalPage is the signals of a page of users, by user: in one slice,
// which each user's is a piece of.
type signalPage struct {
	users   []string
	signals map[string][]store.Signal
	err     error
}

// pagedJobs emits job for each user, handing it the user's signals as
// read with the user's page. A page that could not be read leaves its
// users to read their own, so that each fails (or not) as it would alone.
func (e *Engine) pagedJobs(users []string, job func(u string, read func() ([]store.Signal, error)) Job) func(emit func(Job) bool) error {
	return func(emit func(Job) bool) error {
		pages := make(chan signalPage, 1) // the next page is read while this one is summarized
		stop := make(chan struct{})
		defer close(stop)
		go e.readPages(users, pages, stop)
		for pg := range pages {
			for _, u := range pg.users {
				var read func() ([]store.Signal, error)
				if pg.err == nil {
					signals := pg.signals[u]
					read = func() ([]store.Signal, error) { return pagedSignals(u, signals) }
				}
				if !emit(job(u, read)) {
					return nil
				}
			}
		}
		return nil
	}
}

// readPages reads users' signals a page at a time into pages, until
// every page is read or stop is closed.
func (e *Engine) readPages(users []string, pages chan<- signalPage, stop <-chan struct{}) {
	defer close(pages)
	for len(users) > 0 {
		n := min(heurPageUsers, len(users))
		pg := signalPage{users: users[:n], signals: make(map[string][]store.Signal, n)}
		// EachSignalOf reads user by user: each user's signals are a run.
		all, start := make([]store.Signal, 0, 4*n), 0
		pg.err = e.db.EachSignalOf(pg.users, func(s store.Signal) error {
			if len(all) > 0 && all[len(all)-1].User != s.User {
				start = len(all)
			}
			all = append(all, s)
			pg.signals[s.User] = all[start:len(all):len(all)]
			return nil
		})
		select {
		case pages <- pg:
		case <-stop:
			return
		}
		users = users[n:]
	}
}

// pagedSignals is what userSignals says of a user whose page read signals.
func pagedSignals(user string, signals []store.Signal) ([]store.Signal, error) {
	if len(signals) == 0 {
		return nil, fmt.Errorf("user %q: %w", user, store.ErrNotFound)
	}
	return signals, nil
}
