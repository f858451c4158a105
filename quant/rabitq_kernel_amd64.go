//go:build !purego

package quant

import "unsafe"

// rabitqKernels lists every implementation of the RaBitQ kernels that can
// run on this machine, the portable one first, so that tests can compare
// them.
var rabitqKernels = []rabitqKernel{goRaBitQKernel}

// useAVX2RaBitQ selects the kernels dotU8I16, dotU4I16 and fwht use. The
// assembly gives the same results as Go, bit for bit; it is set once here
// so that the choice is made in one place.
var useAVX2RaBitQ = hasAVX2FMA

func init() {
	if useAVX2RaBitQ {
		rabitqKernels = append(rabitqKernels, rabitqKernel{"avx2", dotU8I16AVX2, dotU4I16AVX2, fwhtAVX2})
	}
}

// dotU8I16AVX2Blocks is dotU8I16 for nblocks >= 1 blocks of 64
// coordinates: u holds nblocks*64 bytes and q nblocks*64 values. In
// rabitq_kernel_amd64.s.
//
//go:noescape
func dotU8I16AVX2Blocks(u *byte, q *int16, nblocks int) int32

// dotU4I16AVX2Blocks is dotU4I16 for nblocks >= 1 blocks of 64
// coordinates: u holds nblocks*32 bytes and q nblocks*64 values. In
// rabitq_kernel_amd64.s.
//
//go:noescape
func dotU4I16AVX2Blocks(u *byte, q *int16, nblocks int) int32

// fwhtAVX2N is fwht for x holding n floats, n a power of two in
// [64, 65536]. In rabitq_kernel_amd64.s.
//
//go:noescape
func fwhtAVX2N(x *float32, n int)

// dotU8I16AVX2 runs the assembly. The lengths have been checked by
// dotU8I16.
func dotU8I16AVX2(u []byte, q []int16) int32 {
	nblocks := len(u) / rabitqDotBlock
	if nblocks == 0 {
		return 0
	}
	return dotU8I16AVX2Blocks(unsafe.SliceData(u), unsafe.SliceData(q), nblocks)
}

// dotU4I16AVX2 runs the assembly. The lengths have been checked by
// dotU4I16.
func dotU4I16AVX2(u []byte, q []int16) int32 {
	nblocks := len(q) / rabitqDotBlock
	if nblocks == 0 {
		return 0
	}
	return dotU4I16AVX2Blocks(unsafe.SliceData(u), unsafe.SliceData(q), nblocks)
}

// fwhtAVX2 runs the assembly. The length has been checked by fwht.
func fwhtAVX2(x []float32) {
	fwhtAVX2N(unsafe.SliceData(x), len(x))
}
