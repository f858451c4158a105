//go:build !purego

package quant

import "unsafe"

// fastScanKernels lists every fast-scan kernel that can run on this machine,
// the portable one first, so that tests can compare them.
var fastScanKernels = []fastScanKernel{{"go", fastScanGo}}

// useAVX2FastScan selects the kernel fastScanBlocks uses. Both give the
// same, exact, sums; it is set once here so that the choice is made in one
// place.
var useAVX2FastScan = hasAVX2FMA

func init() {
	if useAVX2FastScan {
		fastScanKernels = append(fastScanKernels, fastScanKernel{"avx2", fastScanAVX2})
	}
}

// fastScanAVX2Blocks is fastScanBlocks for nblocks >= 1 blocks, with lut
// holding pairs*32 bytes, packed nblocks*pairs*32 and out nblocks*32
// entries. In fastscan_amd64.s.
//
//go:noescape
func fastScanAVX2Blocks(lut, packed *byte, pairs, nblocks int, out *uint16)

// fastScanAVX2 runs the assembly. The lengths have been checked by
// FastScanBlocks.
func fastScanAVX2(lut, packed []byte, pairs int, out []uint16) {
	nblocks := len(out) / fastScanBlockSize
	if nblocks == 0 {
		return
	}
	fastScanAVX2Blocks(unsafe.SliceData(lut), unsafe.SliceData(packed), pairs, nblocks, unsafe.SliceData(out))
}
