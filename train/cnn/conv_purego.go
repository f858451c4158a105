//go:build !amd64 || purego

package cnn

// Without assembly convReLU keeps its sparse axpy loop, which skips the
// zero inputs that a dense portable tile would multiply; the portable tile
// still runs in the tests.
var useConvTile = false

func convTile(w, k, f int, col []float32, rows [convRows]int, wk, b, out []float32) {
	convTilePortable(w, k, f, col, rows, wk, b, out)
}
