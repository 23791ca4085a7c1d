package eval

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
)

// The judge win rate (the POPI paper's second metric): for each held-out
// prompt and task, a generator's answer with the user's summary against
// an opponent's answer (by default the same generator's with nothing; POPI
// sets it against a base model's), judged by a judge model that is told
// one chosen thing about the user. Each pair of answers is judged in both
// orders, to cancel the judge's taste for a position, or in one order
// drawn from a seed; a verdict that cannot be read is counted as
// malformed and reported, never guessed.

// JudgeOptions choose what a judge run compares. The zero values of
// Against, Orders and Told are the defaults: the generator with nothing,
// both orders, the persona.
type JudgeOptions struct {
	Judge     string   // a backend with the judge role
	Generator string   // the generator whose summary answers are judged
	Against   Opponent // what they are set against
	Orders    string   // OrdersBoth or OrdersOne
	Seed      int64    // OrdersOne: the seed each prompt's order is drawn from (SummaryFirst)
	// Told is what the judge is told about the user (engine.JudgeTold);
	// a user who lacks it is skipped.
	Told        string
	Users       []string // all users when empty
	Concurrency int      // items at once; the backends' own limits still hold
}

// JudgeReport is what a judge run found. Wins, ties and losses are the
// summary answer's, over items whose verdicts were all read: an item is
// one vote, of its two verdicts' mean (both orders) or of its one verdict.
type JudgeReport struct {
	Judge      string `json:"judge"`
	JudgeModel string `json:"judge_model"`
	Generator  string `json:"generator"`
	// The opponent, and how the run was judged (runs before these were
	// chosen read as the defaults: the generator with none, both orders,
	// the persona).
	AgainstBackend   string `json:"against_backend"`
	AgainstModel     string `json:"against_model"`
	AgainstCondition string `json:"against_condition"`
	Orders           string `json:"orders"`
	Seed             int64  `json:"seed"`    // what one-order runs drew each order from
	Told             string `json:"persona"` // what the judge was told: persona, profile or history
	// Users are the users asked for; all when empty.
	Users []string `json:"users,omitempty"`
	// Template is the judge prompt's version, for runs before template
	// sets; TemplateSet is the version of the judge's template set.
	Template    int     `json:"template_version"`
	TemplateSet string  `json:"template_set,omitempty"`
	Items       int     `json:"items"` // prompts judged (verdicts read or not) or skipped
	Wins        int     `json:"wins"`
	Ties        int     `json:"ties"`
	Losses      int     `json:"losses"`
	WinRate     float64 `json:"win_rate"` // (wins + ties/2) / (wins + ties + losses)
	Low         float64 `json:"ci95_low"` // Wilson 95% interval
	High        float64 `json:"ci95_high"`
	// Consistent items (both orders only) got the same verdict in both
	// orders; FirstPicked counts the verdicts that chose answer A,
	// whichever it was: a judge that picks A far more than half the time
	// has a taste for the first position. SummaryFirst counts the
	// one-order items that showed the summary answer first.
	Consistent   int `json:"consistent"`
	FirstPicked  int `json:"first_picked"`
	Verdicts     int `json:"verdicts_read"`
	SummaryFirst int `json:"summary_first"`
	// MalformedItems had a verdict that could not be read (in either
	// order); Malformed lists those verdicts, as the judge wrote them.
	MalformedItems int                `json:"malformed_items"`
	Malformed      []MalformedVerdict `json:"malformed"`
	// Skipped items could not be asked, for the reasons counted in
	// SkippedReasons (SkipNoSummary, SkipNoRawInput, "no " + Told).
	Skipped        int            `json:"skipped"`
	SkippedReasons map[string]int `json:"skipped_reasons"`
	Run            engine.Report  `json:"-"`
}

// MalformedVerdict is a judge's answer that ends in no verdict.
type MalformedVerdict struct {
	Item   string `json:"item"`
	Order  string `json:"order"`  // "summary first" or "opponent first"
	Answer string `json:"answer"` // the end of what the judge wrote
}

// Judge verdicts.
const (
	verdictA   = "A"
	verdictB   = "B"
	verdictTie = "tie"
)

// verdictLine is the last line the judge is asked to write.
var verdictLine = regexp.MustCompile(`(?i)^[\s*_#>-]*verdict[\s*_]*[:：][\s*_]*([a-z]+)[\s*_.!]*$`)

