//go:build !purego

package glove

import "golang.org/x/sys/cpu"

// hasAVX2 reports whether adagradAVX2 can run; x/sys/cpu reports AVX2 only
// when the OS also saves the YMM registers.
var hasAVX2 = cpu.X86.HasAVX2

// adagrad is the AdaGrad update of [adagradGo], eight floats at a time
// with AVX2 when the machine has it. The results are bit-identical.
func adagrad(wi, wj, gi, gj []float32, fdiff float32) {
	if !hasAVX2 {
		adagradGo(wi, wj, gi, gj, fdiff)
		return
	}
	n := len(wi)
	wj, gi, gj = wj[:n], gi[:n], gj[:n]
	m := n &^ 7
	if m > 0 {
		adagradAVX2(wi[:m], wj[:m], gi[:m], gj[:m], fdiff)
	}
	if m < n {
		adagradGo(wi[m:], wj[m:], gi[m:], gj[m:], fdiff)
	}
}

// adagradAVX2 is adagradGo over a multiple of 8 floats, in
// adagrad_amd64.s. The caller checks the lengths: all four equal len(wi),
// a multiple of 8.
//
//go:noescape
func adagradAVX2(wi, wj, gi, gj []float32, fdiff float32)

// prefetch asks the CPU to bring the memory of b into its caches, so that
// the update after the current one does not wait for it.
func prefetch(b []float32) {
	if len(b) > 0 {
		prefetchAVX2(b)
	}
}

// prefetchAVX2 issues PREFETCHT0 for every cache line of b, in
// adagrad_amd64.s (it needs no AVX2; the name keeps the family together).
//
//go:noescape
func prefetchAVX2(b []float32)
