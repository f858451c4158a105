package query

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/vecdb/vecdb/index"
	"github.com/vecdb/vecdb/quant"
)

// TestRerankBoundSkips: with candidates whose estimates carry true error
// bounds, re-ranking reads only those that may be among the k best, and
// returns what re-ranking every candidate returns; without Bounded, or
// with bounds too wide to rule anything out, it reads them all.
func TestRerankBoundSkips(t *testing.T) {
	const n, dim, k = 2000, 16, 10
	f := NewFlat(dim)
	r := rand.New(rand.NewPCG(3, 4))
	rows := make([][]float32, n)
	for i := range n {
		rows[i] = make([]float32, dim)
		for j := range rows[i] {
			rows[i][j] = r.Float32()
		}
		f.Set(uint32(i), rows[i])
	}
	f.Publish(n)
	q := rows[0]
	for _, tc := range []struct {
		name    string
		bounded bool
		err     float32
		skips   bool
	}{{"bounded", true, 0.02, true}, {"wide", true, 100, false}, {"unbounded", false, 0.02, false}} {
		// Candidates: every row, its estimate off by up to half its bound.
		cands := make([]index.Hit, n)
		for i := range cands {
			d := quant.Distance(quant.L2, q, rows[i])
			cands[i] = index.Hit{Doc: uint32(i), Distance: d + (r.Float32()-0.5)*tc.err, Err: tc.err}
		}
		var all Plan
		want, err := rerank(f.View(), quant.L2, q, cands, Params{K: k}, nil, nil, &all)
		if err != nil {
			t.Fatal(err)
		}
		plan := Plan{SearchStats: index.SearchStats{Bounded: tc.bounded}}
		got, err := rerank(f.View(), quant.L2, q, cands, Params{K: k}, nil, nil, &plan)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%s: bound-pruned re-rank %v, full %v", tc.name, got, want)
		}
		if tc.skips != (plan.BoundSkipped > 0) || plan.Reranked+plan.BoundSkipped != n {
			t.Fatalf("%s: re-ranked %d, skipped %d of %d", tc.name, plan.Reranked, plan.BoundSkipped, n)
		}
		t.Logf("%s: re-ranked %d of %d", tc.name, plan.Reranked, n)
	}
}
