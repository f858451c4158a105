package quant

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
)

// clusteredData returns n points of dimension dim around nc random centres
// (uniform in [-1, 1)) with Gaussian noise of standard deviation sigma, and
// each point's true cluster.
func clusteredData(seed uint64, n, dim, nc int, sigma float32) ([]float32, []int) {
	rng := rand.New(rand.NewPCG(seed, 1))
	centres := randVec(rng, nc*dim, 1)
	data := make([]float32, n*dim)
	labels := make([]int, n)
	for i := range n {
		c := rng.IntN(nc)
		labels[i] = c
		for d := range dim {
			data[i*dim+d] = centres[c*dim+d] + sigma*float32(rng.NormFloat64())
		}
	}
	return data, labels
}

// BenchmarkKMeans clusters generated data. The first size is the target of
// the IVF coarse quantiser: 100k x 128 into 1024 centroids, 10 iterations.
func BenchmarkKMeans(b *testing.B) {
	for _, tc := range []struct{ n, dim, k, iters int }{
		{100_000, 128, 1024, 10},
		{50_000, 8, 256, 25},
	} {
		data, _ := clusteredData(1, tc.n, tc.dim, tc.k, 0.3)
		b.Run(fmt.Sprintf("n=%d/dim=%d/k=%d/iters=%d", tc.n, tc.dim, tc.k, tc.iters), func(b *testing.B) {
			for b.Loop() {
				// Iters is a cap: a run that converges earlier reports fewer.
				if _, err := KMeans(context.Background(), data, tc.dim, KMeansOptions{K: tc.k, Iters: tc.iters, Seed: 1}); err != nil {
					b.Fatal(err)
				}
			}
			flops := 2 * float64(tc.n) * float64(tc.k) * float64(tc.dim) * float64(tc.iters)
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "assign-GFLOP/s")
		})
	}
}

// BenchmarkNearest measures the assignment kernel alone.
func BenchmarkNearest(b *testing.B) {
	for _, tc := range []struct{ n, dim, k int }{
		{100_000, 128, 1024},
		{50_000, 8, 256},
		{10_000, 960, 256},
	} {
		rng := rand.New(rand.NewPCG(2, 0))
		data, cents := randVec(rng, tc.n*tc.dim, 1), randVec(rng, tc.k*tc.dim, 1)
		assign := make([]int32, tc.n)
		for _, threads := range []int{1, 0} {
			for _, k := range allNearest {
				if k.name == "portable" && tc.dim*tc.k > 10000 {
					continue // minutes
				}
				b.Run(fmt.Sprintf("n=%d/dim=%d/k=%d/threads=%d/%s", tc.n, tc.dim, tc.k, threads, k.name), func(b *testing.B) {
					var tab centroidTable
					tab.reset(cents, tc.dim)
					for b.Loop() {
						parallelChunks(threads, tc.n, nearestChunk, func(lo, hi int) {
							k.nearest(&tab, data[lo*tc.dim:hi*tc.dim], tc.dim, assign[lo:hi])
						})
					}
					flops := 2 * float64(tc.n) * float64(tc.k) * float64(tc.dim)
					b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}

// BenchmarkNearestOne assigns one vector to one of 1024 centroids, as an
// index does on insertion, through a CentroidSet and, for comparison, with
// L2SquaredBatch and a scan for the minimum.
func BenchmarkNearestOne(b *testing.B) {
	const dim, k = 128, 1024
	rng := rand.New(rand.NewPCG(3, 0))
	v, cents := randVec(rng, dim, 1), randVec(rng, k*dim, 1)
	set, err := NewCentroidSet(cents, dim)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("CentroidSet", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			set.NearestOne(v)
		}
	})
	b.Run("L2SquaredBatch", func(b *testing.B) {
		dists := make([]float32, k)
		b.ReportAllocs()
		for b.Loop() {
			L2SquaredBatch(v, cents, dists)
			best := 0
			for j, d := range dists {
				if d < dists[best] {
					best = j
				}
			}
		}
	})
}
