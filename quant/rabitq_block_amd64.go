//go:build !purego

package quant

// rabitqBlockKernels lists every implementation of rabitqBlock that can
// run on this machine, the portable one first, so that tests can compare
// them.
var rabitqBlockKernels = []rabitqBlockKernel{goRaBitQBlockKernel}

// useAVX2RaBitQBlock selects the kernel rabitqBlock uses. The assembly
// gives the same results as Go, bit for bit; it is set once here so that
// the choice is made in one place.
var useAVX2RaBitQBlock = hasAVX2FMA

func init() {
	if useAVX2RaBitQBlock {
		rabitqBlockKernels = append(rabitqBlockKernels, rabitqBlockKernel{"avx2", rabitqBlockAVX2})
	}
}

// rabitqBlockAVX2 is rabitqBlock, 8 codes a register, with no FMA. The
// pointers have been checked by rabitqBlock. In rabitq_block_amd64.s.
//
//go:noescape
func rabitqBlockAVX2(sums *[FastScanBlock]uint16, adds, k1s, e1s *[FastScanBlock]float32, p *rabitqBlockParams, d *[FastScanBlock]float32) uint32
