// Package stats holds the statistics behind `popi-tui eval`: confidence
// intervals for proportions, medians, chance-corrected agreement between
// annotators (Cohen's and Fleiss' kappa), Bradley–Terry strengths, and DPO's
// margin, implicit rewards and loss for a preference pair.
//
// Everything here is a pure function of its arguments: no I/O and no
// knowledge of the store, so that each formula is tested against numbers
// worked out by hand. Results never hold NaN or infinities, because
// `eval --json` prints them and encoding/json refuses both.
package stats

// Z95 is the standard normal quantile for a two-sided 95% interval.
const Z95 = 1.959963984540054
