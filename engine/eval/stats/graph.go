package stats

import "slices"

// strongComponents splits the comparison graph (an edge i→j when
// w[i][j] > 0: i beat or tied j) into strongly connected components by
// Kosaraju's two passes. Each component is sorted, and components come in
// order of their smallest member, so that every choice made from them is
// deterministic.
func strongComponents(w [][]float64) [][]int {
	k := len(w)
	seen := make([]bool, k)
	order := make([]int, 0, k) // by finishing time
	var forward func(int)
	forward = func(i int) {
		seen[i] = true
		for j := range k {
			if w[i][j] > 0 && !seen[j] {
				forward(j)
			}
		}
		order = append(order, i)
	}
	for i := range k {
		if !seen[i] {
			forward(i)
		}
	}
	comp := make([]int, k)
	for i := range comp {
		comp[i] = -1
	}
	var comps [][]int
	var backward func(i, c int)
	backward = func(i, c int) {
		comp[i] = c
		comps[c] = append(comps[c], i)
		for j := range k {
			if w[j][i] > 0 && comp[j] < 0 {
				backward(j, c)
			}
		}
	}
	for _, i := range slices.Backward(order) {
		if comp[i] < 0 {
			comps = append(comps, nil)
			backward(i, len(comps)-1)
		}
	}
	for _, c := range comps {
		slices.Sort(c)
	}
	slices.SortFunc(comps, func(a, b []int) int { return a[0] - b[0] })
	return comps
}
