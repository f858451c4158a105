//go:build !purego

package quant

import "golang.org/x/sys/cpu"

// The AVX2 kernels need AVX2 and FMA, which x/sys/cpu reports only when the
// OS also saves the YMM registers.
var hasAVX2FMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

var avx2Kernels = kernels{
	name:     "avx2",
	dot:      dotAVX2,
	l2:       l2AVX2,
	dotBatch: dotBatchAVX2,
	l2Batch:  l2BatchAVX2,
}

// allKernels lists every implementation that can run on this machine, the
// portable one first, so that tests can compare them.
var allKernels = []kernels{portableKernels}

func init() {
	if hasAVX2FMA {
		impl = avx2Kernels
		allKernels = append(allKernels, avx2Kernels)
	}
}

// The assembly in distance_amd64.s. Lengths are checked by the callers:
// len(a) == len(b) and len(data) == len(q)*len(out). Each routine sums a row
// with four 8-wide accumulators (32 floats per iteration) using VFMADD231PS,
// then 8 floats at a time, then the last 1..7 floats with a masked load, so
// it never reads past the end of a slice. The batch routines loop over the
// rows themselves, with no Go call per row, and prefetch 2 KiB ahead in data.

//go:noescape
func dotAVX2(a, b []float32) float32

//go:noescape
func l2AVX2(a, b []float32) float32

//go:noescape
func dotBatchAVX2(q, data, out []float32)

//go:noescape
func l2BatchAVX2(q, data, out []float32)
