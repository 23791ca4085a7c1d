package eval

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/engine/eval/stats"
	"github.com/popi-tui/popi-tui/store"
)

// The judge win rate (the POPI paper's second metric): for each held-out
// prompt and task, a generator's answer with the user's summary against
// its answer with nothing, judged by a judge model that is told who the
// user is. Each pair of answers is judged in both orders, to cancel the
// judge's taste for a position; a verdict that cannot be read is counted
// as malformed and reported, never guessed.

// JudgeOptions choose what a judge run compares.
type JudgeOptions struct {
	Judge       string   // a backend with the judge role
	Generator   string   // the generator whose summary and none answers are compared
	Users       []string // all users when empty
	Concurrency int      // items at once; the backends' own limits still hold
}

// JudgeReport is what a judge run found. Wins, ties and losses are the
// summary answer's, over items whose two verdicts were both read.
type JudgeReport struct {
	Judge      string `json:"judge"`
	JudgeModel string `json:"judge_model"`
	Generator  string `json:"generator"`
	// Users are the users asked for; all when empty.
	Users []string `json:"users,omitempty"`
	// Template is the judge prompt's version, for runs before template
	// sets; TemplateSet is the version of the judge's template set.
	Template    int     `json:"template_version"`
	TemplateSet string  `json:"template_set,omitempty"`
	Items       int     `json:"items"` // prompts judged (verdicts read or not)
	Wins        int     `json:"wins"`
	Ties        int     `json:"ties"`
	Losses      int     `json:"losses"`
	WinRate     float64 `json:"win_rate"` // (wins + ties/2) / (wins + ties + losses)
	Low         float64 `json:"ci95_low"` // Wilson 95% interval
	High        float64 `json:"ci95_high"`
	// Consistent items got the same verdict in both orders; FirstPicked
	// counts the verdicts (of 2 per item) that chose answer A, whichever
	// it was: a judge that picks A far more than half the time has a
	// taste for the first position.
	Consistent  int `json:"consistent"`
	FirstPicked int `json:"first_picked"`
	Verdicts    int `json:"verdicts_read"`
	// MalformedItems had a verdict that could not be read (in either
	// order); Malformed lists those verdicts, as the judge wrote them.
	MalformedItems int                `json:"malformed_items"`
	Malformed      []MalformedVerdict `json:"malformed"`
	// Skipped items could not be asked: the user has no summary.
	Skipped int           `json:"skipped"`
	Run     engine.Report `json:"-"`
}

