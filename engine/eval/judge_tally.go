package eval

import (
	"maps"
	"slices"
	"sync"

	"github.com/popi-tui/popi-tui/engine/eval/stats"
)

// Why a judge run skipped a prompt (JudgeReport.SkippedReasons). What the
// judge was not told is "no " and the --persona choice ("no persona",
// "no profile", "no history").
const (
	SkipNoSummary  = "no summary"                    // the summary answer (or a summary opponent) has no summary to answer with
	SkipNoRawInput = "no history for the raw answer" // the opponent's raw condition has no history to show
)

// judgeTally adds up items, safely from the batch runner's workers.
type judgeTally struct {
	mu  sync.Mutex
	rep JudgeReport
}

// skip counts an item that could not be judged, and why.
func (t *judgeTally) skip(reason string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.rep.Items++
	t.rep.Skipped++
	if t.rep.SkippedReasons == nil {
		t.rep.SkippedReasons = map[string]int{}
	}
	t.rep.SkippedReasons[reason]++
}

// add counts one item from its verdicts, one per order judged; first[k]
// says whether the summary answer was A in the k-th. One order is one
// vote; two make one vote of their mean.
func (t *judgeTally) add(first []bool, verdicts []string, malformed []MalformedVerdict) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := &t.rep
	r.Items++
	if len(first) == 1 && first[0] {
		r.SummaryFirst++
	}
	for _, v := range verdicts {
		if v != "" {
			r.Verdicts++
			if v == verdictA {
				r.FirstPicked++
			}
		}
	}
	if len(malformed) > 0 {
		r.MalformedItems++
		r.Malformed = append(r.Malformed, malformed...)
		return
	}
	// The summary answer's score in each order: 1 a win, ½ a tie, 0 a loss.
	scores := make([]float64, len(verdicts))
	sum := 0.0
	for k, v := range verdicts {
		summaryIs := verdictB
		if first[k] {
			summaryIs = verdictA
		}
		switch v {
		case summaryIs:
			scores[k] = 1
		case verdictTie:
			scores[k] = 0.5
		}
		sum += scores[k]
	}
	if len(scores) == 2 && scores[0] == scores[1] {
		r.Consistent++
	}
	switch mean := sum / float64(len(scores)); {
	case mean > 0.5:
		r.Wins++
	case mean < 0.5:
		r.Losses++
	default:
		r.Ties++
	}
}

func (t *judgeTally) report() JudgeReport {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.rep
	r.Malformed = slices.Clone(r.Malformed)
	if r.Malformed == nil {
		r.Malformed = []MalformedVerdict{} // a list in JSON, even empty
	}
	r.SkippedReasons = maps.Clone(r.SkippedReasons)
	if r.SkippedReasons == nil {
		r.SkippedReasons = map[string]int{} // an object in JSON, even empty
	}
	r.Low, r.High = stats.Wilson(0, 0) // no verdicts: nothing is known
	if n := r.Wins + r.Ties + r.Losses; n > 0 {
		wins := float64(r.Wins) + float64(r.Ties)/2
		r.WinRate = wins / float64(n)
		r.Low, r.High = stats.Wilson(wins, n)
	}
	return r
}
