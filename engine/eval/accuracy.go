package eval

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
)

// Preference accuracy (the POPI paper's metric): on each held-out pair
// (x, y_w, y_l) a response is scored r(y) = log p(y | conditioned input) −
// log p_ref(y | x alone); the pair is correct when r(y_w) > r(y_l), and a
// tie counts ½. The conditioned input is exactly what the generator is
// sent under the condition. The reference is a model of its own
// (AccuracyOptions.Reference) sent its own none template (the prompt
// alone), by default the generator itself: then none scores every pair a
// tie, the floor that says the backend learnt nothing. Beside the count,
// DPO's margin h = r(y_w) − r(y_l) and loss −log σ(β·h) (eval/stats),
// which POPI's trainer reports on the same pairs.

// Which of a user's summaries conditions the summary condition.
const (
	SummaryCurrent   = "current"   // the current version, whatever wrote it
	SummaryModel     = "model"     // the newest a model wrote
	SummaryHuman     = "human"     // the newest a person wrote or edited
	SummaryHeuristic = "heuristic" // the newest of the offline baseline
)

// DefaultBeta is DPO's β when AccuracyOptions.Beta is 0: the value most
// DPO trainers start from. A comparison with a training run takes that
// run's β (POPI's run.sh for ELIX sets 0.01; README, eval: accuracy).
const DefaultBeta = 0.1

// AccuracyOptions choose what preference accuracy measures.
type AccuracyOptions struct {
	Backend string // a generator on a server that scores given responses (vLLM)
	// Reference is the backend of the reference model, sent its own none
	// template; Backend when empty. Its server tokenizes the responses
	// its own way: each model scores the tokens it reads them as.
	Reference string
	// NoEndOfTurn leaves the end-of-turn token out of each response's
	// log-probability; by default it counts, as POPI's trainer counts the
	// EOS token it appends (engine.ScoreOptions).
	NoEndOfTurn bool
	// Beta is DPO's β, for the rewards and the loss (not the margin or
	// the accuracy); DefaultBeta when 0. It must be positive.
	Beta        float64
	Summary     string   // SummaryCurrent (default), SummaryModel, SummaryHuman or SummaryHeuristic
	Conditions  []string // store.ConditionSummary (default), ConditionRaw, ConditionNone
	Users       []string // all users when empty
	Datasets    []string // only users of these datasets (store.User.Dataset); all when empty
	ByDataset   bool     // also report each dataset apart (AccuracyReport.ByDataset)
	KeepPairs   bool     // return every pair's scores (AccuracyReport.Pairs)
	Concurrency int      // pairs at once; the backends' own limits still hold
}

// AccuracyRow is the accuracy under one condition.
type AccuracyRow struct {
	Condition string  `json:"condition"`
	Pairs     int     `json:"pairs"` // scored
	Correct   int     `json:"correct"`
	Ties      int     `json:"ties"`
	Wrong     int     `json:"wrong"`
	Accuracy  float64 `json:"accuracy"` // (correct + ties/2) / pairs
	Low       float64 `json:"ci95_low"` // Wilson 95% interval
	High      float64 `json:"ci95_high"`
	// MeanMargin is the mean of DPO's margin h = r(y_w) − r(y_l) over the
	// pairs, in nats (β does not enter it); MeanLoss the mean of DPO's
	// loss −log σ(β·h), in nats (POPI's trainer reports it divided by β).
	MeanMargin float64 `json:"mean_margin"`
	MeanLoss   float64 `json:"mean_dpo_loss"`
	// MeanContextTokens is the mean length, in the server's tokens, of
	// what the generator is given before the response (the prompt as the
	// chat template renders it, summary or history included).
	MeanContextTokens float64 `json:"mean_context_tokens"`
	// Skipped pairs cannot be asked under the condition: the user has no
	// summary of the kind asked for, or no history for raw.
	Skipped int `json:"skipped"`
	// Failed pairs were scored under other conditions but the server
	// refused this one's (a prompt longer than the model's context, say);
	// Errors says why, one entry per distinct reason.
	Failed int                 `json:"failed"`
	Errors []engine.ErrorCount `json:"errors"`
}

// AccuracyDataset is the accuracy of one dataset's users ("" for users
// imported without one).
type AccuracyDataset struct {
	Dataset string        `json:"dataset"`
	Rows    []AccuracyRow `json:"conditions"`
}

