package quant

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/vecdb/vecdb/internal/membw"
)

// readBandwidth is the single-thread streaming read bandwidth of this
// machine, measured once per process with the default (256 MiB) buffer.
var readBandwidth = sync.OnceValue(func() float64 {
	return membw.ReadBandwidth(0, time.Second)
})

// BenchmarkDistanceBatch scans n contiguous rows with one query, once with
// the selected kernels ("dim=128/n=100000/l2") and once with each other
// implementation ("dim=128/n=100000/l2-portable"). MB/s counts the rows
// read. bw-frac is that rate over [membw.ReadBandwidth] with its default
// 256 MiB buffer, meant to measure DRAM. Rows that fit in the last-level
// cache are re-read from it on every iteration, so on machines with a large
// cache bw-frac can exceed 1; bw-frac-same compares with a ReadBandwidth
// buffer of the same size as the rows instead, which sees the same caches.
func BenchmarkDistanceBatch(b *testing.B) {
	const n = 100_000
	for _, dim := range []int{96, 128, 784} {
		rng := rand.New(rand.NewPCG(uint64(dim), 0))
		q, data := randVec(rng, dim, 1), randVec(rng, dim*n, 1)
		out := make([]float32, n)
		var sameBW float64 // measured on first use, by the first sub-benchmark
		for _, m := range []Metric{L2, Dot} {
			for _, k := range allKernels {
				// The selected kernels run through the exported
				// DistanceBatch; the others are called directly.
				name := fmt.Sprintf("dim=%d/n=%d/%v", dim, n, m)
				batch := func(q, data, out []float32) { DistanceBatch(m, q, data, out) }
				if k.name != impl.name {
					name += "-" + k.name
					batch = k.l2Batch
					if m == Dot {
						batch = k.dotBatch
					}
				}
				b.Run(name, func(b *testing.B) {
					bw := readBandwidth()
					if sameBW == 0 {
						sameBW = membw.ReadBandwidth(n*dim*4, 500*time.Millisecond)
					}
					b.SetBytes(int64(n * dim * 4))
					for b.Loop() {
						batch(q, data, out)
					}
					rate := float64(n*dim*4) * float64(b.N) / b.Elapsed().Seconds()
					b.ReportMetric(rate/bw, "bw-frac")
					b.ReportMetric(rate/sameBW, "bw-frac-same")
				})
			}
		}
	}
}

// BenchmarkDistance measures one pair at typical dimensions, where call
// overhead matters as much as bandwidth.
func BenchmarkDistance(b *testing.B) {
	for _, dim := range []int{8, 128, 1536} {
		rng := rand.New(rand.NewPCG(uint64(dim), 1))
		x, y := randVec(rng, dim, 1), randVec(rng, dim, 1)
		for _, k := range allKernels {
			b.Run(fmt.Sprintf("dim=%d/l2/%s", dim, k.name), func(b *testing.B) {
				b.SetBytes(int64(2 * dim * 4))
				var s float32
				for b.Loop() {
					s += k.l2(x, y)
				}
				sinkFloat = s
			})
		}
	}
}

var sinkFloat float32
