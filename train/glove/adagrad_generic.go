//go:build !amd64 || purego

package glove

// hasAVX2 is false without the amd64 assembly.
const hasAVX2 = false

// adagrad is the AdaGrad update of one record; see [adagradGo].
func adagrad(wi, wj, gi, gj []float32, fdiff float32) { adagradGo(wi, wj, gi, gj, fdiff) }

// prefetch does nothing without the amd64 assembly.
func prefetch([]float32) {}
