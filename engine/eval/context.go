package eval

import (
	"fmt"
	"maps"
	"slices"

	"github.com/popi-tui/popi-tui/engine/eval/stats"
	"github.com/popi-tui/popi-tui/store"
)

// How much context summaries save: the other part of the human half of
// `popi-tui eval`. It reads the store only.
//
// Two figures per kind of summary (README, eval: context): POPI's, the
// mean length of a summary in tokens, and the saving, the user's whole
// history against the summary. The whole history is every history pair,
// text and profile the user has, not the part the summarizer was given
// (that one is cut to the history budget and reported beside it).

// ContextOptions choose the users context saving covers and how it is
// grouped.
type ContextOptions struct {
	Datasets  []string // only users of these datasets (User.Dataset); all when empty
	ByDataset bool     // also report each dataset apart
}

// ContextReport is how much context summaries save: per source kind, the
// whole raw history a summary replaces against the summary itself.
type ContextReport struct {
	Kinds []ContextKind `json:"kinds"` // SummaryModel, SummaryHuman, SummaryHeuristic, always all three
	// Datasets is the dataset filter (ContextOptions.Datasets).
	Datasets []string `json:"datasets,omitempty"`
	// ByDataset is the same per dataset, with ContextOptions.ByDataset.
	ByDataset []ContextDataset `json:"by_dataset,omitempty"`
}

// ContextDataset is the context saving of one dataset's users ("" for
// users imported without one).
type ContextDataset struct {
	Dataset string        `json:"dataset"`
	Kinds   []ContextKind `json:"kinds"`
}

// ContextKind is the context saving of one kind of summary, over each
// user's newest summary of that kind that has both token counts.
type ContextKind struct {
	Kind  string `json:"kind"` // SummaryModel, SummaryHuman or SummaryHeuristic
	Users int    `json:"users"`
	// MeanSummaryTokens is POPI's figure: the mean length of a summary,
	// in the tokenizer's tokens where the summary was counted by one.
	MeanSummaryTokens   float64 `json:"mean_summary_tokens"`
	MedianSummaryTokens float64 `json:"median_summary_tokens"`
	// MeanHistoryTokens and MedianHistoryTokens count the user's whole
	// history (WholeHistoryTokens), what the summary stands in for.
	MeanHistoryTokens   float64 `json:"mean_whole_history_tokens"`
	MedianHistoryTokens float64 `json:"median_whole_history_tokens"`
	// MeanGivenTokens and MedianGivenTokens count the history the
	// summarizer was given, cut to the history budget, as counted when
	// the summary was made.
	MeanGivenTokens   float64 `json:"mean_given_history_tokens"`
	MedianGivenTokens float64 `json:"median_given_history_tokens"`
	// RatioOfMeans is mean whole history / mean summary: the saving over
	// the whole set. MedianRatio is the median of each user's whole
	// history / summary: the saving for a typical user, which a few huge
	// histories do not move.
	RatioOfMeans float64 `json:"whole_history_ratio_of_means"`
	MedianRatio  float64 `json:"whole_history_median_ratio"`
	// Estimated counts users whose summary (or given history) counts are
	// estimates, not a tokenizer's. Whole histories are always estimated.
	Estimated int `json:"estimated"`
}

// WholeHistoryTokens estimates a user's whole history in tokens as the
// history budget measures it: per history pair or text, a token per four
// bytes of each of its fields (a text's post included) and 20 for its
// layout (headings); per profile, a token per four bytes. Held-out pairs, tasks and personas are
// never shown to the summarizer and do not count.
func WholeHistoryTokens(signals []store.Signal) int {
	est := func(s string) int { return (len(s) + 3) / 4 }
	n := 0
	for _, s := range signals {
		switch {
		case s.Kind == store.KindPair && s.Split == store.SplitHistory, s.Kind == store.KindText:
			n += est(s.Prompt) + est(s.Chosen) + est(s.Rejected) + est(s.Text) + est(s.Post) + 20
		case s.Kind == store.KindProfile:
			n += est(s.Text)
		}
	}
	return n
}

// ContextSaving is the context saving over every user.
func ContextSaving(db *store.DB) (ContextReport, error) {
	return ContextSavingWith(db, ContextOptions{})
}

// contextCounts are one user's counts for one kind of summary.
type contextCounts struct {
	whole, given, summary int
	estimated             bool
}