// AccuracyReport is what an accuracy run measured.
type AccuracyReport struct {
	Backend string `json:"backend"`
	Model   string `json:"model"`
	// Reference and ReferenceModel are the reference model's backend and
	// model; ReferenceTemplateSet its template set's version.
	Reference            string `json:"reference"`
	ReferenceModel       string `json:"reference_model"`
	ReferenceTemplateSet string `json:"reference_template_set,omitempty"`
	// EndOfTurn says whether each response's log-probability counts the
	// end-of-turn token (runs before it could are false).
	EndOfTurn    bool          `json:"end_of_turn"`
	Beta         float64       `json:"beta"`
	Summary      string        `json:"summary"`
	Users        []string      `json:"users,omitempty"`        // the users asked for; all when empty
	Datasets     []string      `json:"datasets,omitempty"`     // the datasets asked for; all when empty
	Template     int           `json:"template_version"`       // the generator prompt's, for runs before template sets
	TemplateSet  string        `json:"template_set,omitempty"` // the version of the generator's template set
	HeldoutPairs int           `json:"heldout_pairs"`
	Rows         []AccuracyRow `json:"conditions"`
	// ByDataset is the same per dataset, with AccuracyOptions.ByDataset.
	ByDataset []AccuracyDataset `json:"by_dataset,omitempty"`
	// Pairs are every scored pair under every condition, in the order of
	// the users and their pairs, with AccuracyOptions.KeepPairs.
	Pairs []PairScore   `json:"-"`
	Run   engine.Report `json:"-"` // the batch run: failures, throughput
}

// tieTolerance is how close two scores must be to tie, in nats: log-
// probabilities come as decimal text, and r(y) is a difference of sums,
// so equal scores can differ in the last bits.
const tieTolerance = 1e-6

// Check reports what is wrong with the options' --summary, --condition
// and --beta values, before anything runs.
func (opt AccuracyOptions) Check() error {
	_, err := opt.normalized()
	return err
}

// normalized fills in the defaults (the current summary; the summary
// condition; the generator as its own reference; DefaultBeta) and keeps
// each condition once.
func (opt AccuracyOptions) normalized() (AccuracyOptions, error) {
	if opt.Summary == "" {
		opt.Summary = SummaryCurrent
	}
	if !slices.Contains([]string{SummaryCurrent, SummaryModel, SummaryHuman, SummaryHeuristic}, opt.Summary) {
		return opt, fmt.Errorf("unknown summary %q (want current, model, human or heuristic)", opt.Summary)
	}
	if opt.Beta == 0 {
		opt.Beta = DefaultBeta
	}
	if !(opt.Beta > 0) || math.IsInf(opt.Beta, 1) {
		return opt, fmt.Errorf("β must be a positive number, not %v", opt.Beta)
	}
	if opt.Reference == "" {
		opt.Reference = opt.Backend
	}
	conditions, err := engine.Conditions(opt.Conditions)
	if err != nil {
		return opt, err
	}
	opt.Conditions = conditions
	return opt, nil
}

// Accuracy measures preference accuracy over every held-out pair of the
// users asked for, on a generator backend of e that scores given
// responses against a reference backend that does too, through the batch
// runner: the pairs run concurrency at a time, and each pair's scoring
// requests (one per response and server, each scoring it after every
// prompt that server is asked) go at once.
func Accuracy(ctx context.Context, e *engine.Engine, opt AccuracyOptions, progress func(engine.Progress)) (AccuracyReport, error) {
	opt, err := opt.normalized()
	if err != nil {
		return AccuracyReport{}, err
	}
	srv, err := openScorers(ctx, e, opt)
	if err != nil {
		return AccuracyReport{}, err
	}
	users, total, datasets, err := accuracyUsers(e, opt)
	if err != nil {
		return AccuracyReport{}, err
	}
	tally := newAccuracyTally(opt)
	jobs := func(emit func(engine.Job) bool) error {
		seq := 0
		for _, u := range users {
			pairs, err := heldoutPairs(e, opt, u)
			if err != nil {
				return err
			}
			for _, pair := range pairs {
				item, at, dataset := u+"/"+pair.pair.ID, seq, datasets[u]
				seq++
				ok := emit(engine.Job{Item: item, Run: func(ctx context.Context) (engine.Outcome, error) {
					res, err := srv.scorePair(ctx, pair, opt.Conditions)
					if err == nil {
						tally.add(res, pairKey{user: pair.user, pair: pair.pair.ID, item: item, dataset: dataset, seq: at})
					}
					return engine.Outcome{Requests: res.requests}, err
				}})
				if !ok {
					return nil
				}
			}
		}
		return nil
	}
	run, err := engine.RunJobs(ctx, total, jobs, opt.Concurrency, progress)
	rep, rerr := srv.report(e, opt)
	if rerr != nil {
		return AccuracyReport{}, rerr
	}
	rep.HeldoutPairs, rep.Run = total, run
	rep.Rows, rep.ByDataset, rep.Pairs = tally.result()
	if len(opt.Users) > 0 {
		rep.Users = users
	}
	return rep, err
}

