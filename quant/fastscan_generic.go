//go:build !amd64 || purego

package quant

import "github.com/cockroachdb/errors"

// Without assembly the Go fast-scan kernel is the only one.

// fastScanKernels lists every fast-scan kernel that can run on this machine,
// the portable one first, so that tests can compare them.
var fastScanKernels = []fastScanKernel{{"go", fastScanGo}}

// useAVX2FastScan selects the fast-scan kernel: never the assembly here.
const useAVX2FastScan = false

func fastScanAVX2(lut, packed []byte, pairs int, out []uint16) {
	panic(errors.AssertionFailedf("quant: no AVX2 kernels in this build"))
}