// ContextSavingWith reads each user's summary versions and history from
// one snapshot, user by user (store.ScanEveryUserSummaries): the newest
// summary of each kind with both token counts, and the whole history's
// estimate, for users with a summary only.
func ContextSavingWith(db *store.DB, opt ContextOptions) (ContextReport, error) {
	var datasets map[string]string
	if len(opt.Datasets) > 0 || opt.ByDataset {
		var err error
		if datasets, err = userDatasets(db); err != nil {
			return ContextReport{}, fmt.Errorf("context saving: %w", err)
		}
	}
	all := &contextGroup{}
	groups := map[string]*contextGroup{}
	// Each user's counts are worked out on a worker (the versions decoded,
	// the whole history's tokens estimated); added up in id order here.
	type counted struct {
		user   string
		latest [3]contextCounts
	}
	build := func(u store.UserSummaries) (counted, error) {
		c := counted{user: u.User}
		if len(opt.Datasets) > 0 && !slices.Contains(opt.Datasets, datasets[u.User]) {
			return c, nil
		}
		if c.latest = latestCounted(u.Versions); c.latest == [3]contextCounts{} {
			return c, nil
		}
		signals, err := u.Signals()
		if err != nil {
			return c, err
		}
		whole := WholeHistoryTokens(signals)
		for k := range c.latest {
			c.latest[k].whole = whole
		}
		return c, nil
	}
	err := store.ScanEveryUserSummaries(db, build, func(c counted) error {
		if c.latest == [3]contextCounts{} {
			return nil
		}
		all.add(c.latest)
		if opt.ByDataset {
			dataset := datasets[c.user]
			if groups[dataset] == nil {
				groups[dataset] = &contextGroup{}
			}
			groups[dataset].add(c.latest)
		}
		return nil
	})
	if err != nil {
		return ContextReport{}, fmt.Errorf("context saving: %w", err)
	}
	rep := ContextReport{Kinds: all.result(), Datasets: opt.Datasets}
	for _, d := range slices.Sorted(maps.Keys(groups)) {
		rep.ByDataset = append(rep.ByDataset, ContextDataset{Dataset: d, Kinds: groups[d].result()})
	}
	return rep, nil
}

// latestCounted is a user's newest summary of each kind (model, human,
// heuristic) with both token counts; a kind without one is zero.
func latestCounted(versions []store.Summary) [3]contextCounts {
	var latest [3]contextCounts
	for _, s := range versions { // oldest first
		if s.HistoryTokens <= 0 || s.SummaryTokens <= 0 {
			continue
		}
		k := 0 // a model's, as Summary.IsModel says: neither of the others
		switch s.Source {
		case store.SourceHuman:
			k = 1
		case store.SourceHeuristic:
			k = 2
		}
		latest[k] = contextCounts{given: s.HistoryTokens, summary: s.SummaryTokens, estimated: s.TokensEstimated}
	}
	return latest
}

// contextGroup gathers the counts of a set of users, per kind.
type contextGroup struct {
	whole, given, summary, ratio [3][]float64
	estimated                    [3]int
}

func (g *contextGroup) add(latest [3]contextCounts) {
	for k, c := range latest {
		if c.summary == 0 {
			continue
		}
		w, s := float64(c.whole), float64(c.summary)
		g.whole[k], g.given[k] = append(g.whole[k], w), append(g.given[k], float64(c.given))
		g.summary[k], g.ratio[k] = append(g.summary[k], s), append(g.ratio[k], w/s)
		if c.estimated {
			g.estimated[k]++
		}
	}
}

func (g *contextGroup) result() []ContextKind {
	kinds := []string{SummaryModel, SummaryHuman, SummaryHeuristic}
	out := make([]ContextKind, len(kinds))
	for k, kind := range kinds {
		c := ContextKind{Kind: kind, Users: len(g.summary[k]), Estimated: g.estimated[k],
			MedianHistoryTokens: stats.Median(g.whole[k]), MedianGivenTokens: stats.Median(g.given[k]),
			MedianSummaryTokens: stats.Median(g.summary[k]), MedianRatio: stats.Median(g.ratio[k])}
		if c.Users > 0 {
			c.MeanHistoryTokens, c.MeanGivenTokens, c.MeanSummaryTokens = labelMean(g.whole[k]), labelMean(g.given[k]), labelMean(g.summary[k])
			c.RatioOfMeans = c.MeanHistoryTokens / c.MeanSummaryTokens
		}
		out[k] = c
	}
	return out
}

// userDatasets is every user's dataset, by user id.
func userDatasets(db *store.DB) (map[string]string, error) {
	out := map[string]string{}
	err := db.EachUser("", func(u store.User) (bool, error) {
		out[u.ID] = u.Dataset
		return true, nil
	})
	return out, err
}

func labelMean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}
