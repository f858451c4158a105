package quant

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkADCScan scores a list of 4096 codes (16-64 KiB of codes: what
// one IVF list holds, from the L2 cache) with each implementation, and
// reports ns per code and codes per second.
func BenchmarkADCScan(b *testing.B) {
	const n = 4096
	for _, m := range []int{8, 16, 32, 64} {
		rng := rand.New(rand.NewPCG(uint64(m), 3))
		table := randVec(rng, m*PQCentroids, 1)
		codes := make([]byte, n*m)
		for i := range codes {
			codes[i] = byte(rng.Uint32())
		}
		out := make([]float32, n)
		for _, k := range adcKernels {
			b.Run(fmt.Sprintf("M=%d/%s", m, k.name), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(n * m))
				for b.Loop() {
					k.scan(table, codes, 0.5, out)
				}
				codesPerSec := float64(n) * float64(b.N) / b.Elapsed().Seconds()
				b.ReportMetric(codesPerSec, "codes/s")
				b.ReportMetric(1e9/codesPerSec, "ns/code")
			})
		}
	}
}

// BenchmarkTables builds one query's ADC tables: an IVF search builds an
// L2 table per probed list, so this is paid nprobe times per query. The
// "-portable" runs use a PQ written as a literal, which has no kernel
// layout and takes the L2SquaredBatch/DotBatch path.
func BenchmarkTables(b *testing.B) {
	const dim = 128
	for _, m := range []int{8, 16, 32, 64} {
		rng := rand.New(rand.NewPCG(uint64(m), 4))
		pq, err := NewPQ(dim, m, randVec(rng, PQCentroids*dim, 1))
		if err != nil {
			b.Fatal(err)
		}
		lit := &PQ{Dim: dim, M: m, Codebooks: pq.Codebooks}
		q := randVec(rng, dim, 1)
		table := make([]float32, m*PQCentroids)
		for _, p := range []struct {
			suffix string
			pq     *PQ
		}{{"", pq}, {"-portable", lit}} {
			b.Run(fmt.Sprintf("dim=%d/M=%d/l2%s", dim, m, p.suffix), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					p.pq.L2Table(q, table)
				}
			})
			b.Run(fmt.Sprintf("dim=%d/M=%d/dot%s", dim, m, p.suffix), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					p.pq.DotTable(q, table)
				}
			})
		}
	}
}
