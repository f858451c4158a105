//go:build !amd64 || purego

package quant

// Without assembly the portable loops in axpy.go are the only update
// kernels.

func axpy(a float32, x, y []float32) { axpyPortable(a, x, y) }

func axpyCross(a float32, x, y, z []float32) { axpyCrossPortable(a, x, y, z) }

// allAxpy lists every update-kernel implementation that can run here.
var allAxpy = []axpyKernel{portableAxpy}
