package query

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/vecdb/vecdb/index"
	"github.com/vecdb/vecdb/quant"
)

// BenchmarkPlanCosts measures, on clustered data, what the cost model of
// exactCheaper estimates: for each dimension and selectivity, an exact scan
// of the allowed rows and a filtered probe (forced, whatever the model
// says), each reported with the model's estimate ("model-ns/op") beside
// the measured ns/op. The crossover of the measured pair is where the
// model should switch plans. 100k records, 1,000 lists, nprobe 32,
// refine 10, k 10, filters uncorrelated (every j-th doc).
func BenchmarkPlanCosts(b *testing.B) {
	const n, nlist, nprobe, k, refine = 100_000, 1000, 32, 10, 10
	for _, dim := range []int{32, 128} {
		t := &testing.T{}
		f := newPlanFixture(t, n, dim, nlist, dim/4, 1, quant.L2)
		queries := f.vecs[:64]
		for _, every := range []int{200, 100, 50, 20, 10, 4} {
			allow := roaring.New()
			for i := 0; i < n; i += every {
				allow.Add(uint32(i))
			}
			card := allow.GetCardinality()
			kc := k * refine
			budget := max(int(float64(n*nprobe/nlist)*budgetShare(float64(card)/n)), kc)
			p := Params{K: k, NProbe: nprobe, Refine: refine, Total: n, forceProbe: true}
			name := fmt.Sprintf("dim=%d/sel=%.3f", dim, float64(card)/n)
			b.Run(name+"/exact", func(b *testing.B) {
				i := 0
				for b.Loop() {
					if _, err := Exact(f.flat.View(), f.m, queries[i%len(queries)], k, allow, nil); err != nil {
						b.Fatal(err)
					}
					i++
				}
				_, scan := f.flat.View().Costs(card)
				b.ReportMetric(exactCost(card, scan), "model-ns/op")
			})
			b.Run(name+"/probe", func(b *testing.B) {
				i := 0
				for b.Loop() {
					if _, plan, err := Search(f.flat.View(), f.ix, f.m, queries[i%len(queries)], p, allow, nil); err != nil || plan.Strategy != "ivf" {
						b.Fatalf("plan %+v, err %v", plan, err)
					}
					i++
				}
				fetch, _ := f.flat.View().Costs(card)
				b.ReportMetric(probeCost(f.ix, card, nprobe, budget, kc, fetch), "model-ns/op")
			})
		}
	}
}

// BenchmarkRerank measures re-ranking 100 candidates scattered over 200k x
// 128 rows (100 MB, so most rows come from memory), the cost a search pays
// per k x refine = 100; README.md's comparison with post-filtering, which
// re-ranks about half as many at 50% selectivity, rests on it.
func BenchmarkRerank(b *testing.B) {
	const n, dim = 200_000, 128
	f := NewFlat(dim)
	r := rand.New(rand.NewPCG(1, 2))
	row := make([]float32, dim)
	for i := range n {
		for j := range row {
			row[j] = r.Float32()
		}
		f.Set(uint32(i), row)
	}
	f.Publish(n)
	sets := make([][]index.Hit, 512)
	for i := range sets {
		sets[i] = make([]index.Hit, 100)
		for j := range sets[i] {
			sets[i][j] = index.Hit{Doc: uint32(r.IntN(n))}
		}
	}
	var plan Plan
	i := 0
	for b.Loop() {
		if _, err := rerank(f.View(), quant.L2, row, sets[i%len(sets)], Params{K: 10}, nil, nil, &plan); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
