package eval

import (
	"fmt"

	"github.com/popi-tui/popi-tui/engine/eval/stats"
	"github.com/popi-tui/popi-tui/store"
)

// How much context summaries save: the other part of the human half of
// `popi-tui eval`. It reads the store only.

// ContextReport is how much context summaries save: per source kind, the
// raw history a summary replaces against the summary itself.
type ContextReport struct {
	Kinds []ContextKind `json:"kinds"` // SummaryModel, SummaryHuman, SummaryHeuristic, always all three
}

// ContextKind is the context saving of one kind of summary, over each
// user's newest summary of that kind that has both token counts.
type ContextKind struct {
	Kind                string  `json:"kind"` // SummaryModel, SummaryHuman or SummaryHeuristic
	Users               int     `json:"users"`
	MeanHistoryTokens   float64 `json:"mean_history_tokens"`
	MedianHistoryTokens float64 `json:"median_history_tokens"`
	MeanSummaryTokens   float64 `json:"mean_summary_tokens"`
	MedianSummaryTokens float64 `json:"median_summary_tokens"`
	// RatioOfMeans is mean history / mean summary: the saving over the
	// whole set. MedianRatio is the median of each user's history/summary:
	// the saving for a typical user, which a few huge histories do not move.
	RatioOfMeans float64 `json:"ratio_of_means"`
	MedianRatio  float64 `json:"median_ratio"`
	Estimated    int     `json:"estimated"` // users whose counts are estimates, not a tokenizer's
}

// ContextSaving reads every summary version once, in one snapshot. The
// summaries bucket keeps each user's versions together, oldest first, so
// the newest qualifying one per kind is the last seen before the user
// changes. One pass rather than UserIDs then Summaries per user (which
// opens a read transaction per user and sees no single snapshot); either
// takes about half a second for 100,000 users with two versions each,
// nearly all of it decoding the summaries' JSON (BenchmarkContextSaving:
// 0.4 s, against 0.5 s for the per-user reads alone).
func ContextSaving(db *store.DB) (ContextReport, error) {
	kinds := []string{SummaryModel, SummaryHuman, SummaryHeuristic}
	type counts struct {
		history, summary int
		estimated, ok    bool
	}
	var hist, sum, ratio [3][]float64
	var estimated [3]int
	var latest [3]counts // the user's newest qualifying summary of each kind
	user := ""
	flush := func() {
		for k, c := range latest {
			if !c.ok {
				continue
			}
			h, m := float64(c.history), float64(c.summary)
			hist[k], sum[k], ratio[k] = append(hist[k], h), append(sum[k], m), append(ratio[k], h/m)
			if c.estimated {
				estimated[k]++
			}
			latest[k] = counts{}
		}
	}
	err := db.EachSummary(func(s store.Summary) error {
		if s.User != user {
			flush()
			user = s.User
		}
		if s.HistoryTokens <= 0 || s.SummaryTokens <= 0 {
			return nil
		}
		k := 0 // a model's, as Summary.IsModel says: neither of the others
		switch s.Source {
		case store.SourceHuman:
			k = 1
		case store.SourceHeuristic:
			k = 2
		}
		latest[k] = counts{s.HistoryTokens, s.SummaryTokens, s.TokensEstimated, true}
		return nil
	})
	if err != nil {
		return ContextReport{}, fmt.Errorf("context saving: %w", err)
	}
	flush()
	rep := ContextReport{Kinds: make([]ContextKind, len(kinds))}
	for k, kind := range kinds {
		c := ContextKind{Kind: kind, Users: len(hist[k]), Estimated: estimated[k],
			MedianHistoryTokens: stats.Median(hist[k]), MedianSummaryTokens: stats.Median(sum[k]),
			MedianRatio: stats.Median(ratio[k])}
		if c.Users > 0 {
			c.MeanHistoryTokens, c.MeanSummaryTokens = labelMean(hist[k]), labelMean(sum[k])
			c.RatioOfMeans = c.MeanHistoryTokens / c.MeanSummaryTokens
		}
		rep.Kinds[k] = c
	}
	return rep, nil
}

func labelMean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}
