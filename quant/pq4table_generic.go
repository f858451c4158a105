//go:build !amd64 || purego

package quant

import "github.com/cockroachdb/errors"

// Without assembly the Go table builder is the only one.

// pq4TableKernels lists every pq4Table kernel that can run on this machine,
// the portable one first, so that tests can compare them.
var pq4TableKernels = []pq4TableKernel{{"go", pq4TableGo}}

// useAVX2PQ4Table selects the pq4Table kernel: never the assembly here.
const useAVX2PQ4Table = false

func pq4TableAVX2(a, b []float32, m int, ft []float32, lut []byte) (base, delta float32) {
	panic(errors.AssertionFailedf("quant: no AVX2 kernels in this build"))
}