// accuracyUsers is the users a run covers (the given ones, or all, of
// the datasets asked for), how many held-out pairs they have, and, when
// the run filters or groups by dataset, each user's dataset.
func accuracyUsers(e *engine.Engine, opt AccuracyOptions) (users []string, total int, datasets map[string]string, err error) {
	if users, err = e.SelectUsers(opt.Users); err != nil {
		return nil, 0, nil, err
	}
	if len(opt.Datasets) > 0 || opt.ByDataset {
		if datasets, err = userDatasets(e.DB()); err != nil {
			return nil, 0, nil, fmt.Errorf("preference accuracy: %w", err)
		}
	}
	if len(opt.Datasets) > 0 {
		users = slices.DeleteFunc(slices.Clone(users), func(u string) bool { return !slices.Contains(opt.Datasets, datasets[u]) })
	}
	total, err = countItems(e, users, false)
	return users, total, datasets, err
}

// selectUsers is the users a run covers (the given ones, or all), and
// how many held-out pairs they have (and tasks, with tasks), counted from
// the index alone, for the progress bar.
func selectUsers(e *engine.Engine, given []string, tasks bool) (users []string, total int, err error) {
	if users, err = e.SelectUsers(given); err != nil {
		return nil, 0, err
	}
	total, err = countItems(e, users, tasks)
	return users, total, err
}

// countItems counts the users' held-out pairs (and tasks, with tasks).
func countItems(e *engine.Engine, users []string, tasks bool) (total int, err error) {
	for _, u := range users {
		rec, err := e.DB().User(u)
		if err != nil {
			return 0, err
		}
		total += rec.Counts.HeldoutPairs
		if tasks {
			total += rec.Counts.Tasks
		}
	}
	return total, nil
}

// heldoutPairs is what each of the user's held-out pairs is scored with
// on the generator backend and the reference's.
func heldoutPairs(e *engine.Engine, opt AccuracyOptions, user string) ([]pairInputs, error) {
	signals, err := e.DB().Signals(user)
	if err != nil {
		return nil, err
	}
	summary, hasSummary, err := summaryOfKind(e.DB(), user, opt.Summary)
	if err != nil {
		return nil, err
	}
	gen, err := promptsFor(e, opt.Backend, user, signals)
	if err != nil {
		return nil, err
	}
	ref := gen
	if opt.Reference != opt.Backend {
		if ref, err = promptsFor(e, opt.Reference, user, signals); err != nil {
			return nil, err
		}
	}
	var pairs []pairInputs
	for _, s := range signals {
		if s.Kind == store.KindPair && s.Split == store.SplitHeldout {
			pairs = append(pairs, pairInputs{user: user, pair: s, summary: summary, hasSummary: hasSummary, gen: gen, ref: ref})
		}
	}
	return pairs, nil
}

// promptsFor is a backend's template set and the user's history as the
// backend may see it.
func promptsFor(e *engine.Engine, backend, user string, signals []store.Signal) (userPrompts, error) {
	set, err := e.Prompts(backend)
	if err != nil {
		return userPrompts{}, err
	}
	d, err := e.PromptData(backend, user, signals)
	if err != nil {
		return userPrompts{}, err
	}
	return userPrompts{set: set, data: d}, nil
}

// summaryOfKind is the user's summary that conditions the summary
// condition.
func summaryOfKind(db *store.DB, user, kind string) (store.Summary, bool, error) {
	if kind == SummaryCurrent {
		return db.CurrentSummary(user)
	}
	all, err := db.Summaries(user)
	if err != nil {
		return store.Summary{}, false, err
	}
	for i := len(all) - 1; i >= 0; i-- {
		s := all[i]
		if (kind == SummaryModel && s.IsModel()) || (kind == SummaryHuman && s.Source == store.SourceHuman) ||
			(kind == SummaryHeuristic && s.Source == store.SourceHeuristic) {
			return s, true, nil
		}
	}
	return store.Summary{}, false, nil
}
