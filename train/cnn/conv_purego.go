//go:build !amd64 || purego

package cnn

// Without assembly convReLU keeps its sparse axpy loop, which skips the
// zero inputs that a dense portable tile would multiply; the portable tile
// still runs in the tests.
var useConvTile = false

func convTile(w, k, f int, col []float32, rows [convRows]int, wk, b, out []float32) {
	convTilePortable(w, k, f, col, rows, wk, b, out)
}

func rowStrip(w int, dst, m []float32, off []int32, g []float32) {
	rowStripPortable(w, dst, m, off, g)
}
