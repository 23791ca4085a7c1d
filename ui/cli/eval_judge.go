package cli

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/engine/eval"
	"github.com/popi-tui/popi-tui/store"
	"github.com/popi-tui/popi-tui/ui/sanitize"
)

// The judge's choices on eval's command line (README: eval, judge): what
// the summary answer is set against (--against), in how many orders
// (--orders, --seed), and what the judge is told of the user (--persona).

// defaultJudgeSeed is --seed's default, the README's documented one.
const defaultJudgeSeed = 1

// judgeFlags are eval's flags for the judge, as given.
type judgeFlags struct {
	against  string
	orders   string
	seed     int64
	persona  string
	opponent eval.Opponent // --against, parsed by check
}

func (j *judgeFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&j.against, "against", "", "judge: set the summary answer against `BACKEND:CONDITION` (condition summary, raw or none; default: --backend with none)")
	fs.StringVar(&j.orders, "orders", eval.OrdersBoth, "judge: `both` orders of each pair of answers, or one order a prompt drawn from --seed")
	fs.Int64Var(&j.seed, "seed", defaultJudgeSeed, "judge --orders one: the seed `N` each prompt's order is drawn from")
	fs.StringVar(&j.persona, "persona", engine.JudgeToldPersona, "judge: tell the judge the user's `persona`, profile or history")
}

// check checks the judge's flags before the database is opened: their
// values, and that they are given only with --metric judge (or they would
// look applied when they are not). generator is --backend, "" for the
// default (checkAgainst checks again once it is known).
func (j *judgeFlags) check(metrics []string, generator string) error {
	judge := slices.Contains(metrics, metricJudge)
	given := j.against != "" || j.orders != eval.OrdersBoth || j.persona != engine.JudgeToldPersona
	switch {
	case given && !judge:
		return usagef("--against, --orders and --persona apply to --metric judge")
	case j.seed != defaultJudgeSeed && j.orders != eval.OrdersOne:
		return usagef("--seed applies to --orders one: each prompt's order is drawn from it")
	}
	if j.against != "" {
		o, err := eval.ParseOpponent(j.against)
		if err != nil {
			return usagef("--against: %s", sanitize.Line(err.Error()))
		}
		j.opponent = o
	}
	if err := j.options(generator).Check(); err != nil {
		return usagef("%s", sanitize.Line(err.Error()))
	}
	return nil
}

// checkAgainst checks --against's backend against the configuration once
// the engine is open: a generator that answers under a condition (a model
// server), and not the summary answer itself.
func (j *judgeFlags) checkAgainst(e *engine.Engine, generator string) error {
	if generator == "" {
		generator = e.DefaultBackend(engine.RoleGenerator)
	}
	if name := j.opponent.Backend; name != "" {
		if err := checkBackendName(e, "--against", name, engine.RoleGenerator); err != nil {
			return err
		}
		if cfg, err := e.Backend(name, engine.RoleGenerator); err != nil || cfg.Kind != engine.KindOpenAI {
			return usagef("--against %q: backend %s is the offline engine, which answers no condition (give a model server)", sanitize.Line(j.against), sanitize.Line(name))
		}
	}
	if err := j.options(generator).Check(); err != nil {
		return usagef("%s", sanitize.Line(err.Error()))
	}
	return nil
}

// options are the judge's choices as eval takes them, for the generator.
func (j *judgeFlags) options(generator string) eval.JudgeOptions {
	return eval.JudgeOptions{Generator: generator, Against: j.opponent, Orders: j.orders, Seed: j.seed, Told: j.persona}
}

// apply sets the judge's choices in opt.
func (j *judgeFlags) apply(opt *eval.JudgeOptions) {
	o := j.options(opt.Generator)
	opt.Against, opt.Orders, opt.Seed, opt.Told = o.Against, o.Orders, o.Seed, o.Told
}

