//go:build !amd64 || purego

package quant

import "github.com/cockroachdb/errors"

// Without assembly the Go RaBitQ kernels are the only ones.

// rabitqKernels lists every implementation of the RaBitQ kernels that can
// run on this machine, the portable one first, so that tests can compare
// them.
var rabitqKernels = []rabitqKernel{goRaBitQKernel}

// useAVX2RaBitQ selects the RaBitQ kernels: never the assembly here.
const useAVX2RaBitQ = false

func dotU8I16AVX2(u []byte, q []int16) int32 {
	panic(errors.AssertionFailedf("quant: no AVX2 kernels in this build"))
}

func dotU4I16AVX2(u []byte, q []int16) int32 {
	panic(errors.AssertionFailedf("quant: no AVX2 kernels in this build"))
}

func fwhtAVX2(x []float32) {
	panic(errors.AssertionFailedf("quant: no AVX2 kernels in this build"))
}
