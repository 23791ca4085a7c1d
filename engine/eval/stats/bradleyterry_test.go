package stats

import (
	"math"
	"testing"
)

// btWant is one player's expected strength; est false expects the reason.
type btWant struct {
	player    string
	est       bool
	reason    string
	theta, se float64
}

func TestBradleyTerry(t *testing.T) {
	ln2, ln3 := math.Log(2), math.Log(3)
	tests := []struct {
		name      string
		players   []string
		tallies   []Tally
		connected bool
		want      []btWant
	}{
		{
			// p = P(A beats B) = 3/4, so θA − θB = ln(p/(1−p)) = ln 3 and,
			// summing to 0, θA = ln3/2 = .549306.
			// Information: n·p·(1−p) = 4·.75·.25 = .75 on the pair; I = .75·[[1,−1],[−1,1]],
			// whose pseudo-inverse is [[1,−1],[−1,1]]/(4·.75): Var θA = 1/3, SE = .577350
			// (and Var(θA − θB) = 4/3 = 1/(n·p·(1−p)), the logistic log-odds variance).
			name: "two players, 3 to 1", players: []string{"A", "B"},
			tallies: []Tally{{A: "A", B: "B", AWins: 3, BWins: 1}}, connected: true,
			want: []btWant{{"A", true, "", ln3 / 2, math.Sqrt(1.0 / 3)}, {"B", true, "", -ln3 / 2, math.Sqrt(1.0 / 3)}},
		},
		{
			// One win and one tie: A has 1.5 of 2, p = 3/4 again, θA = ln3/2;
			// information 2·.75·.25 = .375, Var θA = 1/(4·.375) = 2/3, SE = .816497.
			name: "a win and a tie", players: []string{"A", "B"},
			tallies: []Tally{{A: "A", B: "B", AWins: 1, Ties: 1}}, connected: true,
			want: []btWant{{"A", true, "", ln3 / 2, math.Sqrt(2.0 / 3)}, {"B", true, "", -ln3 / 2, math.Sqrt(2.0 / 3)}},
		},
		{
			// Ties only: p = ½, θ = 0; information 2·¼ = .5, Var = 1/(4·.5) = ½.
			name: "ties only", players: []string{"A", "B"},
			tallies: []Tally{{A: "A", B: "B", Ties: 2}}, connected: true,
			want: []btWant{{"A", true, "", 0, math.Sqrt(0.5)}, {"B", true, "", 0, math.Sqrt(0.5)}},
		},
		{
			// Lopsided, where a full Newton step from 0 overshoots: θA − θB = ln 1000;
			// information 1001·(1000/1001)(1/1001) = 1000/1001, Var θA = 1001/4000.
			name: "1000 to 1", players: []string{"A", "B"},
			tallies: []Tally{{A: "A", B: "B", AWins: 1000, BWins: 1}}, connected: true,
			want: []btWant{{"A", true, "", math.Log(1000) / 2, math.Sqrt(1001.0 / 4000)}, {"B", true, "", -math.Log(1000) / 2, math.Sqrt(1001.0 / 4000)}},
		},
		{
			// Three players with a closed form: A–B 2:1, B–C 2:1, A–C 4:1 fit
			// π = (4, 2, 1) exactly. Likelihood equations W_i = Σ_j n_ij·πi/(πi+πj):
			//   A: 3·4/6 + 5·4/5 = 2 + 4 = 6 = W_A;  B: 3·2/6 + 3·2/3 = 1 + 2 = 3 = W_B;
			//   C: 3·1/3 + 5·1/5 = 1 + 1 = 2 = W_C.
			// θ = ln(4, 2, 1) − ln 2 = (ln2, 0, −ln2).
			// SE, fixing θC = 0: pair informations n·p·(1−p): AB 3·(2/3)(1/3) = 2/3,
			// BC 2/3, AC 5·(4/5)(1/5) = 4/5. Information of (x, y) = (θA−θC, θB−θC):
			// [[2/3+4/5, −2/3], [−2/3, 2/3+2/3]] = [[22/15, −2/3], [−2/3, 4/3]], det 68/45,
			// inverse [[15/17, 15/34], [15/34, 33/34]].
			// Sum-zero θA = (2x − y)/3: Var = (4·15/17 − 4·15/34 + 33/34)/9 = 31/102;
			// θB = (2y − x)/3: Var = (4·33/34 − 4·15/34 + 15/17)/9 = 1/3;
			// θC = −(x + y)/3: Var = (15/17 + 33/34 + 2·15/34)/9 = 31/102.
			name: "three players, closed form", players: []string{"A", "B", "C"},
			tallies: []Tally{
				{A: "A", B: "B", AWins: 2, BWins: 1},
				{A: "B", B: "C", AWins: 2, BWins: 1},
				{A: "C", B: "A", AWins: 1, BWins: 4},
			}, connected: true,
			want: []btWant{
				{"A", true, "", ln2, math.Sqrt(31.0 / 102)},
				{"B", true, "", 0, math.Sqrt(1.0 / 3)},
				{"C", true, "", -ln2, math.Sqrt(31.0 / 102)},
			},
		},
		{
			// A beat B twice and was never beaten or tied: θA would be +∞.
			// B and C split 1:1: θ = 0, Var = 1/(4·2·¼) = ½.
			name: "a player who never lost", players: []string{"A", "B", "C"},
			tallies: []Tally{{A: "A", B: "B", AWins: 2}, {A: "B", B: "C", AWins: 1, BWins: 1}},
			want: []btWant{
				{"A", false, ReasonNeverLost, 0, 0},
				{"B", true, "", 0, math.Sqrt(0.5)},
				{"C", true, "", 0, math.Sqrt(0.5)},
			},
		},
		{
			name: "one always beat the other", players: []string{"A", "B"},
			tallies: []Tally{{A: "B", B: "A", BWins: 3}},
			want:    []btWant{{"A", false, ReasonNeverLost, 0, 0}, {"B", false, ReasonNeverWon, 0, 0}},
		},
		{
			// Z is listed but never compared; players only in tallies follow.
			name: "a player without comparisons", players: []string{"Z", "A"},
			tallies: []Tally{{A: "A", B: "B", AWins: 1, BWins: 1}},
			want: []btWant{
				{"Z", false, ReasonNoGames, 0, 0},
				{"A", true, "", 0, math.Sqrt(0.5)},
				{"B", true, "", 0, math.Sqrt(0.5)},
			},
		},
		{
			// Two groups never compared with each other, as many players each:
			// the one with more comparisons (C–D, 3 games) is fitted.
			// C–D 2:1: θC = ln2/2; information 3·(2/3)(1/3) = 2/3, Var = 1/(4·2/3) = 3/8.
			name: "two separate groups", players: []string{"A", "B", "C", "D"},
			tallies: []Tally{{A: "A", B: "B", AWins: 1, BWins: 1}, {A: "C", B: "D", AWins: 2, BWins: 1}},
			want: []btWant{
				{"A", false, ReasonApart, 0, 0},
				{"B", false, ReasonApart, 0, 0},
				{"C", true, "", ln2 / 2, math.Sqrt(3.0 / 8)},
				{"D", true, "", -ln2 / 2, math.Sqrt(3.0 / 8)},
			},
		},
		{
			// A and B (1:1) always beat C and D, who split 2:2 (more games):
			// A and B lost and won, but only to each other.
			name: "a group always ahead", players: []string{"A", "B", "C", "D"},
			tallies: []Tally{
				{A: "A", B: "B", AWins: 1, BWins: 1}, {A: "C", B: "D", AWins: 2, BWins: 2},
				{A: "A", B: "C", AWins: 1}, {A: "B", B: "D", AWins: 1},
			},
			want: []btWant{
				{"A", false, ReasonApart, 0, 0},
				{"B", false, ReasonApart, 0, 0},
				{"C", true, "", 0, math.Sqrt(1.0 / 4)}, // information 4·¼ = 1, Var = 1/4
				{"D", true, "", 0, math.Sqrt(1.0 / 4)},
			},
		},
		{name: "nobody", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fit, err := BradleyTerry(tt.players, tt.tallies)
			if err != nil {
				t.Fatal(err)
			}
			if fit.StronglyConnected != tt.connected {
				t.Errorf("StronglyConnected = %v, want %v", fit.StronglyConnected, tt.connected)
			}
			checkStrengths(t, fit, tt.want)
		})
	}
}

