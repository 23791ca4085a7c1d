package stats

import (
	"errors"
	"fmt"
)

// ErrNoVariation is returned by the kappas when every rating is one and
// the same category. Expected agreement is then 1 and κ = (P − Pe)/(1 − Pe)
// is 0/0: the raters agree perfectly, but nothing shows that they agree
// more than chance would. Callers report the observed agreement (which is
// 1) instead of a κ.
var ErrNoVariation = errors.New("every rating is the same category: expected agreement is 1 and kappa is undefined")

// CohenKappa is Cohen's κ for two raters who rated the same items: a[i]
// and b[i] are their categories for item i. κ = (po − pe)/(1 − pe), where
// po is the share of items they agree on and pe = Σ_k pa(k)·pb(k) the
// agreement expected from each rater's own category frequencies.
//
// It fails when the lengths differ, with fewer than 2 items, and with
// ErrNoVariation in the degenerate case pe = 1 (both raters always used
// the one same category).
func CohenKappa(a, b []string) (float64, error) {
	if len(a) != len(b) {
		return 0, fmt.Errorf("cohen's kappa: %d ratings against %d", len(a), len(b))
	}
	n := len(a)
	if n < 2 {
		return 0, fmt.Errorf("cohen's kappa: %d items (want at least 2)", n)
	}
	// Counts are kept as integers so that pe = 1 is detected exactly:
	// Σ_k ca(k)·cb(k) = n² only when both raters used one same category.
	ca, cb := map[string]int{}, map[string]int{}
	agree := 0
	for i := range a {
		ca[a[i]]++
		cb[b[i]]++
		if a[i] == b[i] {
			agree++
		}
	}
	chance := 0
	for k, x := range ca {
		chance += x * cb[k]
	}
	if chance == n*n {
		return 0, ErrNoVariation
	}
	nf := float64(n)
	po, pe := float64(agree)/nf, float64(chance)/(nf*nf)
	return (po - pe) / (1 - pe), nil
}

// FleissKappa is Fleiss' κ generalized to items rated by varying numbers
// of raters. items[i][j] is how many raters put item i in category j;
// every row has the same categories, and every item at least 2 ratings.
//
//	P_i = (Σ_j n_ij² − n_i) / (n_i(n_i − 1))   agreeing rater pairs of item i
//	P̄   = mean of P_i
//	p_j = Σ_i n_ij / Σ_i n_i                   share of all ratings in j
//	P_e = Σ_j p_j²
//	κ   = (P̄ − P_e) / (1 − P_e)
//
// With the same number of raters for every item this is Fleiss' κ. It
// needs at least 2 items, and fails with ErrNoVariation when every rating
// is the one same category (P_e = 1).
func FleissKappa(items [][]int) (float64, error) {
	observed, expected, oneCategory, err := fleiss(items)
	switch {
	case err != nil:
		return 0, err
	case oneCategory:
		return 0, ErrNoVariation
	}
	return (observed - expected) / (1 - expected), nil
}

// FleissAgreement returns FleissKappa's P̄ (the observed agreement: the
// share of agreeing pairs of ratings, averaged over items) and P_e (the
// agreement expected by chance), which stay defined when κ is not.
func FleissAgreement(items [][]int) (observed, expected float64, err error) {
	observed, expected, _, err = fleiss(items)
	return observed, expected, err
}

func fleiss(items [][]int) (pBar, pe float64, oneCategory bool, err error) {
	if len(items) < 2 {
		return 0, 0, false, fmt.Errorf("fleiss' kappa: %d items (want at least 2)", len(items))
	}
	k := len(items[0])
	total := make([]int, k)
	sumP, all := 0.0, 0
	for i, row := range items {
		if len(row) != k {
			return 0, 0, false, fmt.Errorf("fleiss' kappa: item %d has %d categories (item 0 has %d)", i, len(row), k)
		}
		ni, sq := 0, 0
		for j, x := range row {
			if x < 0 {
				return 0, 0, false, fmt.Errorf("fleiss' kappa: item %d has a negative count %d", i, x)
			}
			ni += x
			sq += x * x
			total[j] += x
		}
		if ni < 2 {
			return 0, 0, false, fmt.Errorf("fleiss' kappa: item %d has %d ratings (want at least 2)", i, ni)
		}
		sumP += float64(sq-ni) / float64(ni*(ni-1))
		all += ni
	}
	// Counted in integers so that "one category only" (P_e = 1) is
	// decided exactly, not by comparing a rounded sum with 1.
	used := 0
	for _, t := range total {
		if t > 0 {
			used++
		}
		p := float64(t) / float64(all)
		pe += p * p
	}
	return sumP / float64(len(items)), pe, used == 1, nil
}