// MalformedVerdict is a judge's answer that ends in no verdict.
type MalformedVerdict struct {
	Item   string `json:"item"`
	Order  string `json:"order"`  // "summary first" or "none first"
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
	judge, err := e.Server(opt.Judge, engine.RoleJudge)
	if errors.Is(err, engine.ErrOffline) {
		return JudgeReport{}, fmt.Errorf("backend %s cannot judge: it is the offline engine", opt.Judge)
	}
	if err != nil {
		return JudgeReport{}, err
	}
	gen, err := e.Backend(opt.Generator, engine.RoleGenerator)
	if err != nil {
		return JudgeReport{}, err
	}
	if gen.Kind != engine.KindOpenAI {
		// The replay generator answers a held-out prompt with the pair's
		// own responses, under no condition: there is no summary answer to
		// set against the plain one.
		return JudgeReport{}, fmt.Errorf("backend %s cannot be judged: it is the offline engine, which answers no condition (give --backend a model server)", opt.Generator)
	}
	users, total, err := selectUsers(e, opt.Users, true)
	if err != nil {
		return JudgeReport{}, err
	}
	t := &judgeTally{}
	jobs := func(emit func(engine.Job) bool) error {
		for _, u := range users {
			signals, err := e.DB().Signals(u)
			if err != nil {
				return err
			}
			d, err := e.JudgeData(judge.Config().Name, u, signals)
			if err != nil {
				return err
			}
			for _, s := range signals {
				if s.Kind != store.KindTask && (s.Kind != store.KindPair || s.Split != store.SplitHeldout) {
					continue
				}
				item := u + "/" + s.ID
				ok := emit(engine.Job{Item: item, Run: func(ctx context.Context) (engine.Outcome, error) {
					return judgeItem(ctx, e, judge, opt.Generator, item, s, d, t)
				}})
				if !ok {
					return nil
				}
			}
		}
		return nil
	}
	run, err := engine.RunJobs(ctx, total, jobs, opt.Concurrency, progress)
	rep := t.report()
	cfg := judge.Config()
	rep.Judge, rep.JudgeModel, rep.Generator, rep.Run = cfg.Name, cfg.Model, opt.Generator, run
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

// judgeItem gets the two answers (cached, or generated now) and has them
// judged in both orders at once.
func judgeItem(ctx context.Context, e *engine.Engine, judge *engine.Server, generator, item string, s store.Signal, d engine.PromptData, t *judgeTally) (engine.Outcome, error) {
	set, err := e.Prompts(judge.Config().Name)
	if err != nil {
		return engine.Outcome{}, err
	}
	var answers [2]store.Generation
	requests := 0
	for i, c := range []string{store.ConditionSummary, store.ConditionNone} {
		g, cached, err := e.Generate(ctx, engine.GenerateRequest{User: s.User, PromptID: s.ID, Condition: c, Backend: generator}, nil)
		if errors.Is(err, engine.ErrNoSummary) {
			t.skip()
			return engine.Outcome{Skipped: true}, nil
		}
		if err != nil {
			return engine.Outcome{}, err
		}
		if !cached {
			requests++
		}
		answers[i] = g
	}
	summary, none := answers[0].Text, answers[1].Text
	var orders [2][]store.Message // rendered before anything is sent: a template that fails sends nothing
	for k, o := range [2][2]string{{summary, none}, {none, summary}} {
		d.Prompt, d.AnswerA, d.AnswerB = s.Prompt, o[0], o[1]
		if orders[k], err = set.Judge(d); err != nil {
			return engine.Outcome{Requests: requests}, err
		}
	}
	var verdicts [2]string
	var raw [2]string
	var errs [2]error
	var wg sync.WaitGroup
	for k, msgs := range orders {
		wg.Go(func() {
			c, err := judge.Complete(ctx, msgs, nil)
			raw[k], errs[k] = c.Text, err
		})
	}
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return engine.Outcome{}, err
	}
	requests += 2
	var malformed []MalformedVerdict
	for k := range verdicts {
		v, ok := parseVerdict(raw[k])
		if !ok {
			malformed = append(malformed, MalformedVerdict{Item: item, Order: []string{"summary first", "none first"}[k], Answer: tail(raw[k], 200)})
		}
		verdicts[k] = v
	}
	t.add(verdicts, malformed)
	return engine.Outcome{Requests: requests}, nil
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

// judgeTally adds up items, safely from the batch runner's workers.
type judgeTally struct {
	mu  sync.Mutex
	rep JudgeReport
}

func (t *judgeTally) skip() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.rep.Items++
	t.rep.Skipped++
}

// add counts one item from its two verdicts: the first with the summary
// answer as A, the second with it as B.
func (t *judgeTally) add(verdicts [2]string, malformed []MalformedVerdict) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := &t.rep
	r.Items++
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
	score := func(v, summaryIs string) float64 {
		switch v {
		case summaryIs:
			return 1
		case verdictTie:
			return 0.5
		}
		return 0
	}
	s1, s2 := score(verdicts[0], verdictA), score(verdicts[1], verdictB)
	if s1 == s2 {
		r.Consistent++
	}
	switch mean := (s1 + s2) / 2; {
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
	r.Low, r.High = stats.Wilson(0, 0) // no verdicts: nothing is known
	if n := r.Wins + r.Ties + r.Losses; n > 0 {
		wins := float64(r.Wins) + float64(r.Ties)/2
		r.WinRate = wins / float64(n)
		r.Low, r.High = stats.Wilson(wins, n)
	}
	return r
}
