package engine

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// How the heuristic summary is written from the ranked preferences: the
// headline, one bullet per preference with its evidence, and numbers.

func heurHeadline(prefs []heurPref) string {
	var parts []string
	for i := range prefs {
		if len(parts) == 3 {
			break
		}
		a := prefs[i].aspect()
		if !slices.Contains(parts, a.headline) {
			parts = append(parts, a.headline)
		}
	}
	var b strings.Builder
	b.WriteString("Prefers ")
	for i, s := range parts {
		switch {
		case i == 0:
		case i == len(parts)-1:
			b.WriteString(" and ")
		default:
			b.WriteString(", ")
		}
		b.WriteString(s)
	}
	b.WriteString(".")
	return b.String()
}

func (p *heurPref) aspect() heurAspect {
	if p.more {
		return p.f.more
	}
	return p.f.less
}

func heurBullet(p *heurPref) string {
	a := p.aspect()
	if p.f.binary {
		cs := "none of the preferred answers"
		if p.chosenYes > 0 {
			cs = fmt.Sprintf("%d of %d preferred answers", p.chosenYes, p.n)
		}
		rs := "none of the dispreferred " + p.f.aux
		if p.rejectedYes > 0 {
			rs = fmt.Sprintf("%d of %d dispreferred %s", p.rejectedYes, p.n, p.f.aux)
		}
		return fmt.Sprintf("%s: %s %s; %s.", a.title, cs, a.verb, rs)
	}
	other := ""
	if p.opp > 0 {
		other = fmt.Sprintf(" (%d the other way)", p.opp)
	}
	return fmt.Sprintf("%s: in %d of %d %s%s the preferred answer %s (%s).",
		a.title, p.k, p.n, heurPlural(p.n, "pair", "pairs"), other, a.verb,
		fmt.Sprintf(p.f.evidence, heurNum(p.medC, p.f.decimals), heurNum(p.medR, p.f.decimals)))
}

func heurPlural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// heurNum prints a median: with decimals < 0 as a whole number, or with
// one decimal when it is not whole (a median of counts is a multiple of ½).
func heurNum(x float64, decimals int) string {
	if decimals < 0 {
		if x == math.Trunc(x) {
			return strconv.FormatFloat(x, 'f', 0, 64)
		}
		return strconv.FormatFloat(x, 'f', 1, 64)
	}
	return strconv.FormatFloat(x, 'f', decimals, 64)
}
