package eval

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/popi-tui/popi-tui/engine"
	"github.com/popi-tui/popi-tui/store"
)

// What a judge run compares (README: eval, judge): the summary answer
// against an opponent of the caller's choice, in both orders or in one
// drawn from a seed, the judge told one chosen thing about the user.

// Orders of a judge run.
const (
	// OrdersBoth judges each pair of answers twice, once in each order,
	// and averages the two verdicts: the judge's taste for a position
	// cancels out.
	OrdersBoth = "both"
	// OrdersOne judges each pair once, in an order drawn from the seed
	// (as alpaca_eval does): half the requests, one vote a prompt, and
	// position bias that averages out over prompts rather than within
	// each.
	OrdersOne = "one"
)

// opponentConditions are what a generator answers under, as --against lists them.
var opponentConditions = []string{store.ConditionSummary, store.ConditionRaw, store.ConditionNone}

// Opponent is what the summary answer is set against: a generator's
// answer under a condition.
type Opponent struct {
	Backend   string // a generator backend; "" is the run's generator
	Condition string // summary, raw or none; "" is none
}

// String is the opponent as --against takes it.
func (o Opponent) String() string { return o.Backend + ":" + o.Condition }

// ParseOpponent reads BACKEND:CONDITION, split at the last colon, so that
// a backend name may hold one (JudgeOptions.Check checks the condition).
func ParseOpponent(s string) (Opponent, error) {
	i := strings.LastIndexByte(s, ':')
	if i <= 0 || i == len(s)-1 {
		return Opponent{}, fmt.Errorf("opponent %q: want BACKEND:CONDITION, e.g. base:none", s)
	}
	return Opponent{Backend: s[:i], Condition: s[i+1:]}, nil
}

// Check says what is wrong with the options' choices, if anything, before
// a run: an unknown order, what the judge is told, or an opponent that is
// the summary answer itself. Backend names are the engine's to check.
func (o JudgeOptions) Check() error {
	o = o.withDefaults()
	if !slices.Contains([]string{OrdersBoth, OrdersOne}, o.Orders) {
		return fmt.Errorf("unknown orders %q (want both or one)", o.Orders)
	}
	if !slices.Contains(engine.JudgeTold, o.Told) {
		return fmt.Errorf("unknown persona %q: the judge can be told the user's %s", o.Told, strings.Join(engine.JudgeTold, ", "))
	}
	if !slices.Contains(opponentConditions, o.Against.Condition) {
		return fmt.Errorf("opponent %s: unknown condition %q (want %s)", o.Against, o.Against.Condition, strings.Join(opponentConditions, "|"))
	}
	if o.Against.Backend == o.Generator && o.Against.Condition == store.ConditionSummary {
		return fmt.Errorf("opponent %s is the summary answer itself: choose another condition or backend", o.Against)
	}
	return nil
}

// withDefaults fills what was left zero: the generator with nothing as
// the opponent, both orders, the persona.
func (o JudgeOptions) withDefaults() JudgeOptions {
	if o.Against.Backend == "" {
		o.Against.Backend = o.Generator
	}
	if o.Against.Condition == "" {
		o.Against.Condition = store.ConditionNone
	}
	if o.Orders == "" {
		o.Orders = OrdersBoth
	}
	if o.Told == "" {
		o.Told = engine.JudgeToldPersona
	}
	return o
}

// SummaryFirst is the order a prompt is judged in under OrdersOne: the
// summary answer is shown first (as answer A) when the first byte of
// SHA-256(seed in decimal, NUL, user, NUL, prompt id) is even. It depends
// on nothing else, so a rerun, a run over a subset of users, or one with
// another opponent draws the same order for the same prompt; a hash
// rather than a random stream, so that no prompt's draw depends on the
// ones before it.
func SummaryFirst(seed int64, user, promptID string) bool {
	h := sha256.Sum256([]byte(strconv.FormatInt(seed, 10) + "\x00" + user + "\x00" + promptID))
	return h[0]%2 == 0
}

// orderOf is the orders a prompt is judged in, as whether the summary
// answer is shown first in each.
func (o JudgeOptions) orderOf(user, promptID string) []bool {
	if o.Orders == OrdersOne {
		return []bool{SummaryFirst(o.Seed, user, promptID)}
	}
	return []bool{true, false}
}

// orderName names an order in the report.
func orderName(summaryFirst bool) string {
	if summaryFirst {
		return "summary first"
	}
	return "opponent first"
}
