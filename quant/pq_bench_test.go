package quant

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkTrainPQ trains the residual quantiser of a typical IVF-PQ
// index: 50k x 128 into M = 16 sub-quantisers of 256 centroids, 25
// iterations (the default).
func BenchmarkTrainPQ(b *testing.B) {
	const n, dim = 50_000, 128
	data, _ := clusteredData(51, n, dim, 1024, 0.1)
	for _, m := range []int{8, 16, 32} {
		b.Run(fmt.Sprintf("n=%d/dim=%d/M=%d", n, dim, m), func(b *testing.B) {
			for b.Loop() {
				if _, err := TrainPQ(context.Background(), data, dim, m, PQOptions{Seed: 1}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEncodeBatch encodes 100k x 128 vectors on all cores.
func BenchmarkEncodeBatch(b *testing.B) {
	const n, dim = 100_000, 128
	data, _ := clusteredData(52, n, dim, 1024, 0.1)
	for _, m := range []int{16, 64} {
		pq := smallPQ(b, 53, dim, m)
		dst := make([]byte, 0, n*m)
		b.Run(fmt.Sprintf("n=%d/dim=%d/M=%d", n, dim, m), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				dst = pq.EncodeBatch(dst[:0], data, 0)
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "vectors/s")
		})
	}
}

// BenchmarkEncode encodes one vector, as the index does on insertion.
func BenchmarkEncode(b *testing.B) {
	const dim = 128
	for _, m := range []int{16, 64} {
		pq := smallPQ(b, 54, dim, m)
		v, _ := clusteredData(55, 1, dim, 1, 0.1)
		dst := make([]byte, 0, m)
		b.Run(fmt.Sprintf("dim=%d/M=%d", dim, m), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				dst = pq.Encode(dst[:0], v)
			}
		})
	}
}
