//go:build !purego

package quant

// The update kernels branch on hasAVX2FMA (distance_amd64.go) directly
// rather than through a function value, so that the common path is one
// predictable branch and a direct call.

func axpy(a float32, x, y []float32) {
	if hasAVX2FMA {
		axpyAVX2(a, x, y)
		return
	}
	axpyPortable(a, x, y)
}

func axpyCross(a float32, x, y, z []float32) {
	if hasAVX2FMA {
		axpyCrossAVX2(a, x, y, z)
		return
	}
	axpyCrossPortable(a, x, y, z)
}

// allAxpy lists every update-kernel implementation that can run on this
// machine, the portable one first.
var allAxpy = func() []axpyKernel {
	ks := []axpyKernel{portableAxpy}
	if hasAVX2FMA {
		ks = append(ks, axpyKernel{name: "avx2", axpy: axpyAVX2, cross: axpyCrossAVX2})
	}
	return ks
}()

// The assembly in axpy_amd64.s. Lengths are checked by the callers. Each
// routine handles 32 floats per iteration with four independent 8-wide
// fused multiply-adds, then 8 at a time, then the last 1..7 with a masked
// load and a masked store, so it never touches memory past the slices.

//go:noescape
func axpyAVX2(a float32, x, y []float32)

//go:noescape
func axpyCrossAVX2(a float32, x, y, z []float32)
