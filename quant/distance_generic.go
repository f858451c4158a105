//go:build !amd64 || purego

package quant

// Without assembly (another architecture, or the purego build tag) the
// portable kernels in distance_portable.go are the only implementation, and
// impl keeps its default.

// allKernels lists every implementation that can run on this machine, the
// portable one first, so that tests can compare them.
var allKernels = []kernels{portableKernels}