// parseVerdict reads the verdict from the judge's last line of the form
// "Verdict: A|B|tie" (any case, Markdown emphasis allowed); anything else
// is malformed.
func parseVerdict(answer string) (string, bool) {
	text := strings.TrimSpace(engine.StripReasoning(answer))
	lines := strings.Split(text, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l == "" {
			continue
		}
		m := verdictLine.FindStringSubmatch(l)
		if m == nil {
			return "", false
		}
		switch strings.ToLower(m[1]) {
		case "a":
			return verdictA, true
		case "b":
			return verdictB, true
		case "tie":
			return verdictTie, true
		}
		return "", false
	}
	return "", false
}

// JudgeWinRate runs the judge over every held-out prompt and task, on
// the backends of e.
func JudgeWinRate(ctx context.Context, e *engine.Engine, opt JudgeOptions, progress func(engine.Progress)) (JudgeReport, error) {
	opt = opt.withDefaults()
	if err := opt.Check(); err != nil {
		return JudgeReport{}, err
	}
	judge, err := e.Server(opt.Judge, engine.RoleJudge)
	if errors.Is(err, engine.ErrOffline) {
		return JudgeReport{}, fmt.Errorf("backend %s cannot judge: it is the offline engine", opt.Judge)
	}
	if err != nil {
		return JudgeReport{}, err
	}
	if _, err := answeringGenerator(e, opt.Generator, "--backend"); err != nil {
		return JudgeReport{}, err
	}
	against, err := answeringGenerator(e, opt.Against.Backend, "--against")
	if err != nil {
		return JudgeReport{}, err
	}
	users, total, err := selectUsers(e, opt.Users, true)
	if err != nil {
		return JudgeReport{}, err
	}
	t := &judgeTally{}
	jobs := func(emit func(engine.Job) bool) error {
		for _, u := range users {
			if more, err := userJudgeJobs(e, judge, opt, u, t, emit); err != nil || !more {
				return err
			}
		}
		return nil
	}
	run, err := engine.RunJobs(ctx, total, jobs, opt.Concurrency, progress)
	rep := t.report()
	cfg := judge.Config()
	rep.Judge, rep.JudgeModel, rep.Generator, rep.Run = cfg.Name, cfg.Model, opt.Generator, run
	rep.AgainstBackend, rep.AgainstModel, rep.AgainstCondition = against.Name, against.Model, opt.Against.Condition
	rep.Orders, rep.Seed, rep.Told = opt.Orders, opt.Seed, opt.Told
	set, err2 := e.Prompts(cfg.Name)
	if err2 != nil {
		return rep, err2
	}
	rep.TemplateSet = set.Version()
	if len(opt.Users) > 0 {
		rep.Users = users
	}
	return rep, err
}

// answeringGenerator is the generator backend name, refused when it is
// the offline engine: the replay generator answers a held-out prompt
// with the pair's own responses, under no condition, so there is no
// conditioned answer of it to judge. flag names the option that chose it.
func answeringGenerator(e *engine.Engine, name, flag string) (engine.BackendConfig, error) {
	gen, err := e.Backend(name, engine.RoleGenerator)
	if err != nil {
		return engine.BackendConfig{}, fmt.Errorf("%s: %w", flag, err)
	}
	if gen.Kind != engine.KindOpenAI {
		return engine.BackendConfig{}, fmt.Errorf("backend %s cannot be judged: it is the offline engine, which answers no condition (give %s a model server)", name, flag)
	}
	return gen, nil
}

