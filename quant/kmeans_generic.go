//go:build !amd64 || purego

package quant

import "github.com/cockroachdb/errors"

// Without assembly the portable kernel is the only one.

// allNearest lists every nearest-centroid kernel that can run on this
// machine, the portable one first, so that tests can compare them.
var allNearest = []nearestKernel{portableNearest}

// useAVX2Nearest selects the kernel Nearest, KMeans and PQ encoding use:
// never the assembly here.
const useAVX2Nearest = false

func nearestAVX2(t *centroidTable, data []float32, stride int, assign []int32) {
	panic(errors.AssertionFailedf("quant: no AVX2 kernels in this build"))
}