// judgeKey is what a judge run is kept under: its setting. A run with the
// default choices keeps the key runs had before they could be chosen, so
// that it follows them as the latest of its kind; each other choice is
// named, and runs of different choices are different runs.
func judgeKey(rep eval.JudgeReport) string {
	key := fmt.Sprintf("judge %s/%s generator=%s users=%s", rep.Judge, rep.JudgeModel, rep.Generator, usersKey(rep.Users))
	if rep.AgainstBackend != rep.Generator || rep.AgainstCondition != store.ConditionNone {
		key += fmt.Sprintf(" against=%s/%s:%s", rep.AgainstBackend, rep.AgainstModel, rep.AgainstCondition)
	}
	if rep.Orders == eval.OrdersOne {
		key += fmt.Sprintf(" orders=one seed=%d", rep.Seed)
	}
	if rep.Told != engine.JudgeToldPersona {
		key += " persona=" + rep.Told
	}
	return key
}

func printJudge(w io.Writer, j *judgeJSON) {
	fmt.Fprintf(w, "Judge win rate — judge %s (%s) on generator %s: the answer with the summary against %s%s\n",
		sanitize.Line(j.Judge), sanitize.Line(j.JudgeModel), sanitize.Line(j.Generator), opponentPhrase(j.JudgeReport), usersNote(j.Users))
	orders := "in both orders"
	if j.Orders == eval.OrdersOne {
		orders = fmt.Sprintf("in one order a prompt (seed %d)", j.Seed)
	}
	fmt.Fprintf(w, "  judged %s, told the user's %s\n", orders, sanitize.Line(j.Told))
	fmt.Fprintf(w, "  %d prompts: %d wins, %d ties, %d losses; %d with an unreadable verdict, %s\n",
		j.Items, j.Wins, j.Ties, j.Losses, j.MalformedItems, skippedPhrase(j.Skipped, j.SkippedReasons))
	if n := j.Wins + j.Ties + j.Losses; n > 0 {
		agreement := fmt.Sprintf("the same verdict in both orders %d/%d", j.Consistent, n)
		if j.Orders == eval.OrdersOne {
			agreement = fmt.Sprintf("the summary answer shown first in %d of %d", j.SummaryFirst, j.Items-j.Skipped)
		}
		fmt.Fprintf(w, "  win rate %s %s · %s · answer A picked in %d of %d verdicts read\n",
			pct(j.WinRate), interval(j.Low, j.High), agreement, j.FirstPicked, j.Verdicts)
	}
	for i, m := range j.Malformed {
		if i == 5 {
			fmt.Fprintf(w, "  … and %d more unreadable verdicts (--json lists them all)\n", len(j.Malformed)-i)
			break
		}
		fmt.Fprintf(w, "  unreadable: %s (%s): %q\n", sanitize.Line(m.Item), sanitize.Line(m.Order), sanitize.Line(m.Answer))
	}
	fmt.Fprintf(w, "  %s\n", runLine(j.Run))
	printRunErrors(w, j.Run)
}

// opponentPhrase says what the summary answer was set against.
func opponentPhrase(r eval.JudgeReport) string {
	given := map[string]string{store.ConditionNone: "nothing", store.ConditionRaw: "the raw history", store.ConditionSummary: "the summary"}[r.AgainstCondition]
	if r.AgainstBackend == r.Generator {
		return "the answer with " + given
	}
	return fmt.Sprintf("%s (%s)'s answer with %s", sanitize.Line(r.AgainstBackend), sanitize.Line(r.AgainstModel), given)
}

// skippedPhrase counts the skipped prompts with their reasons.
func skippedPhrase(n int, reasons map[string]int) string {
	if n == 0 {
		return "0 skipped"
	}
	var why []string
	for _, r := range slices.Sorted(maps.Keys(reasons)) {
		why = append(why, fmt.Sprintf("%d %s", reasons[r], sanitize.Line(r)))
	}
	return fmt.Sprintf("%d skipped (%s)", n, strings.Join(why, ", "))
}