// userJudgeJobs emits a job for each of the user's held-out prompts and
// tasks. A user who lacks what the judge is to be told has every prompt
// skipped, with that reason, before any answer is generated. more is
// false when the run stopped taking jobs.
func userJudgeJobs(e *engine.Engine, judge *engine.Server, opt JudgeOptions, u string, t *judgeTally, emit func(engine.Job) bool) (more bool, err error) {
	signals, err := e.DB().Signals(u)
	if err != nil {
		return false, fmt.Errorf("judge: user %q: %w", u, err)
	}
	d, err := e.JudgeData(u, signals, opt.Told)
	lacks := errors.Is(err, engine.ErrNothingToTell)
	if err != nil && !lacks {
		return false, fmt.Errorf("judge: %w", err)
	}
	for _, s := range signals {
		if s.Kind != store.KindTask && (s.Kind != store.KindPair || s.Split != store.SplitHeldout) {
			continue
		}
		item := u + "/" + s.ID
		run := func(ctx context.Context) (engine.Outcome, error) {
			return judgeItem(ctx, e, judge, opt, item, s, d, t)
		}
		if lacks {
			run = func(context.Context) (engine.Outcome, error) {
				t.skip("no " + opt.Told)
				return engine.Outcome{Skipped: true}, nil
			}
		}
		if !emit(engine.Job{Item: item, Run: run}) {
			return false, nil
		}
	}
	return true, nil
}

// judgeItem gets the two answers (cached, or generated now) and has them
// judged in the item's orders, at once.
func judgeItem(ctx context.Context, e *engine.Engine, judge *engine.Server, opt JudgeOptions, item string, s store.Signal, d engine.PromptData, t *judgeTally) (engine.Outcome, error) {
	set, err := e.Prompts(judge.Config().Name)
	if err != nil {
		return engine.Outcome{}, err
	}
	summary, opponent, out, skip, err := judgeAnswers(ctx, opt, e, s)
	if err != nil {
		return out, err
	}
	if skip != "" {
		t.skip(skip)
		out.Skipped = true
		return out, nil
	}
	first := opt.orderOf(s.User, s.ID)
	orders := make([][]store.Message, len(first)) // rendered before anything is sent: a template that fails sends nothing
	for k, summaryFirst := range first {
		d.Prompt, d.AnswerA, d.AnswerB = s.Prompt, summary, opponent
		if !summaryFirst {
			d.AnswerA, d.AnswerB = opponent, summary
		}
		if orders[k], err = set.Judge(d); err != nil {
			return out, err
		}
	}
	raw, err := askJudge(ctx, judge, orders)
	if err != nil {
		return out, err
	}
	out.Requests += len(orders)
	verdicts := make([]string, len(first))
	var malformed []MalformedVerdict
	for k := range first {
		v, ok := parseVerdict(raw[k])
		if !ok {
			malformed = append(malformed, MalformedVerdict{Item: item, Order: orderName(first[k]), Answer: tail(raw[k], 200)})
		}
		verdicts[k] = v
	}
	t.add(first, verdicts, malformed)
	return out, nil
}

// judgeAnswers are the summary answer and the opponent's (cached, or
// generated now), or the reason the item is skipped: the summary answer
// lacks a summary, or the opponent what its condition shows. out counts
// the answers generated.
func judgeAnswers(ctx context.Context, opt JudgeOptions, e *engine.Engine, s store.Signal) (summary, opponent string, out engine.Outcome, skip string, err error) {
	var answers [2]string
	for i, o := range []Opponent{{opt.Generator, store.ConditionSummary}, opt.Against} {
		g, cached, err := e.Generate(ctx, engine.GenerateRequest{User: s.User, PromptID: s.ID, Condition: o.Condition, Backend: o.Backend}, nil)
		switch {
		case errors.Is(err, engine.ErrNoSummary):
			return "", "", out, SkipNoSummary, nil
		case errors.Is(err, store.ErrNoHistory):
			return "", "", out, SkipNoRawInput, nil
		case err != nil:
			return "", "", out, "", err
		}
		if !cached {
			out.Requests++
		}
		answers[i] = g.Text
	}
	return answers[0], answers[1], out, "", nil
}

// askJudge sends the judge every order at once and returns what it wrote
// in each.
func askJudge(ctx context.Context, judge *engine.Server, orders [][]store.Message) ([]string, error) {
	raw := make([]string, len(orders))
	errs := make([]error, len(orders))
	var wg sync.WaitGroup
	for k, msgs := range orders {
		wg.Go(func() {
			c, err := judge.Complete(ctx, msgs, nil)
			raw[k], errs[k] = c.Text, err
		})
	}
	wg.Wait()
	return raw, errors.Join(errs...)
}

// tail is the end of s, at most n bytes (at a rune boundary).
func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	i := len(s) - n
	for i < len(s) && (s[i]&0xC0) == 0x80 {
		i++
	}
	return "…" + s[i:]
}
