//go:build !amd64 || purego

package quant

import "github.com/cockroachdb/errors"

// Without assembly the Go rabitqBlock is the only one.

// rabitqBlockKernels lists every implementation of rabitqBlock that can
// run on this machine, the portable one first, so that tests can compare
// them.
var rabitqBlockKernels = []rabitqBlockKernel{goRaBitQBlockKernel}

// useAVX2RaBitQBlock selects the rabitqBlock kernel: never the assembly
// here.
const useAVX2RaBitQBlock = false

func rabitqBlockAVX2(sums *[FastScanBlock]uint16, adds, k1s, e1s *[FastScanBlock]float32, p *rabitqBlockParams, d *[FastScanBlock]float32) uint32 {
	panic(errors.AssertionFailedf("quant: no AVX2 kernels in this build"))
}
