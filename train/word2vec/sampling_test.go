package word2vec

import (
	"math"
	"testing"
)

// TestAliasTable draws many negatives and compares the frequencies with
// count^0.75, normalised.
func TestAliasTable(t *testing.T) {
	counts := []int64{1000, 300, 300, 50, 7, 1, 0, 12345}
	tab, err := newAliasTable(counts, 0.75)
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, c := range counts {
		sum += math.Pow(float64(c), 0.75)
	}
	const n = 2_000_000
	hist := make([]int, len(counts))
	r := newRNG(1, 0)
	for range n {
		hist[tab.draw(r.next())]++
	}
	for i, c := range counts {
		p := math.Pow(float64(c), 0.75) / sum
		got := float64(hist[i]) / n
		// Five standard deviations of a binomial proportion.
		tol := 5*math.Sqrt(p*(1-p)/n) + 1e-9
		if math.Abs(got-p) > tol {
			t.Errorf("id %d (count %d): drawn with frequency %.5f, want %.5f ± %.5f", i, c, got, p, tol)
		}
	}
	if hist[6] != 0 {
		t.Errorf("id with count 0 drawn %d times", hist[6])
	}
	if _, err := newAliasTable([]int64{0, 0}, 0.75); err == nil {
		t.Error("all-zero counts accepted")
	}
}

func TestKeepThresholds(t *testing.T) {
	counts := []int64{1_000_000, 10_000, 100, 0}
	const total, sample = 2_000_000, 1e-3
	keep := keepThresholds(counts, total, sample)
	for i, c := range counts {
		want := 1.0
		if c > 0 {
			f, th := float64(c), sample*total
			want = math.Min(1, (math.Sqrt(f/th)+1)*th/f)
		}
		if got := float64(keep[i]) / (1 << 32); math.Abs(got-want) > 1e-9 {
			t.Errorf("count %d: keep %.6f, want %.6f", c, got, want)
		}
	}
	// The most frequent word is kept with probability
	// (sqrt(1e6/2000)+1)*2000/1e6 = 0.0467.
	if p := float64(keep[0]) / (1 << 32); p < 0.046 || p > 0.047 {
		t.Errorf("keep probability of the frequent word = %g", p)
	}
	for _, k := range keepThresholds(counts, total, 0) {
		if k != math.MaxUint32 {
			t.Errorf("sample 0 drops words: threshold %d", k)
		}
	}
}

func TestTables(t *testing.T) {
	// The bins cover [-maxExp, maxExp) exactly.
	if lo, hi := 0.5/tableStep-maxExp, (tableSize-0.5)/tableStep-maxExp; math.Abs(lo+hi) > 1e-12 || hi >= maxExp {
		t.Fatalf("bin centres run from %g to %g", lo, hi)
	}
	for i := range tableSize {
		x := (float64(i)+0.5)/tableStep - maxExp
		if got, want := float64(sigmoidTable[i]), 1/(1+math.Exp(-x)); math.Abs(got-want) > 1e-6 {
			t.Fatalf("sigmoid(%g) = %g, want %g", x, got, want)
		}
		// The loss of a positive example with score x is softplus(-x),
		// read from the mirrored bin.
		if got, want := float64(softplusTable[tableSize-1-i]), -math.Log(1/(1+math.Exp(-x))); math.Abs(got-want) > 1e-5 {
			t.Fatalf("-log sigmoid(%g) = %g, want %g", x, got, want)
		}
	}
}

func TestRNG(t *testing.T) {
	a, b, c := newRNG(1, 0), newRNG(1, 0), newRNG(1, 1)
	same, diff := true, false
	for range 100 {
		x, y, z := a.next(), b.next(), c.next()
		same = same && x == y
		diff = diff || x != z
	}
	if !same || !diff {
		t.Errorf("same seed and worker agree: %v; different workers differ: %v", same, diff)
	}
	hist := make([]int, 5)
	for range 50_000 {
		hist[a.intn(5)]++
	}
	for i, h := range hist {
		if h < 9_500 || h > 10_500 {
			t.Errorf("intn(5) gave %d %d times in 50,000", i, h)
		}
	}
}