func checkStrengths(t *testing.T, fit BTFit, want []btWant) {
	t.Helper()
	if len(fit.Strengths) != len(want) {
		t.Fatalf("%d strengths, want %d: %+v", len(fit.Strengths), len(want), fit.Strengths)
	}
	sum := 0.0
	for i, w := range want {
		s := fit.Strengths[i]
		if s.Player != w.player || s.Estimable != w.est || s.Reason != w.reason {
			t.Errorf("strength %d = %q estimable %v reason %q, want %q %v %q", i, s.Player, s.Estimable, s.Reason, w.player, w.est, w.reason)
			continue
		}
		if math.Abs(s.Theta-w.theta) > 1e-9 || math.Abs(s.SE-w.se) > 1e-9 {
			t.Errorf("%s: θ = %.12f ± %.12f, want %.12f ± %.12f", s.Player, s.Theta, s.SE, w.theta, w.se)
		}
		if math.Abs(s.Lo-(s.Theta-Z95*s.SE)) > 1e-12 || math.Abs(s.Hi-(s.Theta+Z95*s.SE)) > 1e-12 {
			t.Errorf("%s: interval [%v, %v] is not θ ± 1.96·SE", s.Player, s.Lo, s.Hi)
		}
		sum += s.Theta
	}
	if math.Abs(sum) > 1e-9 {
		t.Errorf("estimable θ sum to %v, want 0", sum)
	}
}

