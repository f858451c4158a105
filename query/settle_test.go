package query

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/vecdb/vecdb/index"
	"github.com/vecdb/vecdb/quant"
)

// noisySource is a Source whose candidates are every allowed doc ranked by
// an estimate off its exact distance by a per-doc error (drawn once): a
// coarse codec without lists.
type noisySource struct {
	rows  [][]float32
	noise []float32
}

func (s *noisySource) Search(q []float32, p index.SearchParams) ([]index.Hit, index.SearchStats, error) {
	top := index.NewTopK(p.KC)
	var st index.SearchStats
	for i, row := range s.rows {
		st.CodesScored++
		if p.Allow != nil && !p.Allow.Contains(uint32(i)) {
			continue
		}
		st.AllowedScored++
		top.Push(index.Hit{Doc: uint32(i), Distance: quant.Distance(quant.L2, q, row) + s.noise[i]})
	}
	st.ListsProbed = 1
	return top.Sorted(nil), st, nil
}

func (s *noisySource) NumLists() int                           { return 1 }
func (s *noisySource) Codes() int                              { return len(s.rows) }
func (s *noisySource) ProbeCost(card uint64, _, _ int) float64 { return 0 }

// TestSettleDeepens: when a filtered probe's estimates err by more than
// the gap between the k-th neighbour and the last candidate, re-ranking
// its k x refine candidates misses neighbours; Search sees it in their
// exact distances and probes again keeping more, finding nearly every one
// (the margin is statistical: of the thousands of candidates dropped, a
// few have Gaussian errors past 3 standard deviations).
func TestSettleDeepens(t *testing.T) {
	const n, dim, k, refine = 4000, 16, 10, 2
	r := rand.New(rand.NewPCG(5, 6))
	f := NewFlat(dim)
	src := &noisySource{rows: make([][]float32, n), noise: make([]float32, n)}
	for i := range n {
		row := make([]float32, dim)
		for j := range row {
			row[j] = float32(r.NormFloat64())
		}
		src.rows[i] = row
		src.noise[i] = float32(r.NormFloat64()) * 3 // distances are about 32 +- 11
		f.Set(uint32(i), row)
	}
	f.Publish(n)
	allow := roaring.New()
	for i := range n {
		if i%4 != 0 {
			allow.Add(uint32(i))
		}
	}
	p := Params{K: k, NProbe: 1, Refine: refine, Total: n}
	var first, settled float64
	deepened := 0
	for qi := range 50 {
		q := make([]float32, dim)
		for j := range q {
			q[j] = float32(r.NormFloat64())
		}
		want, err := Exact(f.View(), quant.L2, q, k, allow, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, plan, err := Search(f.View(), src, quant.L2, q, p, allow, nil)
		if err != nil {
			t.Fatal(err)
		}
		if plan.Strategy != "ivf" {
			t.Fatalf("query %d answered by %q (%s)", qi, plan.Strategy, plan.Reason)
		}
		deepened += plan.Deepened
		settled += overlap(got, want)
		// The first probe's candidates alone.
		cands, _, _ := src.Search(q, index.SearchParams{KC: k * refine, Allow: allow})
		var one Plan
		hits, err := rerank(f.View(), quant.L2, q, cands, p, nil, nil, &one)
		if err != nil {
			t.Fatal(err)
		}
		first += overlap(hits, want)
	}
	first, settled = first/50, settled/50
	t.Logf("recall@%d: %.3f from the first probe's candidates, %.3f settled (%d deeper probes)", k, first, settled, deepened)
	if first > 0.95 {
		t.Fatalf("the fixture's estimates are too good to test settle: %.3f from the first probe", first)
	}
	if settled < 0.995 || deepened == 0 {
		t.Fatalf("settled recall %.3f after %d deeper probes, want >= 0.995", settled, deepened)
	}
}

func overlap(got, want []Hit) float64 {
	n := 0
	for _, w := range want {
		if slices.ContainsFunc(got, func(h Hit) bool { return h.Doc == w.Doc }) {
			n++
		}
	}
	return float64(n) / float64(len(want))
}