// TestBradleyTerryAgainstMM checks a case without a closed form against
// independent computations: θ by Hunter's MM algorithm run to convergence,
// and the standard errors by fixing the last player, taking the Hessian of
// the log-likelihood by finite differences, inverting it and carrying the
// covariance over to the sum-zero scale.
func TestBradleyTerryAgainstMM(t *testing.T) {
	players := []string{"A", "B", "C", "D"}
	tallies := []Tally{
		{A: "A", B: "B", AWins: 5, BWins: 2, Ties: 1},
		{A: "A", B: "C", AWins: 1, BWins: 3},
		{A: "B", B: "C", AWins: 4, BWins: 4},
		{A: "B", B: "D", AWins: 6, BWins: 1},
		{A: "C", B: "D", AWins: 2, Ties: 2},
		{A: "D", B: "A", AWins: 1, BWins: 1},
	}
	fit, err := BradleyTerry(players, tallies)
	if err != nil {
		t.Fatal(err)
	}
	if !fit.StronglyConnected {
		t.Fatal("not strongly connected")
	}
	k := len(players)
	w := make([][]float64, k)
	for i := range w {
		w[i] = make([]float64, k)
	}
	idx := map[string]int{"A": 0, "B": 1, "C": 2, "D": 3}
	for _, tl := range tallies {
		i, j := idx[tl.A], idx[tl.B]
		w[i][j] += float64(tl.AWins) + float64(tl.Ties)/2
		w[j][i] += float64(tl.BWins) + float64(tl.Ties)/2
	}

	// Hunter's MM: π_i ← W_i / Σ_j n_ij/(π_i + π_j), then normalized.
	pi := []float64{1, 1, 1, 1}
	for range 20000 {
		next := make([]float64, k)
		for i := range k {
			wins, den := 0.0, 0.0
			for j := range k {
				if n := w[i][j] + w[j][i]; j != i && n > 0 {
					wins += w[i][j]
					den += n / (pi[i] + pi[j])
				}
			}
			next[i] = wins / den
		}
		prod := 1.0
		for _, p := range next {
			prod *= p
		}
		g := math.Pow(prod, 1/float64(k))
		for i := range next {
			pi[i] = next[i] / g // geometric mean 1: Σ ln π = 0
		}
	}

	// Log-likelihood with θ_D = 0 and (θA, θB, θC) = x.
	ll := func(x []float64) float64 {
		th := append(append([]float64{}, x...), 0)
		f := 0.0
		for i := range k {
			for j := range k {
				if i != j && w[i][j] > 0 {
					f += w[i][j] * (th[i] - math.Log(math.Exp(th[i])+math.Exp(th[j])))
				}
			}
		}
		return f
	}
	x0 := make([]float64, k-1)
	for i := range x0 {
		x0[i] = math.Log(pi[i]) - math.Log(pi[k-1])
	}
	const h = 1e-4
	var hess [3][3]float64
	for a := range 3 {
		for b := range 3 {
			at := func(da, db float64) float64 {
				x := append([]float64{}, x0...)
				x[a] += da
				x[b] += db
				return ll(x)
			}
			hess[a][b] = (at(h, h) - at(h, -h) - at(-h, h) + at(-h, -h)) / (4 * h * h)
		}
	}
	// Covariance of x: the inverse of −Hessian, by cofactors.
	m := [3][3]float64{}
	for a := range 3 {
		for b := range 3 {
			m[a][b] = -hess[a][b]
		}
	}
	det := m[0][0]*(m[1][1]*m[2][2]-m[1][2]*m[2][1]) - m[0][1]*(m[1][0]*m[2][2]-m[1][2]*m[2][0]) + m[0][2]*(m[1][0]*m[2][1]-m[1][1]*m[2][0])
	var c [4][4]float64 // covariance of (θA, θB, θC, θD) with θD = 0
	for a := range 3 {
		for b := range 3 {
			r0, r1 := (b+1)%3, (b+2)%3
			c0, c1 := (a+1)%3, (a+2)%3
			c[a][b] = (m[r0][c0]*m[r1][c1] - m[r0][c1]*m[r1][c0]) / det
		}
	}
	// Sum-zero θ̃ = (I − J/4)θ: Var θ̃_i = Σ_ab M_ia M_ib C_ab.
	for i, s := range fit.Strengths {
		wantTheta := math.Log(pi[i])
		v := 0.0
		for a := range k {
			for b := range k {
				mia, mib := -0.25, -0.25
				if a == i {
					mia += 1
				}
				if b == i {
					mib += 1
				}
				v += mia * mib * c[a][b]
			}
		}
		if math.Abs(s.Theta-wantTheta) > 1e-9 {
			t.Errorf("%s: θ = %.12f, MM gives %.12f", s.Player, s.Theta, wantTheta)
		}
		if math.Abs(s.SE-math.Sqrt(v)) > 1e-5 {
			t.Errorf("%s: SE = %.9f, finite differences give %.9f", s.Player, s.SE, math.Sqrt(v))
		}
	}
}

func TestBradleyTerryErrors(t *testing.T) {
	tests := []struct {
		name    string
		tallies []Tally
	}{
		{"self", []Tally{{A: "A", B: "A", AWins: 1}}},
		{"negative", []Tally{{A: "A", B: "B", AWins: -1, BWins: 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := BradleyTerry(nil, tt.tallies); err == nil {
				t.Error("no error")
			}
		})
	}
}
